// Chrome / Perfetto trace output (the "Trace Event Format": load the file in ui.perfetto.dev or chrome://tracing).
//
// Records complete events ("ph":"X"), async spans ("ph":"b"/"e", one per request, nested by id), counters
// ("ph":"C"), instants and process/thread names ("ph":"M"). Timestamps are microseconds as JSON numbers written
// from the integer picoseconds with all six decimals (t = 1234567 ps is written 1.234567), so picosecond precision
// survives. Strings are escaped per RFC 8259.
// Two modes: in memory (to_json at the end; tests), or streaming (stream_to: each event is written when recorded,
// so memory stays flat however long the run; finish() closes the JSON). A window [start, end) keeps only the
// events that overlap it (metadata always). A recorder constructed disabled records nothing: every method returns
// after one branch, so callers may leave trace calls in hot code (guard argument construction with enabled()).
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
  // Streaming mode: writes the JSON header now and every later event as it comes; call finish() at the end.
  void stream_to(std::ostream& out);
  void finish();  // streaming: closes the JSON document (idempotent)
  // Keeps only events that overlap [start, end) (a span) or lie in it (counters, instants).
  void set_window(Time start, Time end) {
    window_start_ = start;
    window_end_ = end;
  }
  // A span overlaps when it ends after the window opens; an instant when it lies in [start, end).
  bool in_window(Time start, Time end) const {
    return (end > window_start_ || (end == start && start >= window_start_)) && start < window_end_;
  }

  // A span [start, start + duration) on track (pid, tid).
  void complete(std::string_view name, std::string_view category, std::uint32_t pid, std::uint32_t tid, Time start,
                Time duration, TraceArgs args = {}) {
    if (!enabled_ || !in_window(start, start + duration)) return;
    emit(Record{'X', std::string(name), std::string(category), pid, tid, start, duration, std::move(args), 0});
  }
  // An async span [start, start + duration) of object `id` (a request): spans of one id and category nest, and
  // Perfetto draws each id on its own row of process pid.
  void async_span(std::string_view name, std::string_view category, std::uint32_t pid, std::uint64_t id, Time start,
                  Time duration, TraceArgs args = {}) {
    if (!enabled_ || !in_window(start, start + duration)) return;
    emit(Record{'b', std::string(name), std::string(category), pid, 0, start, 0, std::move(args), id});
    emit(Record{'e', std::string(name), std::string(category), pid, 0, start + duration, 0, {}, id});
  }
  // A counter sample: each arg is one series of the counter `name` (numbers only), value from t on.
  void counter(std::string_view name, std::uint32_t pid, Time t, TraceArgs series) {
    if (!enabled_ || !in_window(t, t)) return;
    emit(Record{'C', std::string(name), {}, pid, 0, t, 0, std::move(series), 0});
  }
  void counter(std::string_view name, std::uint32_t pid, Time t, double value) {
    if (!enabled_) return;
    counter(name, pid, t, TraceArgs{{"value", value}});
  }
  // An instant ("ph":"i", thread scope).
  void instant(std::string_view name, std::string_view category, std::uint32_t pid, std::uint32_t tid, Time t) {
    if (!enabled_ || !in_window(t, t)) return;
    emit(Record{'i', std::string(name), std::string(category), pid, tid, t, 0, {}, 0});
  }
  void process_name(std::uint32_t pid, std::string_view name);
  void thread_name(std::uint32_t pid, std::uint32_t tid, std::string_view name);

  std::size_t size() const { return recorded_; }  // events recorded (streamed or held), metadata excluded
  void clear() {
    events_.clear();
    recorded_ = 0;
  }

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
    std::uint64_t id;  // async spans
  };
  void emit(Record&& r);
  static void write_record(std::ostream& out, const Record& r);

  bool enabled_;
  std::vector<Record> events_;
  std::vector<Record> metadata_;
  std::ostream* stream_ = nullptr;
  bool streamed_first_ = true;
  bool finished_ = false;
  std::size_t recorded_ = 0;
  Time window_start_ = 0;
  Time window_end_ = kTimeMax;
};

}  // namespace dcsim::sim
