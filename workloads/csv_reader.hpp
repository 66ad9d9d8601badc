// RFC 4180 CSV, read a record at a time from a stream (a trace of millions of lines is never held in memory):
// fields separated by commas; a field in double quotes may hold commas, line breaks and doubled quotes ("");
// records end at CRLF or LF. Also accepted, as spreadsheets write them: a UTF-8 byte-order mark at the start and
// a last record without a line break. Errors name the line: a quote that never closes (or a quoted field past 1
// MiB, so an unclosed quote never pulls a whole trace into memory), text after a closing quote, a quote inside an
// unquoted field.
#pragma once

#include <cstddef>
#include <istream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dcsim::wl {

class CsvError : public std::runtime_error {
 public:
  CsvError(std::size_t line, const std::string& what)
      : std::runtime_error("line " + std::to_string(line) + ": " + what), line_(line) {}
  std::size_t line() const { return line_; }

 private:
  std::size_t line_;
};

class CsvReader {
 public:
  static constexpr std::size_t kMaxFieldBytes = 1 << 20;  // a longer field is an error (an unclosed quote)
  explicit CsvReader(std::istream& in) : in_(in) {}
  // The next record's fields (an empty line is one empty field); nullopt at the end of the input.
  std::optional<std::vector<std::string>> next();
  // The line on which the record last returned started (1-based).
  std::size_t line() const { return record_line_; }

 private:
  std::istream& in_;
  std::size_t line_ = 1, record_line_ = 0;
  bool started_ = false;
};

// Every record of a text (tests, small files).
std::vector<std::vector<std::string>> parse_csv(const std::string& text);

}  // namespace dcsim::wl
