// The rules a tensor-parallel degree obeys in every workload (pretraining, serving, agents), written once: tp
// divides the attention heads (each GPU holds whole heads), tp and kv_heads divide one another (KV heads are split
// or replicated, as Megatron and vLLM do), and a TP group stays inside one scale-up (NVLink) domain, whose size tp
// must divide so that no group straddles two.
#pragma once

#include <optional>
#include <string>

#include "hw/spec.hpp"
#include "workloads/model.hpp"

namespace dcsim::wl {

struct TensorParallelProblem {
  enum class Rule { domain, heads, kv_heads };
  Rule rule;
  std::string message;  // what is wrong and, for the domain rule, "lower tp"
};

// What is wrong with `tp` for this model on this cluster, or nullopt. `allow_across_domains` lifts the domain rule
// (pretraining's allow_tp_across_domains).
std::optional<TensorParallelProblem> tensor_parallel_problem(const ModelSpec& m, int tp, const hw::ClusterSpec& c,
                                                             bool allow_across_domains = false);

}  // namespace dcsim::wl
