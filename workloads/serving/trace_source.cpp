#include "workloads/serving/trace_source.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace dcsim::wl::serving {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  std::string t = s.substr(a, b - a);
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
  return t;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    out.push_back(trim(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<double> number(const std::string& s) {
  double v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

// Days from 1970-01-01 of a civil date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// "YYYY-MM-DD HH:MM:SS[.frac]" (or with 'T') to seconds since the epoch.
std::optional<double> datetime(const std::string& s) {
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
      s[16] != ':') {
    return std::nullopt;
  }
  auto field = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data() + at, s.data() + at + n, v);
    if (ec != std::errc() || p != s.data() + at + n) return std::nullopt;
    return v;
  };
  const auto Y = field(0, 4), M = field(5, 2), D = field(8, 2), h = field(11, 2), m = field(14, 2),
             sec = field(17, 2);
  if (!Y || !M || !D || !h || !m || !sec || *M < 1 || *M > 12 || *D < 1 || *D > 31) return std::nullopt;
  double frac = 0;
  if (s.size() > 19) {
    if (s[19] != '.') return std::nullopt;
    const auto f = number("0" + s.substr(19));
    if (!f) return std::nullopt;
    frac = *f;
  }
  return static_cast<double>(days_from_civil(*Y, static_cast<unsigned>(*M), static_cast<unsigned>(*D))) * 86400.0 +
         *h * 3600.0 + *m * 60.0 + *sec + frac;
}

// Where the value of "key" starts in a JSON object line (after the colon and blanks), or nullopt when absent.
std::optional<std::size_t> json_value_at(const std::string& line, const std::string& key) {
  const std::string quoted = "\"" + key + "\"";
  std::size_t at = line.find(quoted);
  if (at == std::string::npos) return std::nullopt;
  at = line.find(':', at + quoted.size());
  if (at == std::string::npos) return std::nullopt;
  ++at;
  while (at < line.size() && std::isspace(static_cast<unsigned char>(line[at]))) ++at;
  return at;
}

std::optional<double> json_number(const std::string& line, const std::string& key) {
  const auto start = json_value_at(line, key);
  if (!start) return std::nullopt;
  const std::size_t at = *start;
  std::size_t end = at;
  while (end < line.size() && line[end] != ',' && line[end] != '}' &&
         !std::isspace(static_cast<unsigned char>(line[end]))) {
    ++end;
  }
  return number(line.substr(at, end - at));
}

// The string value of "key" in a JSON object line, or nullopt when the key is absent; `bad` is set when the value
// is not a plain string.
std::optional<std::string> json_string(const std::string& line, const std::string& key, bool& bad) {
  const auto start = json_value_at(line, key);
  if (!start) return std::nullopt;
  const std::size_t at = *start;
  const std::size_t end = at < line.size() && line[at] == '"' ? line.find('"', at + 1) : std::string::npos;
  if (end == std::string::npos) {
    bad = true;
    return std::nullopt;
  }
  return line.substr(at + 1, end - at - 1);
}

}  // namespace

TraceReader::TraceReader(const std::string& path, std::vector<std::string> classes)
    : path_(path), classes_(std::move(classes)), in_(path) {
  if (classes_.empty()) classes_.push_back("chat");
  if (!in_) throw std::runtime_error(path + ": cannot open the trace file");
  const auto dot = path.rfind('.');
  json_ = dot != std::string::npos && lower(path.substr(dot)) == ".jsonl";
  if (json_) return;
  std::string header;
  while (std::getline(in_, header)) {
    ++line_no_;
    if (!trim(header).empty()) break;
  }
  const std::vector<std::string> cols = split(header);
  columns_ = static_cast<int>(cols.size());
  for (int i = 0; i < columns_; ++i) {
    const std::string c = lower(cols[static_cast<std::size_t>(i)]);
    if (c == "arrival_s" || c == "timestamp") col_time_ = i;
    if (c == "input_tokens" || c == "contexttokens") col_in_ = i;
    if (c == "output_tokens" || c == "generatedtokens") col_out_ = i;
    if (c == "class") col_class_ = i;
  }
  if (col_time_ < 0 || col_in_ < 0 || col_out_ < 0) {
    fail("the header needs an arrival time (arrival_s or TIMESTAMP), input tokens (input_tokens or "
         "ContextTokens) and output tokens (output_tokens or GeneratedTokens) column; got '" + trim(header) + "'");
  }
}

