#include "sim/trace.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace dcsim::sim {

void TraceRecorder::process_name(std::uint32_t pid, std::string_view name) {
  if (!enabled_) return;
  emit(Record{'M', "process_name", {}, pid, 0, 0, 0, TraceArgs{{"name", std::string(name)}}, 0});
}

void TraceRecorder::thread_name(std::uint32_t pid, std::uint32_t tid, std::string_view name) {
  if (!enabled_) return;
  emit(Record{'M', "thread_name", {}, pid, tid, 0, 0, TraceArgs{{"name", std::string(name)}}, 0});
}

void TraceRecorder::stream_to(std::ostream& out) {
  stream_ = &out;
  out << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";
  for (const Record& r : metadata_) {
    out << (streamed_first_ ? "\n" : ",\n");
    streamed_first_ = false;
    write_record(out, r);
  }
  for (const Record& r : events_) {
    out << (streamed_first_ ? "\n" : ",\n");
    streamed_first_ = false;
    write_record(out, r);
  }
  metadata_.clear();
  events_.clear();
}

void TraceRecorder::finish() {
  if (stream_ == nullptr || finished_) return;
  *stream_ << "\n]}\n";
  stream_->flush();
  finished_ = true;
}

void TraceRecorder::emit(Record&& r) {
  if (r.phase != 'M') ++recorded_;
  if (stream_ != nullptr) {
    if (finished_) return;
    *stream_ << (streamed_first_ ? "\n" : ",\n");
    streamed_first_ = false;
    write_record(*stream_, r);
    return;
  }
  (r.phase == 'M' ? metadata_ : events_).push_back(std::move(r));
}

void TraceRecorder::write_escaped(std::ostream& out, std::string_view s) {
  out << '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out << "\\\""; break;
      case '\\': out << "\\\\"; break;
      case '\b': out << "\\b"; break;
      case '\f': out << "\\f"; break;
      case '\n': out << "\\n"; break;
      case '\r': out << "\\r"; break;
      case '\t': out << "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out << buf;
        } else {
          out << ch;  // UTF-8 passes through unchanged
        }
    }
  }
  out << '"';
}

void TraceRecorder::write_micros(std::ostream& out, Time ps) {
  const bool neg = ps < 0;
  const auto mag = neg ? static_cast<std::uint64_t>(0) - static_cast<std::uint64_t>(ps) : static_cast<std::uint64_t>(ps);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s%llu.%06llu", neg ? "-" : "", static_cast<unsigned long long>(mag / 1'000'000),
                static_cast<unsigned long long>(mag % 1'000'000));
  out << buf;
}

namespace {

void write_double(std::ostream& out, double v) {
  if (!std::isfinite(v)) {
    out << "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  out << buf;
}

void write_args(std::ostream& out, const TraceArgs& args) {
  out << '{';
  bool first = true;
  for (const auto& [key, value] : args) {
    if (!first) out << ',';
    first = false;
    TraceRecorder::write_escaped(out, key);
    out << ':';
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
      out << *i;
    } else if (const auto* d = std::get_if<double>(&value)) {
      write_double(out, *d);
    } else {
      TraceRecorder::write_escaped(out, std::get<std::string>(value));
    }
  }
  out << '}';
}

}  // namespace

void TraceRecorder::write_record(std::ostream& out, const Record& r) {
  out << "{\"ph\":\"" << r.phase << "\",\"name\":";
  write_escaped(out, r.name);
  if (!r.category.empty()) {
    out << ",\"cat\":";
    write_escaped(out, r.category);
  }
  out << ",\"pid\":" << r.pid << ",\"tid\":" << r.tid;
  if (r.phase == 'b' || r.phase == 'e') out << ",\"id\":" << r.id;
  if (r.phase != 'M') {
    out << ",\"ts\":";
    write_micros(out, r.ts);
  }
  if (r.phase == 'X') {
    out << ",\"dur\":";
    write_micros(out, r.dur);
  }
  if (r.phase == 'i') out << ",\"s\":\"t\"";
  if (!r.args.empty()) {
    out << ",\"args\":";
    write_args(out, r.args);
  }
  out << '}';
}

void TraceRecorder::write_json(std::ostream& out) const {
  out << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";
  bool first = true;
  for (const auto* list : {&metadata_, &events_}) {
    for (const Record& r : *list) {
      out << (first ? "\n" : ",\n");
      first = false;
      write_record(out, r);
    }
  }
  out << "\n]}\n";
}

std::string TraceRecorder::to_json() const {
  std::ostringstream s;
  write_json(s);
  return s.str();
}

void TraceRecorder::write_json_file(const std::string& path) const {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("TraceRecorder: cannot open " + path + " for writing");
  write_json(f);
  f.flush();
  if (!f) throw std::runtime_error("TraceRecorder: error writing " + path);
}

}  // namespace dcsim::sim
