#include "workloads/csv_reader.hpp"

#include <sstream>

namespace dcsim::wl {

std::optional<std::vector<std::string>> CsvReader::next() {
  if (!started_) {
    started_ = true;
    // A UTF-8 byte-order mark (EF BB BF) before the first field.
    if (in_.peek() == 0xEF) {
      char bom[3];
      in_.read(bom, 3);
      if (!(in_.gcount() == 3 && static_cast<unsigned char>(bom[1]) == 0xBB &&
            static_cast<unsigned char>(bom[2]) == 0xBF)) {
        in_.clear();
        in_.seekg(0);
      }
    }
  }
  int c = in_.get();
  if (c == std::char_traits<char>::eof()) return std::nullopt;
  record_line_ = line_;
  std::vector<std::string> fields(1);
  enum class State { start, unquoted, quoted, quote_in_quoted } state = State::start;
  // Outside quotes a comma ends the field and a line break (LF or CRLF) the record; true when `ch` did either.
  bool record_done = false;
  const auto separator = [&](char ch) {
    if (ch == ',') {
      fields.emplace_back();
      state = State::start;
      return true;
    }
    if (ch != '\n' && ch != '\r') return false;
    if (ch == '\r' && in_.peek() == '\n') in_.get();
    ++line_;
    record_done = true;
    return true;
  };
  for (;; c = in_.get()) {
    if (c == std::char_traits<char>::eof()) {
      if (state == State::quoted) throw CsvError(record_line_, "a quoted field is never closed (a missing '\"')");
      return fields;
    }
    const char ch = static_cast<char>(c);
    switch (state) {
      case State::start:
      case State::unquoted:
        if (separator(ch)) break;
        if (ch == '"') {
          if (state == State::unquoted) {
            throw CsvError(line_, "a '\"' inside an unquoted field (quote the whole field and double the quote)");
          }
          state = State::quoted;
        } else {
          fields.back() += ch;
          state = State::unquoted;
        }
        break;
      case State::quoted:
        if (ch == '"') {
          state = State::quote_in_quoted;
        } else {
          if (ch == '\n') ++line_;
          fields.back() += ch;
          // A quote left open would swallow the rest of the file into one field: stop at a size no field reaches.
          if (fields.back().size() > kMaxFieldBytes) {
            throw CsvError(record_line_, "a quoted field runs past 1 MiB (a missing '\"'?)");
          }
        }
        break;
      case State::quote_in_quoted:
        if (ch == '"') {  // a doubled quote is one quote
          fields.back() += '"';
          state = State::quoted;
        } else if (!separator(ch)) {
          throw CsvError(line_, std::string("text after a closing quote ('") + ch +
                                    "'); a field is either quoted whole or not at all");
        }
        break;
    }
    if (record_done) return fields;
  }
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::istringstream in(text);
  CsvReader r(in);
  std::vector<std::vector<std::string>> out;
  while (auto rec = r.next()) out.push_back(std::move(*rec));
  return out;
}

}  // namespace dcsim::wl
