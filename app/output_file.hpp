// Writing a command's text output: to a file, or to stdout when the path is "-".
#pragma once

#include <string>

namespace dcsim::app {

// Throws std::runtime_error naming the path when it cannot be written.
void write_output(const std::string& path, const std::string& text);

}  // namespace dcsim::app
