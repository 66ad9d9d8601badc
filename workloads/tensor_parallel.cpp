#include "workloads/tensor_parallel.hpp"

#include <algorithm>

namespace dcsim::wl {

std::optional<TensorParallelProblem> tensor_parallel_problem(const ModelSpec& m, int tp, const hw::ClusterSpec& c,
                                                             bool allow_across_domains) {
  using Rule = TensorParallelProblem::Rule;
  const std::string t = std::to_string(tp);
  const int domain = c.system.scale_up.domain_gpus > 0 ? std::min(c.system.scale_up.domain_gpus, c.total_gpus()) : 1;
  if (!allow_across_domains && (tp > domain || domain % tp != 0)) {
    return TensorParallelProblem{Rule::domain, "tp = " + t + " does not fit inside the NVLink domain of " +
                                                   std::to_string(domain) + " GPUs (it must divide it, so that no "
                                                   "tensor-parallel group straddles two domains); lower tp"};
  }
  if (m.heads % tp != 0) {
    return TensorParallelProblem{
        Rule::heads, "the model's " + std::to_string(m.heads) + " attention heads are not divisible by tp = " + t};
  }
  if (m.attention != AttentionKind::mla && m.kv_heads % tp != 0 && tp % m.kv_heads != 0) {
    return TensorParallelProblem{Rule::kv_heads,
                                 "kv_heads = " + std::to_string(m.kv_heads) + " and tp = " + t + ": one must divide the other"};
  }
  return std::nullopt;
}

}  // namespace dcsim::wl
