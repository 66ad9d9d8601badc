// The one error type of scenario reading. Every message has the same shape, built in one place (ConfigError::format):
//   FILE:LINE:COL: KEY.PATH: got 'VALUE', expected WHAT (NOTE)
// so users can jump to the spot in their editor and tools can parse it. The CLI maps ConfigError to exit code 2.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dcsim::app {

struct SourceLocation {
  std::string file;     // as the user named it; empty for text that came from nowhere in particular
  int line = 0;         // 1-based; 0 = the whole file (missing file, empty file, ...)
  int column = 0;       // 1-based; 0 = unknown
  std::string origin;   // non-empty when the value came from elsewhere, e.g. "--set workload.bytes=1GiB";
                        // it then replaces FILE:LINE:COL, which would point at a value the user did not write
  std::string to_string() const;  // "FILE:LINE:COL", "FILE", or the origin
};

class ConfigError : public std::runtime_error {
 public:
  // `got` is the offending value as written (absent for errors that are not about one value, e.g. a missing key);
  // `expected` says what was wanted, or, without `got`, what is wrong; `note` adds why or a suggestion.
  ConfigError(SourceLocation where, std::string key_path, std::optional<std::string> got, std::string expected,
              std::string note = {});

  const SourceLocation& location() const { return where_; }
  const std::string& key_path() const { return key_path_; }  // "hardware.scale_out.nic_bandwidth"; may be empty
  const std::optional<std::string>& got() const { return got_; }
  const std::string& expected() const { return expected_; }
  const std::string& note() const { return note_; }

  static std::string format(const SourceLocation& where, std::string_view key_path,
                            const std::optional<std::string>& got, std::string_view expected, std::string_view note);

 private:
  SourceLocation where_;
  std::string key_path_;
  std::optional<std::string> got_;
  std::string expected_;
  std::string note_;
};

}  // namespace dcsim::app
