// Scratch paths for tests. ctest runs test processes in parallel, so a fixed name in /tmp is shared between
// concurrent tests; the process id makes each test's scratch file its own.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace dcsim::testing {

inline std::filesystem::path unique_temp_path(const std::string& stem, const std::string& extension = "") {
  return std::filesystem::temp_directory_path() / (stem + "_" + std::to_string(::getpid()) + extension);
}

}  // namespace dcsim::testing
