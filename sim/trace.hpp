// Chrome / Perfetto trace output (the "Trace Event Format": load the file in ui.perfetto.dev or chrome://tracing).
//
// Records complete events ("ph":"X"), counters ("ph":"C") and process/thread names ("ph":"M"). Timestamps are
// microseconds as JSON numbers written from the integer picoseconds with all six decimals (t = 1234567 ps is
// written 1.234567), so picosecond precision survives. Strings are escaped per RFC 8259.
// A recorder constructed disabled records nothing: every method returns after one branch, so callers may leave
// trace calls in hot code (guard argument construction with enabled() when it is costly).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "sim/time.hpp"

namespace dcsim::sim {

using TraceValue = std::variant<std::int64_t, double, std::string>;
using TraceArgs = std::vector<std::pair<std::string, TraceValue>>;

class TraceRecorder {
 public:
  explicit TraceRecorder(bool enabled = true) : enabled_(enabled) {}

  bool enabled() const { return enabled_; }
  void set_enabled(bool on) { enabled_ = on; }

  // A span [start, start + duration) on track (pid, tid).
  void complete(std::string_view name, std::string_view category, std::uint32_t pid, std::uint32_t tid, Time start,
                Time duration, TraceArgs args = {}) {
    if (!enabled_) return;
    events_.push_back(Record{'X', std::string(name), std::string(category), pid, tid, start, duration, std::move(args)});
  }
  // A counter sample: each arg is one series of the counter `name` (numbers only), value from t on.
  void counter(std::string_view name, std::uint32_t pid, Time t, TraceArgs series) {
    if (!enabled_) return;
    events_.push_back(Record{'C', std::string(name), {}, pid, 0, t, 0, std::move(series)});
  }
  void counter(std::string_view name, std::uint32_t pid, Time t, double value) {
    if (!enabled_) return;
    counter(name, pid, t, TraceArgs{{"value", value}});
  }
  // An instant ("ph":"i", thread scope).
  void instant(std::string_view name, std::string_view category, std::uint32_t pid, std::uint32_t tid, Time t) {
    if (!enabled_) return;
    events_.push_back(Record{'i', std::string(name), std::string(category), pid, tid, t, 0, {}});
  }
  void process_name(std::uint32_t pid, std::string_view name);
  void thread_name(std::uint32_t pid, std::uint32_t tid, std::string_view name);

  std::size_t size() const { return events_.size(); }
  void clear() { events_.clear(); }

  // {"displayTimeUnit":"ns","traceEvents":[...]} with metadata first, then events in recording order.
  void write_json(std::ostream& out) const;
  std::string to_json() const;
  // Throws std::runtime_error when the file cannot be written.
  void write_json_file(const std::string& path) const;

  // Helpers, exposed for reuse and tests.
  static void write_escaped(std::ostream& out, std::string_view s);  // with the surrounding quotes
  static void write_micros(std::ostream& out, Time ps);              // picoseconds as exact decimal microseconds

 private:
  struct Record {
    char phase;
    std::string name;
    std::string category;
    std::uint32_t pid;
    std::uint32_t tid;
    Time ts;
    Time dur;
    TraceArgs args;
  };
  bool enabled_;
  std::vector<Record> events_;
  std::vector<Record> metadata_;
};

}  // namespace dcsim::sim
