#include "workloads/serving/engine_memory.hpp"

namespace dcsim::wl::serving {

double activation_peak_bytes(const ModelSpec& m, const PoolSpec& pool, double activation_bytes) {
  // With attention data-parallel over ep groups each GPU runs 1/ep of the instance's tokens and sequences.
  const double ep = pool.ep;
  const double tokens = static_cast<double>(pool.token_budget) / ep;
  double bytes = static_cast<double>(pool.max_batch) / ep * static_cast<double>(m.vocab) * kSamplerBytesPerLogit +
                 tokens * kActivationBytesPerToken;
  if (m.is_moe()) {
    // The expert rank's share of the routed assignments, each with its slice of the gated intermediate.
    const double ranks = pool.expert_ranks();
    const double f = static_cast<double>(m.moe.ffn_hidden), up = m.gated_ffn() ? 2 * f : f;
    bytes += static_cast<double>(pool.token_budget) * static_cast<double>(m.moe.top_k) / ranks * up /
             pool.expert_split() * activation_bytes;
  }
  return bytes;
}

GpuMemoryPlan plan_gpu_memory(const ModelSpec& m, const PoolSpec& pool, const hw::GpuSpec& gpu, double weights,
                              double activation_bytes) {
  GpuMemoryPlan p;
  p.usable = gpu.hbm_usable > 0 ? gpu.hbm_usable : gpu.hbm_capacity;
  p.weights = weights;
  p.activations = activation_peak_bytes(m, pool, activation_bytes);
  p.runtime = pool.gpus() > 1 ? kRuntimeBytesMultiGpu : kRuntimeBytesSingleGpu;  // NCCL buffers with any parallelism
  const double rest = p.weights + p.activations + p.runtime;
  p.kv = pool.kv_free_memory_fraction > 0 ? pool.kv_free_memory_fraction * (p.usable - rest)
                                          : pool.memory_utilization * p.usable - rest;
  return p;
}

}  // namespace dcsim::wl::serving
