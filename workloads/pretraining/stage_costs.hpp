// What each pipeline stage's model chunks cost per micro-batch: their layers' passes summed, the embedding on the
// first chunk and the final norm, LM head and loss on the last, recomputation, FSDP's per-chunk gathers, each stage
// slowed by its slowest GPU; and from them the pipeline's task durations.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/pretraining/layer_cost.hpp"
#include "workloads/pretraining/pretraining.hpp"

namespace dcsim::wl {

// One model chunk of one stage: its forward and backward passes for one micro-batch on one GPU, and its
// parameters per GPU (in total and per gradient bucket: one per layer, backward order, plus the ends' tables).
struct ChunkCost {
  PassCost fwd, bwd;
  double params = 0;
  std::vector<double> bucket_params;
  // Of each bucket, the routed experts' parameters (their data-parallel group is the expert one); 0 for the ends.
  std::vector<double> bucket_experts;
  double expert_params = 0;
};
using StageChunks = std::vector<std::vector<ChunkCost>>;  // [stage][local chunk]

// Stragglers: each stage runs at the pace of its slowest GPU (TP syncs every layer, DP at the step's end): the
// largest of its tp x cp x dp GPUs' time factors, each ~ Normal(1, straggler_cv) from the named stream
// "pretraining.stragglers" (at least 0.5: a draw cannot make a GPU twice as fast). All 1 without stragglers.
std::vector<double> straggler_factors(const PretrainingWorkload& w, std::uint64_t seed);

// Every stage's chunk costs from the per-layer costs (LayerCostModel::all_layers) and the stages' straggler factors.
StageChunks chunk_costs(const LayerCostModel& model, const std::vector<LayerCost>& layers,
                        const std::vector<double>& stage_factor);

// Bytes one GPU sends a neighbouring stage per micro-batch: its share of the activations (or their gradients),
// s b h x 2 / cp, sequence-sharded over tp with sequence parallelism.
double pipeline_send_bytes(const LayerCostModel& model);

// The pipeline's task durations per [stage][chunk] and its point-to-point transfer time (one micro-batch's
// activations between neighbouring stages).
PipelineDurations pipeline_durations(const LayerCostModel& model, const StageChunks& chunks);

}  // namespace dcsim::wl
