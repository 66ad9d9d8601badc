// Writing a command's text output: to a file, or to stdout when the path is "-".
#pragma once

#include <fstream>
#include <ostream>
#include <string>

namespace dcsim::app {

// Throws BadInput (exit 2: the place, not dcsim, is at fault) naming `option` (when given), the path and the
// system's reason when it cannot be written, e.g. a full disk.
void write_output(const std::string& path, const std::string& text, const std::string& option = "");

// Before a command runs: throws BadInput (exit 2) naming `option` and the path when the path could not be written
// (its folder is missing or not writable, it is a folder, or it exists read-only). Leaves the file system as it
// was; "-" and "" pass.
void check_writable(const std::string& path, const std::string& option);

// A file written as a run goes (a streamed trace, per-request rows), or stdout for "-". close() flushes and throws
// BadInput naming `option` and the path when any write failed (a full disk); discard() removes a file whose run
// failed, so no truncated trace or half a table is left behind looking like a result.
class OutputStream {
 public:
  OutputStream(const std::string& path, std::string option);
  std::ostream& stream() { return *out_; }
  void close();
  void discard();

 private:
  std::string path_, option_;
  std::ofstream file_;
  std::ostream* out_;
};

}  // namespace dcsim::app