void TraceReader::fail(const std::string& what) const {
  throw std::runtime_error(path_ + ":" + std::to_string(line_no_) + ": " + what);
}

int TraceReader::class_index(const std::string& name) const {
  for (std::size_t i = 0; i < classes_.size(); ++i) {
    if (classes_[i] == name) return static_cast<int>(i);
  }
  std::string list;
  for (const std::string& c : classes_) list += (list.empty() ? "" : ", ") + c;
  fail("class '" + name + "' is not one of the workload's classes (" + list +
       "); declare it under workload.classes");
}

std::optional<NewRequest> TraceReader::parse_csv(const std::string& line) {
  const std::vector<std::string> f = split(line);
  if (static_cast<int>(f.size()) != columns_) {
    fail("expected " + std::to_string(columns_) + " fields, got " + std::to_string(f.size()));
  }
  const std::string& ts = f[static_cast<std::size_t>(col_time_)];
  std::optional<double> t = number(ts);
  if (!t) t = datetime(ts);
  if (!t) fail("arrival time '" + ts + "' is neither seconds nor a date-time YYYY-MM-DD HH:MM:SS[.f]");
  const auto in = number(f[static_cast<std::size_t>(col_in_)]);
  const auto out = number(f[static_cast<std::size_t>(col_out_)]);
  if (!in) fail("input tokens '" + f[static_cast<std::size_t>(col_in_)] + "' is not a number");
  if (!out) fail("output tokens '" + f[static_cast<std::size_t>(col_out_)] + "' is not a number");
  NewRequest r{*t, static_cast<std::int64_t>(std::llround(*in)), static_cast<std::int64_t>(std::llround(*out))};
  if (col_class_ >= 0) r.cls = class_index(f[static_cast<std::size_t>(col_class_)]);
  return r;
}

std::optional<NewRequest> TraceReader::parse_json(const std::string& line) {
  auto t = json_number(line, "arrival_s");
  if (!t) t = json_number(line, "timestamp");
  const auto in = json_number(line, "input_tokens");
  const auto out = json_number(line, "output_tokens");
  if (!t || !in || !out) fail("expected numeric \"arrival_s\" (or \"timestamp\"), \"input_tokens\", \"output_tokens\"");
  NewRequest r{*t, static_cast<std::int64_t>(std::llround(*in)), static_cast<std::int64_t>(std::llround(*out))};
  bool bad = false;
  const auto cls = json_string(line, "class", bad);
  if (bad) fail("\"class\" must be a string naming one of the workload's classes");
  if (cls) r.cls = class_index(*cls);
  return r;
}

std::optional<NewRequest> TraceReader::next() {
  std::string line;
  while (std::getline(in_, line)) {
    ++line_no_;
    if (trim(line).empty()) continue;
    NewRequest r = *(json_ ? parse_json(line) : parse_csv(line));
    if (r.input < 1 || r.output < 1) fail("token counts must be at least 1");
    if (first_) {
      t0_ = r.arrival_s;
      last_ = r.arrival_s;
      first_ = false;
    }
    if (r.arrival_s < last_) fail("arrival time goes backwards (traces must be sorted by arrival)");
    last_ = r.arrival_s;
    r.arrival_s -= t0_;
    return r;
  }
  if (first_) fail("the trace has no requests");
  return std::nullopt;
}

}  // namespace dcsim::wl::serving
