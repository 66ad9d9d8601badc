// A training step's scale-out traffic as flows on the topology (`network.model: flow`, #19): every replica's
// pipeline sends, and the gradient buckets of every stage's DP groups (one per TP rank) and expert-DP groups with
// ZeRO's parameter all-gathers, all at once on one FlowNetwork, in the pipeline's own simulation. Groups whose routes
// share links (ECMP collisions on spines, oversubscribed tiers) share the bandwidth max-min fairly instead of each
// seeing an idle fabric (docs/pretraining.md, "Pretraining on the flow network").
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "hw/collectives.hpp"
#include "hw/flow_network.hpp"
#include "hw/topology.hpp"
#include "sim/simulator.hpp"
#include "workloads/pretraining/layer_cost.hpp"
#include "workloads/pretraining/pretraining.hpp"
#include "workloads/pretraining/stage_costs.hpp"

namespace dcsim::wl {

// One gradient bucket of a stage: when its backward produced it, and the bytes each GPU reduces over its dense
// DP group and over its expert-DP group (dense first, then experts, on the stage's channel).
struct GradientBucket {
  double ready = 0;
  double dense_bytes = 0, expert_bytes = 0;
};

// What a stage moves at the end of its step.
struct StageTraffic {
  std::vector<GradientBucket> buckets;  // in the order the stage's channel runs them
  double compute_end = 0;               // its last pipeline task's end
  double optimizer_s = 0, optimizer_bytes = 0;
  double gather_dense_bytes = 0, gather_expert_bytes = 0;  // ZeRO 1-2's parameter all-gather per GPU (0: none)
};

// How the stage's channel ran: each bucket's start and end, and the parameter all-gather's duration.
struct StageChannel {
  std::vector<double> start, end;
  double reduce_total = 0;  // sum of the buckets' durations
  double gather_s = 0;
  double busy_until() const { return end.empty() ? 0.0 : end.back(); }
};

// The end of a stage's gradient reduction and its cost: the channel is busy until `busy_until`, the compute ends
// at `compute_end`; the reduction that ran under the backward slows that compute (NCCL holds SMs), charged at the
// end as comm_sm_share x the hidden time. Shared by the analytical and the flow channel.
struct ReductionTail {
  double end = 0;         // the stage's end before the optimizer, contention included
  double exposed = 0;     // reduction time after the compute
  double contention = 0;
};
ReductionTail reduction_tail(const PretrainingWorkload& w, double busy_until, double compute_end, double reduce_total);

// The collective a gradient bucket runs: all-reduce, or reduce-scatter under ZeRO.
hw::CollectiveOp gradient_op(const PretrainingWorkload& w);
// Each stage's optimizer step and ZeRO 1-2 parameter gather (no buckets, compute_end 0).
std::vector<StageTraffic> stage_traffic(const LayerCostModel& model, const StageChunks& chunks);
// Whether `task` completes its chunk's weight gradients, so that their buckets can be reduced: the last
// micro-batch's backward (zb-h1: its W pass). Never under ZeRO-3, which scatters gradients in every pass.
bool completes_gradients(const PretrainingWorkload& w, const PipelineTask& task);
// A chunk's gradient buckets (one per layer, backward order), ready as its last backward (zb-h1: its W pass) over
// [start, end) passes each layer, or all at `compute_end` without overlap_grad_reduce.
std::vector<GradientBucket> chunk_buckets(const LayerCostModel& model, const ChunkCost& ch, double start, double end,
                                          double compute_end);

// The step's traffic on one flow network, driven by the pipeline's simulation (simulate_pipeline's transport).
// Each stage's channel: bucket b starts at max(its ready time, the end of bucket b-1) on all the stage's groups at
// once and ends when the last of them finishes (a synchronous step waits for its slowest group); the all-gather
// starts after the reduction's tail and the stage's optimizer.
class StepFabric final : public PipelineTransport {
 public:
  // `traffic`: each stage's optimizer and gather (and, without `chunks`, its buckets, given up front); `chunks`:
  // where a stage's buckets come from as its last backwards run. All referenced objects must outlive this one.
  StepFabric(const LayerCostModel& model, const hw::Topology& topo, std::vector<StageTraffic> traffic,
             const StageChunks* chunks);
  // Its callbacks hold `this`: it stays where it was built.
  StepFabric(const StepFabric&) = delete;
  StepFabric& operator=(const StepFabric&) = delete;

  // Once: the fabric's flows live on that simulator, which must outlive the run (not the fabric).
  void attach(sim::Simulator& sim) override;
  void send(int from, int to, std::function<void()> arrived) override;
  void task_started(int stage, const PipelineTask& task, double end_s) override;
  void stage_done(int stage) override;

  // After the simulation: how each stage's channel ran.
  const std::vector<StageChannel>& channels() const { return channels_; }

 private:
  struct Stage {
    std::vector<std::vector<int>> dense, expert;
    std::vector<int> held;             // without overlap_grad_reduce: chunks whose buckets wait for the compute end
    std::size_t next = 0;              // the bucket to run next
    std::size_t pending = 0;           // collectives of the current wave still running
    bool busy = false;                 // a bucket is running
    bool done = false;                 // the stage's compute has ended: no bucket comes after those queued
    bool gathered = false;             // the parameter all-gather has been started (or had nothing to move)
    double opened = 0;                 // start of the bucket or all-gather in flight
  };
  double now() const;
  // Runs `fn` at `seconds`, or now if that has passed.
  void at(double seconds, std::function<void()> fn);
  // Starts `bytes` of `op` on every group of more than one GPU; `then` runs when the last has finished.
  void run_on_all(Stage& st, hw::CollectiveOp op, const std::vector<std::vector<int>>& groups, double bytes,
                  std::function<void()> then);
  // Starts the stage's next bucket if it is free and one is queued, or its all-gather once it has none left.
  void next_bucket(int stage);
  void gather(int stage);

  const LayerCostModel& model_;
  const hw::Topology& topo_;
  const StageChunks* chunks_;
  std::vector<StageTraffic> traffic_;
  std::vector<StageChannel> channels_;
  std::vector<Stage> stages_;
  hw::CollectiveOp grad_op_;
  double send_bytes_ = 0;
  sim::Simulator* sim_ = nullptr;
  std::unique_ptr<hw::FlowNetwork> net_;
};

// The stages' channels alone on a fabric, from buckets given up front (each stage's compute ending at its
// traffic's compute_end): for tests and for reading a channel without a pipeline.
std::vector<StageChannel> run_dp_fabric(const LayerCostModel& model, const hw::Topology& topo,
                                        const std::vector<StageTraffic>& traffic);

}  // namespace dcsim::wl
