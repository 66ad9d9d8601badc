// Writing a command's text output: to a file, or to stdout when the path is "-".
#pragma once

#include <string>

namespace dcsim::app {

// Throws std::runtime_error naming the path when it cannot be written.
void write_output(const std::string& path, const std::string& text);

// Before a command runs: throws BadInput (exit 2) naming `option` and the path when the path could not be written
// (its folder is missing or not writable, it is a folder, or it exists read-only). Leaves the file system as it
// was; "-" and "" pass.
void check_writable(const std::string& path, const std::string& option);

}  // namespace dcsim::app
