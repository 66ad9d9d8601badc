#include "app/pretraining_scenario.hpp"

#include <string>

namespace dcsim::app {

wl::PretrainingWorkload parse_pretraining(const ConfigNode& w, const hw::ClusterSpec& cluster,
                                          const std::optional<wl::ModelSpec>& model) {
  if (!model) w.fail("pretraining needs a model: add a top-level `model:` (a catalog name or an inline model)");
  wl::PretrainingWorkload p;
  const ConfigNode par = w.child("parallelism");
  p.tp = static_cast<int>(par.get_int_or("tp", 1, 1, 1 << 20));
  p.pp = static_cast<int>(par.get_int_or("pp", 1, 1, 1 << 20));
  p.cp = static_cast<int>(par.get_int_or("cp", 1, 1, 1 << 20));
  p.ep = static_cast<int>(par.get_int_or("ep", 1, 1, 1 << 20));
  const int gpus = cluster.total_gpus();
  const int rest = p.tp * p.pp * p.cp;
  // dp defaults to what the other dimensions leave of the cluster.
  p.dp = static_cast<int>(par.get_int_or("dp", rest > 0 && gpus % rest == 0 ? gpus / rest : 1, 1, 1 << 24));
  par.finish();
  p.seq_len = w.get_int("seq_len", 1, 1 << 24);
  p.global_batch = w.get_int("global_batch", 1, std::int64_t{1} << 40);
  p.micro_batch = w.get_int_or("micro_batch", 1, 1, 1 << 20);
  const std::string sched = w.get_enum_or("schedule", {"1f1b", "interleaved", "gpipe"}, "1f1b");
  p.schedule = sched == "interleaved" ? wl::PipelineSchedule::interleaved
               : sched == "gpipe"     ? wl::PipelineSchedule::gpipe
                                      : wl::PipelineSchedule::one_f_one_b;
  p.interleave = static_cast<int>(w.get_int_or("interleave", 1, 1, 1024));
  const std::string rc = w.get_enum_or("recompute", {"none", "selective", "full"}, "none");
  p.recompute = rc == "full" ? wl::Recompute::full : rc == "selective" ? wl::Recompute::selective : wl::Recompute::none;
  const std::string prec = w.get_enum_or("precision", {"bf16", "fp8", "fp4"}, "bf16");
  p.precision = prec == "fp8" ? hw::Precision::fp8 : prec == "fp4" ? hw::Precision::fp4 : hw::Precision::bf16;
  p.steps = static_cast<int>(w.get_int_or("steps", 1, 1, 1'000'000));
  p.sequence_parallel = w.get_bool_or("sequence_parallel", true);
  p.zero = static_cast<int>(w.get_int_or("zero", 1, 0, 3));
  p.overlap_grad_reduce = w.get_bool_or("overlap_grad_reduce", true);
  p.overlap_param_gather = w.get_bool_or("overlap_param_gather", true);
  p.overlap_tp_comm = w.get_bool_or("overlap_tp_comm", false);
  p.comm_sm_share = w.get_number_or("comm_sm_share", 0.15, 0.0, 0.9);
  p.grad_accumulation_fusion = w.get_bool_or("grad_accumulation_fusion", true);
  p.grad_reduce_fp32 = w.get_bool_or("grad_reduce_fp32", false);
  p.allow_tp_across_domains = w.get_bool_or("allow_tp_across_domains", false);
  p.attention_kernel = w.get_enum_or("attention_kernel", {"flash", "unfused"}, "flash") == "unfused"
                           ? wl::AttentionKernel::unfused
                           : wl::AttentionKernel::flash;
  p.pipeline_ends_fewer_layers = static_cast<int>(w.get_int_or("pipeline_ends_fewer_layers", 0, 0, 1 << 20));
  p.dropout = w.get_bool_or("dropout", false);
  p.async_p2p = w.get_bool_or("async_p2p", false);
  p.straggler_cv = w.get_number_or("straggler_cv", 0.0, 0.0, 0.5);
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
