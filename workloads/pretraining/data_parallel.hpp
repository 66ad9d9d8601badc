// The end of a step on each pipeline stage: the data-parallel gradient reduction, bucket by bucket as the backward
// finishes each layer, on a serial channel per stage; ZeRO's parameter all-gather; the memory-bound optimizer step.
#pragma once

#include <vector>

#include "workloads/observations.hpp"
#include "workloads/pretraining/dp_fabric.hpp"
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
  bool flows = false;  // the DP traffic ran as flows (dp_fabric.hpp)
};

// `timeline` is the pipeline run with its point-to-point transfers (the buckets become ready as its last
// backwards, or zb-h1's W passes, run). `flows`: the stages' channels as the step's flows ran them (StepFabric);
// without, each collective is priced on the representative groups of an idle fabric.
StageFinish finish_stages(const LayerCostModel& model, const StageChunks& chunks, const PipelineDurations& durations,
                          const PipelineTimeline& timeline, const std::vector<StageChannel>* flows = nullptr);

}  // namespace dcsim::wl
