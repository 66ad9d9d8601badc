#include "workloads/serving/trace_source.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <utility>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

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
  return s.substr(a, b - a);
}

bool blank(const std::vector<std::string>& record) { return record.size() == 1 && trim(record[0]).empty(); }

std::string joined(const std::vector<std::string>& record) {
  std::string out;
  for (std::size_t i = 0; i < record.size(); ++i) out += (i ? "," : "") + record[i];
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

// "YYYY-MM-DD HH:MM:SS[.frac]" (or with 'T'): whole seconds since the epoch and the fraction apart, so that the
// differences between requests keep their sub-microsecond digits (an epoch time as one double keeps ~0.2 us).
struct DateTime {
  std::int64_t whole = 0;
  double fraction = 0;
};

std::optional<DateTime> datetime(const std::string& s) {
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
  return DateTime{days_from_civil(*Y, static_cast<unsigned>(*M), static_cast<unsigned>(*D)) * 86400 + *h * 3600 +
                      *m * 60 + *sec,
                  frac};
}

// Token counts are whole numbers from 1 to a billion (no request is longer; a larger count would overflow the
// integer it becomes).
constexpr double kMaxTraceTokens = 1e9;

}  // namespace

TraceReader::TraceReader(const std::string& path, std::vector<std::string> classes)
    : path_(path), classes_(std::move(classes)), in_(path) {
  if (classes_.empty()) classes_.push_back("chat");
  if (!in_) throw std::runtime_error(path + ": cannot open the trace file");
  const auto dot = path.rfind('.');
  json_ = dot != std::string::npos && lower(path.substr(dot)) == ".jsonl";
  if (json_) return;
  csv_ = std::make_unique<CsvReader>(in_);
  std::vector<std::string> cols;
  while (auto rec = read_csv()) {
    if (!blank(*rec)) {
      cols = std::move(*rec);
      break;
    }
  }
  columns_ = static_cast<int>(cols.size());
  for (int i = 0; i < columns_; ++i) {
    const std::string c = lower(trim(cols[static_cast<std::size_t>(i)]));
    if (c == "arrival_s" || c == "timestamp") col_time_ = i;
    if (c == "input_tokens" || c == "contexttokens") col_in_ = i;
    if (c == "output_tokens" || c == "generatedtokens") col_out_ = i;
    if (c == "class") col_class_ = i;
  }
  if (col_time_ < 0 || col_in_ < 0 || col_out_ < 0) {
    fail("the header needs an arrival time (arrival_s or TIMESTAMP), input tokens (input_tokens or "
         "ContextTokens) and output tokens (output_tokens or GeneratedTokens) column; got '" + joined(cols) + "'");
  }
}

std::optional<std::vector<std::string>> TraceReader::read_csv() {
  try {
    auto rec = csv_->next();
    if (rec) line_no_ = static_cast<std::int64_t>(csv_->line());
    return rec;
  } catch (const CsvError& e) {
    line_no_ = static_cast<std::int64_t>(e.line());
    fail(std::string(e.what()).substr(std::string(e.what()).find(": ") + 2));
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

std::optional<NewRequest> TraceReader::parse_csv(const std::vector<std::string>& record) {
  std::vector<std::string> f;
  for (const std::string& field : record) f.push_back(trim(field));
  if (static_cast<int>(f.size()) != columns_) {
    fail("expected " + std::to_string(columns_) + " fields, got " + std::to_string(f.size()));
  }
  const std::string& ts = f[static_cast<std::size_t>(col_time_)];
  std::optional<double> t = number(ts);
  if (!t) {
    if (const auto dt = datetime(ts)) {
      if (!date_base_) date_base_ = dt->whole;  // times are relative to the first request anyway
      t = static_cast<double>(dt->whole - *date_base_) + dt->fraction;
    }
  }
  if (!t) fail("arrival time '" + ts + "' is neither seconds nor a date-time YYYY-MM-DD HH:MM:SS[.f]");
  NewRequest r{*t, tokens("input tokens", number(f[static_cast<std::size_t>(col_in_)]), f[static_cast<std::size_t>(col_in_)]),
               tokens("output tokens", number(f[static_cast<std::size_t>(col_out_)]),
                      f[static_cast<std::size_t>(col_out_)])};
  if (col_class_ >= 0) r.cls = class_index(f[static_cast<std::size_t>(col_class_)]);
  return r;
}

std::int64_t TraceReader::tokens(const char* what, std::optional<double> v, const std::string& text) const {
  if (!v) fail(std::string(what) + " '" + text + "' is not a number");
  if (*v != std::floor(*v)) fail(std::string(what) + " '" + text + "' is not a whole number");
  if (*v < 1 || *v > kMaxTraceTokens)
    fail(std::string(what) + " '" + text + "' is out of range: expected from 1 to at most 1e9");
  return static_cast<std::int64_t>(*v);
}

std::optional<NewRequest> TraceReader::parse_json(const std::string& line) {
  // A real JSON parser (nlohmann-json): a truncated object or a duplicate key is an error, not a guess.
  std::unordered_set<std::string> keys;
  std::string duplicate;
  const auto check_keys = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (event == nlohmann::json::parse_event_t::key && depth == 1 && !keys.insert(parsed.get<std::string>()).second)
      duplicate = parsed.get<std::string>();
    return true;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line, check_keys);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for numbers past a double
    fail(std::string("not a JSON object: ") + e.what());
  }
  if (!j.is_object()) fail("expected a JSON object, got " + std::string(j.type_name()));
  if (!duplicate.empty()) fail("duplicate key \"" + duplicate + "\"");
  const auto number_of = [&](const char* key) -> std::optional<double> {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
  };
  const auto text_of = [&](const char* key) { return j.contains(key) ? j[key].dump() : std::string("(absent)"); };
  auto t = number_of("arrival_s");
  if (!t) t = number_of("timestamp");
  if (!t || !std::isfinite(*t)) fail("expected a numeric \"arrival_s\" (or \"timestamp\")");
  NewRequest r{*t, tokens("\"input_tokens\"", number_of("input_tokens"), text_of("input_tokens")),
               tokens("\"output_tokens\"", number_of("output_tokens"), text_of("output_tokens"))};
  if (const auto c = j.find("class"); c != j.end()) {
    if (!c->is_string()) fail("\"class\" must be a string naming one of the workload's classes");
    r.cls = class_index(c->get<std::string>());
  }
  return r;
}

std::optional<NewRequest> TraceReader::next() {
  for (;;) {
    std::optional<NewRequest> got;
    if (json_) {
      std::string line;
      if (!std::getline(in_, line)) break;
      ++line_no_;
      if (trim(line).empty()) continue;
      got = parse_json(line);
    } else {
      auto rec = read_csv();
      if (!rec) break;
      if (blank(*rec)) continue;
      got = parse_csv(*rec);
    }
    NewRequest r = *got;
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
