// Request traces: one request a line, read lazily (a trace of millions of requests is never held in memory).
//
// CSV (RFC 4180, csv_reader.hpp: quoted fields, CRLF, a byte-order mark): a header record naming the columns. Arrival time: `arrival_s` (seconds) or `timestamp`
// (seconds, or a date-time "YYYY-MM-DD HH:MM:SS[.fffffff]" as in the Azure LLM inference traces, whose column is
// TIMESTAMP); input tokens: `input_tokens` or `ContextTokens`; output tokens: `output_tokens` or
// `GeneratedTokens` (column names are matched case-insensitively). Arrival times are taken relative to the first
// request and must not decrease. An optional `class` column names each request's class (one of the workload's
// classes, docs/serving.md "Request classes"); without it every request's class is drawn by the classes' shares.
// JSONL: one object a line with numeric "arrival_s" (or "timestamp"), "input_tokens" and "output_tokens", and
// optionally a string "class".
// Errors (std::runtime_error) name the file and the line: a missing column, a field that is not a number, token
// counts that are not whole numbers from 1 to 1e9, a JSONL line that is not one JSON object (nlohmann-json parses
// it) or repeats a key, a time going backwards, an empty trace, a class the workload does not declare.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "workloads/csv_reader.hpp"

namespace dcsim::wl::serving {

// A request as it arrives: read from a trace line here, or drawn by RequestSource (request_source.hpp).
struct NewRequest {
  double arrival_s = 0;
  std::int64_t input = 0;
  std::int64_t output = 0;
  int cls = -1;  // request class (index into the workload's class names); -1: not given, drawn by share
};

class TraceReader {
 public:
  // `classes`: the workload's class names, which a `class` column's values must be among (empty: {"chat"}).
  explicit TraceReader(const std::string& path, std::vector<std::string> classes = {});
  std::optional<NewRequest> next();

 private:
  [[noreturn]] void fail(const std::string& what) const;
  int class_index(const std::string& name) const;
  std::optional<NewRequest> parse_csv(const std::vector<std::string>& fields);
  std::optional<std::vector<std::string>> read_csv();  // the next record, its line in line_no_
  std::optional<NewRequest> parse_json(const std::string& line);
  // A token count: a whole number from 1 to 1e9, else an error quoting `text` as the line has it.
  std::int64_t tokens(const char* what, std::optional<double> v, const std::string& text) const;

  std::string path_;
  std::vector<std::string> classes_;
  std::ifstream in_;
  std::unique_ptr<CsvReader> csv_;  // CSV traces: RFC 4180 records
  std::int64_t line_no_ = 0;
  bool json_ = false;
  int col_time_ = -1, col_in_ = -1, col_out_ = -1, col_class_ = -1, columns_ = 0;
  bool first_ = true;
  double t0_ = 0, last_ = 0;
  std::optional<std::int64_t> date_base_;  // date-time traces: whole seconds of the first request's time
};

}  // namespace dcsim::wl::serving
