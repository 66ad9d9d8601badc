// One training step, in phases that each have a file of their own: the plan check and memory (plan_check.cpp,
// memory.cpp), per-layer costs (layer_cost.*), per-stage chunk costs (stage_costs.*), the pipeline as events
// (pipeline.cpp), the data-parallel reduction and optimizer (data_parallel.*), the report (step_report.*,
// step_trace.*). docs/pretraining.md derives every term.
#include "workloads/pretraining/pretraining.hpp"

#include <optional>

#include "hw/collectives.hpp"
#include "hw/power.hpp"
#include "hw/topology.hpp"
#include "workloads/pretraining/data_parallel.hpp"
#include "workloads/pretraining/dp_fabric.hpp"
#include "workloads/pretraining/layer_cost.hpp"
#include "workloads/pretraining/stage_costs.hpp"
#include "workloads/pretraining/step_report.hpp"
#include "workloads/pretraining/step_trace.hpp"

namespace dcsim::wl {

RunResult run_pretraining(const PretrainingWorkload& w, const ModelSpec& m, const hw::ClusterSpec& cluster,
                          std::uint64_t seed, sim::TraceRecorder* trace, bool flows) {
  // Training keeps the tensor cores busy for seconds at a time: its GPUs run at the clock they sustain at their
  // power limit, below the burst at which the catalog's GEMM and attention rates were measured (docs/hardware.md,
  // "Sustained clock"). Peaks, and so MFU, are unchanged.
  hw::ClusterSpec c = cluster;
  hw::apply_sustained_clock(c.gpu);
  check_plan(w, m, c);
  const hw::Topology topo = hw::build_topology(c);
  const hw::Collectives coll(topo, c);
  const LayerCostModel model(w, m, c, coll);

  // What each stage's chunks cost per micro-batch, each stage at the pace of its slowest GPU.
  const StageChunks chunks = chunk_costs(model, model.all_layers(), straggler_factors(w, seed));

  // The pipeline as events, with and without the point-to-point transfer time (the difference is the exposed
  // pipeline communication; the run without it gives the bubble). On the flow network every replica's sends and
  // every DP group's gradient traffic run as flows in the pipeline's simulation (dp_fabric.hpp).
  const PipelineDurations durations = pipeline_durations(model, chunks);
  const int micro = static_cast<int>(w.micro_batches());
  std::optional<StepFabric> fabric;
  if (flows) fabric.emplace(model, topo, stage_traffic(model, chunks), &chunks);
  const PipelineTimeline timeline =
      simulate_pipeline(durations, w.schedule, w.pp, w.interleave, micro, fabric ? &*fabric : nullptr);
  PipelineDurations no_p2p = durations;
  no_p2p.p2p = 0;
  const PipelineTimeline timeline_no_p2p =
      w.pp > 1 ? simulate_pipeline(no_p2p, w.schedule, w.pp, w.interleave, micro) : timeline;

  // Each stage's end: its gradient reduction, parameter gather and optimizer step after its last backward.
  const StageFinish finish =
      finish_stages(model, chunks, durations, timeline, fabric ? &fabric->channels() : nullptr);

  const SimulatedStep step{chunks, durations, timeline, timeline_no_p2p, finish};
  if (trace != nullptr && trace->enabled()) trace_step(step, *trace);
  return report_step(model, topo, step, seed);
}

}  // namespace dcsim::wl
