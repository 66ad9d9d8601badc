// How a model's layers fall into pipeline chunks, and what one layer holds per GPU: parameters split into what TP
// and what EP shards, the width of its K/V tensors, and how many ways sequence parallelism splits its tokens.
// Shared by the memory estimate, the plan check and the step's costs.
#pragma once

#include <cstdint>

#include "workloads/model.hpp"
#include "workloads/pretraining/pretraining.hpp"

namespace dcsim::wl {

// Parameters of one layer, split into what TP shards (dense) and what EP shards (routed experts).
struct LayerParams {
  double dense = 0, experts = 0;
};
LayerParams layer_params(const ModelSpec& m, std::int64_t layer);

// Megatron-LM's uneven split (first_stage_layers / last_stage_layers): the given ends' layers (-1: not given), the
// stages between them and the layers they share evenly (`rest`; `middle` each when they divide).
struct UnevenSplit {
  std::int64_t first = -1, last = -1, rest = 0, middle = 0;
  int middle_stages = 0;
};
UnevenSplit uneven_split(const PretrainingWorkload& w, const ModelSpec& m);

// Model chunk j (0 .. pp*interleave-1) holds layers [first, first + count).
struct ChunkLayers {
  std::int64_t first = 0, count = 0;
};
ChunkLayers chunk_layers(const PretrainingWorkload& w, const ModelSpec& m, int j);

// Width per token of the K and V tensors attention keeps (and ring attention passes around): 2 x kv_heads x
// head_dim, or with MLA the decompressed per-head keys and values.
double kv_width(const ModelSpec& m);

// The ways sequence parallelism splits a layer's replicated activations: tp with SP, else 1.
int sequence_shards(const PretrainingWorkload& w);

}  // namespace dcsim::wl
