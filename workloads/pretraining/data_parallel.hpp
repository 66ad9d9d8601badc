// The end of a step on each pipeline stage: the data-parallel gradient reduction, bucket by bucket as the backward
// finishes each layer, on a serial channel per stage; ZeRO's parameter all-gather; the memory-bound optimizer step.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/topology.hpp"

#include "workloads/observations.hpp"
#include "workloads/pretraining/layer_cost.hpp"
#include "workloads/pretraining/pretraining.hpp"
#include "workloads/pretraining/stage_costs.hpp"

namespace dcsim::wl {

// Per stage: when its step ends, the DP communication and optimizer time at its end, and the hidden reduction's
// cost in compute; the stage that ends last (the critical one) paces the step.
struct StageFinish {
  std::vector<double> end, dp_exposed, optimizer_s, optimizer_bytes, dp_contention;
  std::vector<TimelineSpan> dp_spans;  // each bucket's reduction, for the trace and the report's timeline
  int critical = 0;
  double step = 0;  // seconds: the critical stage's end
  bool flows = false;  // the DP traffic ran as flows (dp_fabric.hpp): its simulator's events and fingerprint
  std::uint64_t fabric_events = 0, fabric_fingerprint = 0;
};

// `timeline` is the pipeline run with its point-to-point transfers (the buckets become ready as its last
// backwards, or zb-h1's W passes, run). With `flows`, every DP group's traffic runs as flows on that topology
// (dp_fabric.hpp); without, each collective is priced on the representative group of an idle fabric.
StageFinish finish_stages(const LayerCostModel& model, const StageChunks& chunks, const PipelineDurations& durations,
                          const PipelineTimeline& timeline, const hw::Topology* flows = nullptr);

}  // namespace dcsim::wl
