// How many kernels an engine's host launches for one step when the step runs eagerly (no CUDA graph), and which
// steps do. A CUDA graph replays a whole step with one host call; an eager step launches every kernel from the
// host (PyTorch eager: Python, the dispatcher and the driver, ~25 us a kernel), so a step of many short kernels
// waits for the host. docs/serving.md, "CUDA graphs and eager steps", derives every count and figure here.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/model.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::wl::serving {

// Kernels of one layer in its decode form: one per op of model_ops::layer_ops, the attention core's QK^T and PV
// as one fused kernel; per attention block a KV-cache write kernel and, with RoPE, a rotary-embedding kernel
// (model_ops folds both into the projections); per FFN block (dense, routed or shared experts) the activation
// kernel; per MoE layer the top-k, token permute and finalize kernels of the routed experts; per collective its
// kernel (`tp_all_reduce`: the two TP all-reduces; `ep_all_to_all`: dispatch and combine of a MoE layer).
int layer_kernel_launches(const ModelSpec& m, std::int64_t layer, bool tp_all_reduce, bool ep_all_to_all);

// Kernels outside the layers: embedding, final norm, LM head and sampling.
inline constexpr int kHeadKernelLaunches = 4;

// Whether an engine runs a step as a CUDA graph (false: eagerly). `decode_seqs` and `tokens` are per attention
// group when the instance has attention data-parallel groups (each rank captures graphs for its own batch), and
// `has_prefill` is true when any group holds a prompt chunk (TensorRT-LLM runs every rank eagerly then).
//   decode_only (TensorRT-LLM's PyTorch backend, SGLang, vLLM v0): decode-only steps of at most max_batch
//                sequences; a step with a prompt chunk, or a larger batch, runs eagerly.
//   all (vLLM v1 piecewise graphs): every step of at most max_batch tokens.
//   none (--enforce-eager, --disable-cuda-graph): every step eagerly.
bool runs_as_graph(PoolSpec::CudaGraphs mode, int max_batch, std::int64_t decode_seqs, std::int64_t tokens,
                   bool has_prefill);

// The captured size a graph step of `n` (sequences or tokens) replays: the smallest of `sizes` (ascending) that holds
// it, n itself when sizes is empty (every size captured) or none holds it (the step then runs eagerly anyway).
std::int64_t graph_size(const std::vector<int>& sizes, std::int64_t n);

}  // namespace dcsim::wl::serving
