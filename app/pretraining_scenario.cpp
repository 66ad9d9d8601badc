#include "app/pretraining_scenario.hpp"

#include <array>
#include <cstddef>
#include <string>

namespace dcsim::app {
namespace {

// Reads enum `key` spelled as the values' to_string (the names results and traces print), in the order of `all`.
template <class E, std::size_t N>
E get_named_enum_or(const ConfigNode& n, std::string_view key, const std::array<E, N>& all, E fallback) {
  Choices names;
  for (const E e : all) names.emplace_back(to_string(e));
  const std::string name = n.get_enum_or(key, names, to_string(fallback));
  for (const E e : all) {
    if (name == to_string(e)) return e;
  }
  return fallback;
}

}  // namespace

wl::PretrainingWorkload parse_pretraining(const ConfigNode& w, const hw::ClusterSpec& cluster,
                                          const std::optional<wl::ModelSpec>& model) {
  if (!model) w.fail("pretraining needs a model: add a top-level `model:` (a catalog name or an inline model)");
  wl::PretrainingWorkload p;
  const ConfigNode par = w.child("parallelism");
  p.tp = static_cast<int>(par.get_int_or("tp", p.tp, 1, 1 << 20));
  p.pp = static_cast<int>(par.get_int_or("pp", p.pp, 1, 1 << 20));
  p.cp = static_cast<int>(par.get_int_or("cp", p.cp, 1, 1 << 20));
  p.ep = static_cast<int>(par.get_int_or("ep", p.ep, 1, 1 << 20));
  const int gpus = cluster.total_gpus();
  const int rest = p.tp * p.pp * p.cp;
  // dp defaults to what the other dimensions leave of the cluster.
  p.dp = static_cast<int>(par.get_int_or("dp", rest > 0 && gpus % rest == 0 ? gpus / rest : 1, 1, 1 << 24));
  par.finish();
  p.seq_len = w.get_int("seq_len", 1, 1 << 24);
  p.global_batch = w.get_int("global_batch", 1, std::int64_t{1} << 40);
  p.micro_batch = w.get_int_or("micro_batch", p.micro_batch, 1, 1 << 20);
  using wl::PipelineSchedule, wl::Recompute, wl::AttentionKernel, hw::Precision;
  p.schedule = get_named_enum_or(
      w, "schedule",
      std::array{PipelineSchedule::one_f_one_b, PipelineSchedule::interleaved, PipelineSchedule::gpipe,
                 PipelineSchedule::zb_h1},
      p.schedule);
  p.interleave = static_cast<int>(w.get_int_or("interleave", p.interleave, 1, 1024));
  p.recompute = get_named_enum_or(w, "recompute", std::array{Recompute::none, Recompute::selective, Recompute::full},
                                  p.recompute);
  p.precision = get_named_enum_or(w, "precision", std::array{Precision::bf16, Precision::fp8, Precision::fp4},
                                  p.precision);
  p.steps = static_cast<int>(w.get_int_or("steps", p.steps, 1, 1'000'000));
  p.sequence_parallel = w.get_bool_or("sequence_parallel", p.sequence_parallel);
  p.zero = static_cast<int>(w.get_int_or("zero", p.zero, 0, 3));
  p.overlap_grad_reduce = w.get_bool_or("overlap_grad_reduce", p.overlap_grad_reduce);
  p.overlap_param_gather = w.get_bool_or("overlap_param_gather", p.overlap_param_gather);
  p.overlap_tp_comm = w.get_bool_or("overlap_tp_comm", p.overlap_tp_comm);
  p.comm_sm_share = w.get_number_or("comm_sm_share", p.comm_sm_share, 0.0, 0.9);
  p.grad_accumulation_fusion = w.get_bool_or("grad_accumulation_fusion", p.grad_accumulation_fusion);
  p.grad_reduce_fp32 = w.get_bool_or("grad_reduce_fp32", p.grad_reduce_fp32);
  p.allow_tp_across_domains = w.get_bool_or("allow_tp_across_domains", p.allow_tp_across_domains);
  p.attention_kernel = get_named_enum_or(
      w, "attention_kernel", std::array{AttentionKernel::flash, AttentionKernel::unfused}, p.attention_kernel);
  p.pipeline_ends_fewer_layers =
      static_cast<int>(w.get_int_or("pipeline_ends_fewer_layers", p.pipeline_ends_fewer_layers, 0, 1 << 20));
  p.dropout = w.get_bool_or("dropout", p.dropout);
  p.async_p2p = w.get_bool_or("async_p2p", p.async_p2p);
  p.straggler_cv = w.get_number_or("straggler_cv", p.straggler_cv, 0.0, 0.5);
  w.finish();
  try {
    wl::check_plan(p, *model, cluster);
  } catch (const wl::PlanError& e) {
    // Blame the key to change: `parallelism.tp` -> that node, else the workload mapping itself.
    const std::string& key = e.key();
    const auto dot = key.find('.');
    if (dot != std::string::npos && w.has(key.substr(0, dot))) {
      const ConfigNode parent = w.child(key.substr(0, dot));
      const std::string leaf = key.substr(dot + 1);
      if (parent.has(leaf)) parent.child(leaf).fail(e.what());
      parent.fail(e.what());
    }
    if (dot == std::string::npos && w.has(key)) w.child(key).fail(e.what());
    w.fail(e.what());
  }
  return p;
}

}  // namespace dcsim::app
