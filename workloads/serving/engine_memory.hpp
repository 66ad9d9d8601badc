// How a serving engine divides one GPU's memory (docs/serving.md, "Memory"): the bytes CUDA exposes, the share
// the engine may use, the weights, the activation peak its profiling run measures at the token budget, the
// runtime's own buffers, and what is left for the KV cache. Two policies, as the engines define them:
//   vLLM (gpu_memory_utilization u):        KV = u x usable - weights - activations - runtime
//   TensorRT-LLM (free-memory fraction f):  KV = f x (usable - weights - activations - runtime)
// The terms are measured from vLLM 0.19's startup logs on H100 (tests/workloads/test_engine_memory.cpp checks
// eleven published KV capacities).
#pragma once

#include "hw/spec.hpp"
#include "workloads/model.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::wl::serving {

// Sampler working set per (sequence x vocabulary entry): fp32 logits and two fp32 working copies (vLLM's sampler
// profiling at max_num_seqs). Fitted from vLLM 0.19 on H100: the activation peak rises 1.12 GiB from CodeLlama-7B
// (vocab 32,016) to Llama-3.1-8B (128,256) at 1,024 sequences: 1.12 GiB / (1024 x 96,240) = 12.2 B.
inline constexpr double kSamplerBytesPerLogit = 12;
// Dense working set per token of the budget: CodeLlama-7B's 0.77 GiB peak less its sampler's 1024 x 32,016 x 12 B
// (0.37 GiB), over vLLM's 8,192-token profiling batch: 52 KB a token. It did not grow with the hidden size
// (Llama-3.3-70B at 8192: 1.96 GiB against Llama-3.1-8B's 1.89), so it is one constant.
inline constexpr double kActivationBytesPerToken = 52e3;
// The runtime's buffers outside the weights and activations (vLLM's "non-torch forward increase"): 0.25 GiB on one
// GPU (cuBLAS workspace and allocator slack); 2.1 GiB with tensor or expert parallelism (NCCL and custom
// all-reduce buffers: 2.07-2.21 GiB at TP2 and TP4 in the same logs).
inline constexpr double kRuntimeBytesSingleGpu = 0.25 * (1ull << 30);
inline constexpr double kRuntimeBytesMultiGpu = 2.1 * (1ull << 30);

struct GpuMemoryPlan {
  double usable = 0;       // bytes CUDA exposes (GpuSpec::hbm_usable, else hbm_capacity)
  double weights = 0;      // this GPU's share of the weights
  double activations = 0;  // peak of one iteration at the token budget and max_batch
  double runtime = 0;      // communication buffers, workspaces
  double kv = 0;           // left for the KV cache (may be <= 0: nothing fits)
};

// The activation peak one GPU of the pool reserves: the sampler's logits for its max_batch / ep sequences, the
// dense working set of its token_budget / ep tokens (attention runs data-parallel over the ep groups), and for MoE
// models the fused expert kernel's intermediate (its rank's token_budget x top_k / ranks assignments x the gated
// width / expert_tp, at `activation_bytes`).
double activation_peak_bytes(const ModelSpec& m, const PoolSpec& pool, double activation_bytes);
GpuMemoryPlan plan_gpu_memory(const ModelSpec& m, const PoolSpec& pool, const hw::GpuSpec& gpu, double weights,
                              double activation_bytes);

}  // namespace dcsim::wl::serving
