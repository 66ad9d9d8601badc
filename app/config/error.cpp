#include "app/config/error.hpp"

// GCC 12 reports a false -Wrestrict inside std::string for "literal" + std::string at -O3 (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

namespace dcsim::app {

std::string SourceLocation::to_string() const {
  if (!origin.empty()) return origin;
  std::string s = file.empty() ? std::string("<input>") : file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  return s;
}

namespace {

// Long or multi-line values would swamp the message; show enough to recognise them.
std::string shorten(std::string_view v) {
  std::string s;
  for (char c : v) {
    if (s.size() >= 60) return s + "...";
    s += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  }
  return s;
}

}  // namespace

std::string ConfigError::format(const SourceLocation& where, std::string_view key_path,
                                const std::optional<std::string>& got, std::string_view expected,
                                std::string_view note) {
  std::string s = where.to_string() + ": ";
  if (!key_path.empty()) s += std::string(key_path) + ": ";
  if (got) s += "got '" + shorten(*got) + "', expected ";
  s += expected;
  if (!note.empty()) s += " (" + std::string(note) + ")";
  return s;
}

ConfigError::ConfigError(SourceLocation where, std::string key_path, std::optional<std::string> got,
                         std::string expected, std::string note)
    : std::runtime_error(format(where, key_path, got, expected, note)),
      where_(std::move(where)),
      key_path_(std::move(key_path)),
      got_(std::move(got)),
      expected_(std::move(expected)),
      note_(std::move(note)) {}

}  // namespace dcsim::app
