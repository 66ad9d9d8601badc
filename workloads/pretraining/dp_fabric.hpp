// Every rank's data-parallel traffic as flows on the topology (`network.model: flow`, #19): the gradient buckets of
// every stage's DP groups (one per TP rank) and expert-DP groups, and ZeRO's parameter all-gathers, run at once on
// one FlowNetwork, so groups whose routes share links (ECMP collisions on spines, oversubscribed tiers) share the
// bandwidth max-min fairly instead of each seeing an idle fabric (docs/pretraining.md, "Data parallelism as flows").
#pragma once

#include <cstdint>
#include <vector>

#include "hw/collectives.hpp"
#include "hw/topology.hpp"
#include "workloads/pretraining/layer_cost.hpp"

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
  double optimizer_s = 0;
  double gather_dense_bytes = 0, gather_expert_bytes = 0;  // ZeRO 1-2's parameter all-gather per GPU (0: none)
};

// How the stage's channel ran: each bucket's start and end, and the parameter all-gather's duration.
struct StageChannel {
  std::vector<double> start, end;
  double reduce_total = 0;  // sum of the buckets' durations
  double gather_s = 0;
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

// All the DP groups of a stage: one dense group per TP rank (its dp x cp GPUs, in the order of model.dp_group),
// and, for an MoE model, the expert-DP groups that tile the stage (the ranks holding the same routed experts).
std::vector<std::vector<int>> stage_dense_groups(const LayerCostModel& model, int stage);
std::vector<std::vector<int>> stage_expert_groups(const LayerCostModel& model, int stage);

struct FabricRun {
  std::vector<StageChannel> stages;
  std::uint64_t events = 0, fingerprint = 0;
};

// Runs every stage's channel on one simulator: bucket b of stage s starts at max(its ready time, the end of
// bucket b-1) on all the stage's groups at once and ends when the last of them finishes (a synchronous step waits
// for its slowest group); the all-gather starts after the stage's optimizer. `grad_op`: all-reduce, or
// reduce-scatter under ZeRO.
FabricRun run_dp_fabric(const LayerCostModel& model, const hw::Topology& topo, const std::vector<StageTraffic>& stages,
                        hw::CollectiveOp grad_op);

}  // namespace dcsim::wl
