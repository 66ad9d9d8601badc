#include "workloads/pretraining/step_trace.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

namespace dcsim::wl {
namespace {

constexpr std::size_t kMaxTimelineSpans = 20000;  // past it the report leaves the timeline to the trace

int stages(const SimulatedStep& st) { return static_cast<int>(st.chunks.size()); }
int chunks_per_stage(const SimulatedStep& st) { return st.chunks.empty() ? 1 : static_cast<int>(st.chunks[0].size()); }

// A pass's exposed TP/CP/EP (and ZeRO-3) communication runs layer by layer inside it; traces and the report's
// timeline draw it as its summed share at the pass's end.
double pass_comm(const SimulatedStep& st, const TaskSpan& sp) {
  if (sp.task.weight) return 0.0;
  const ChunkCost& ch = st.chunks[static_cast<std::size_t>(sp.stage)][static_cast<std::size_t>(sp.task.chunk)];
  const PassCost& ph = sp.task.forward ? ch.fwd : ch.bwd;
  return std::min(sp.end - sp.start, ph.tp + ph.cp + ph.ep + ph.dp);
}

// The pass's PP send (activations forward, gradients backward), from its end; 0 when it sends nothing. Sent as
// flows, as long as they took.
double pass_send(const SimulatedStep& st, const TaskSpan& sp) {
  if (sp.arrived >= 0) return sp.arrived - sp.end;
  const PipelineDurations& dur = st.durations;
  const int pp = stages(st);
  const int j = sp.task.chunk * pp + sp.stage;
  const auto per = [&](const std::vector<std::vector<double>>& over) {
    return over.empty() ? dur.p2p : over[static_cast<std::size_t>(sp.stage)][static_cast<std::size_t>(sp.task.chunk)];
  };
  if (sp.task.weight) return 0.0;
  if (sp.task.forward) return j + 1 < pp * chunks_per_stage(st) ? per(dur.fwd_p2p) : 0.0;
  return j > 0 ? per(dur.bwd_p2p) : 0.0;
}

}  // namespace

void trace_step(const SimulatedStep& st, sim::TraceRecorder& trace) {
  const int pp = stages(st), v = chunks_per_stage(st);
  const StageFinish& fin = st.finish;
  for (int s = 0; s < pp; ++s) {
    trace.process_name(static_cast<std::uint32_t>(s), "stage " + std::to_string(s));
    trace.thread_name(static_cast<std::uint32_t>(s), 0, "compute");
    trace.thread_name(static_cast<std::uint32_t>(s), 1, "dp + optimizer");
    trace.thread_name(static_cast<std::uint32_t>(s), 2, "communication (TP/CP/EP exposed, DP reduction)");
    trace.thread_name(static_cast<std::uint32_t>(s), 3, "PP sends");
  }
  for (const TaskSpan& sp : st.timeline.spans) {
    // Appended piece by piece: GCC 12's -Wrestrict misfires on a chain of string + (a false positive).
    std::string name = sp.task.forward ? "F" : sp.task.weight ? "W" : "B";
    name += std::to_string(sp.task.micro);
    if (v > 1) name.append(".").append(std::to_string(sp.task.chunk));
    trace.complete(name, sp.task.forward ? "fwd" : sp.task.weight ? "wgrad" : "bwd",
                   static_cast<std::uint32_t>(sp.stage), 0, sim::from_seconds(sp.start),
                   sim::from_seconds(sp.end - sp.start));
    if (const double comm = pass_comm(st, sp); comm > 0) {
      trace.complete("TP/CP/EP exposed " + name, "comm", static_cast<std::uint32_t>(sp.stage), 2,
                     sim::from_seconds(sp.end - comm), sim::from_seconds(comm));
    }
    if (const double send = pass_send(st, sp); send > 0) {
      trace.complete("PP send " + name, "comm", static_cast<std::uint32_t>(sp.stage), 3, sim::from_seconds(sp.end),
                     sim::from_seconds(send));
    }
  }
  for (const TimelineSpan& r : fin.dp_spans) {
    trace.complete("DP gradient reduction", "comm", static_cast<std::uint32_t>(r.lane), 2,
                   sim::from_seconds(r.start_s), sim::from_seconds(r.end_s - r.start_s));
  }
  for (int s = 0; s < pp; ++s) {
    const auto su = static_cast<std::size_t>(s);
    if (fin.dp_exposed[su] > 0) {
      trace.complete("dp exposed", "comm", static_cast<std::uint32_t>(s), 1,
                     sim::from_seconds(st.timeline.compute_end[su]), sim::from_seconds(fin.dp_exposed[su]));
    }
    trace.complete("optimizer", "compute", static_cast<std::uint32_t>(s), 1,
                   sim::from_seconds(fin.end[su] - fin.optimizer_s[su]), sim::from_seconds(fin.optimizer_s[su]));
  }
}

Timeline step_timeline(const SimulatedStep& st) {
  Timeline line;
  const PipelineTimeline& tl = st.timeline;
  const StageFinish& fin = st.finish;
  if (tl.spans.size() > kMaxTimelineSpans) return line;
  const int pp = stages(st);
  for (int s = 0; s < pp; ++s) line.lanes.push_back("stage " + std::to_string(s));
  for (const TaskSpan& sp : tl.spans) {
    line.spans.push_back({sp.stage, sp.start, sp.end, sp.task.forward ? "forward" : sp.task.weight ? "wgrad" : "backward"});
    if (const double comm = pass_comm(st, sp); comm > 0) {
      line.spans.push_back({sp.stage, sp.end - comm, sp.end, "TP/CP/EP comm (exposed)"});
    }
    if (const double send = pass_send(st, sp); send > 0) line.spans.push_back({sp.stage, sp.end, sp.end + send, "PP send"});
  }
  line.spans.insert(line.spans.end(), fin.dp_spans.begin(), fin.dp_spans.end());
  for (int s = 0; s < pp; ++s) {
    const auto su = static_cast<std::size_t>(s);
    if (fin.dp_exposed[su] > 0) {
      line.spans.push_back({s, tl.compute_end[su], tl.compute_end[su] + fin.dp_exposed[su], "DP exposed"});
    }
    line.spans.push_back({s, fin.end[su] - fin.optimizer_s[su], fin.end[su], "optimizer"});
  }
  return line;
}

}  // namespace dcsim::wl
