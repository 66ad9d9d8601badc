// A simulated step as the report reads it, and its drawings: a Chrome/Perfetto trace (one process per stage) and the
// report's pipeline timeline, both from the same spans.
#pragma once

#include "sim/trace.hpp"
#include "workloads/observations.hpp"
#include "workloads/pretraining/data_parallel.hpp"
#include "workloads/pretraining/pretraining.hpp"
#include "workloads/pretraining/stage_costs.hpp"

namespace dcsim::wl {

struct SimulatedStep {
  const StageChunks& chunks;
  const PipelineDurations& durations;
  const PipelineTimeline& timeline;         // with the point-to-point transfers
  const PipelineTimeline& timeline_no_p2p;  // without them: its idle time is the bubble
  const StageFinish& finish;
};

// Writes the step to `trace` (stage = process; threads: compute, DP + optimizer, exposed communication, PP sends).
void trace_step(const SimulatedStep& step, sim::TraceRecorder& trace);
// The report's timeline of the step; empty past kMaxTimelineSpans tasks (a very large schedule is left to the
// trace).
Timeline step_timeline(const SimulatedStep& step);

}  // namespace dcsim::wl
