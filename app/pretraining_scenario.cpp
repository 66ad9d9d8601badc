#include "app/pretraining_scenario.hpp"

#include "app/catalog.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace dcsim::app {
namespace {

// Reads enum `key` spelled as the values' to_string (the names results and traces print).
template <class E, std::size_t N>
E named_enum(const schema::Reader& n, std::string_view key, const std::array<E, N>& all) {
  const std::string name = n.choice(key);
  for (const E e : all) {
    if (name == to_string(e)) return e;
  }
  throw std::logic_error("pretraining: declared choice '" + name + "' of " + std::string(key) + " has no value");
}

// Megatron-core's all-to-all overlap needs a forward and a backward in flight together (1F1B or interleaved, so at
// least two micro-batches) and refuses full recomputation; zb-h1 stands in for DualPipe, whose pairs these are.
void check_overlap_ep_comm(const ConfigNode& key, const wl::PretrainingWorkload& p, const wl::ModelSpec& model) {
  using wl::PipelineSchedule, wl::Recompute;
  if (!model.is_moe() || p.ep < 2) {
    key.fail_value("a MoE model with ep > 1 (an expert all-to-all to overlap)",
                   "set parallelism.ep > 1 with a MoE model, or remove overlap_ep_comm");
  }
  if (p.schedule == PipelineSchedule::gpipe) {
    key.fail_value("a schedule that runs a forward beside a backward (1f1b, interleaved, zb-h1)",
                   "gpipe runs every forward before any backward: nothing to pair");
  }
  if (p.micro_batches() < 2) {
    key.fail_value("at least two micro-batches per replica (a forward of one beside the backward of another)",
                   "global_batch / (micro_batch x dp) is " + std::to_string(p.micro_batches()));
  }
  if (p.recompute == Recompute::full) {
    key.fail_value("recompute none or selective (Megatron-core refuses the overlap with full recomputation)",
                   "recompute is full");
  }
}

// Transformer Engine's per-GEMM settings. At tp 1 there is nothing to overlap (a scenario's recipe may be reused
// there); otherwise TE needs overlap_tp_comm and sequence parallelism.
wl::PretrainingWorkload::TpOverlap parse_tp_overlap(const schema::Reader& te, const wl::PretrainingWorkload& p,
                                                    const hw::GpuSpec& gpu) {
  using wl::RsOverlap;
  if (p.tp > 1 && (!p.overlap_tp_comm || !p.sequence_parallel)) {
    te.fail("tp_overlap configures Transformer Engine's TP overlap, which at tp > 1 runs only with overlap_tp_comm: "
            "true and sequence_parallel: true; set those or remove tp_overlap");
  }
  const auto method = [&](const char* key) {
    return named_enum(te, key, std::array{RsOverlap::pipeline, RsOverlap::ring_exchange});
  };
  const auto sms = [&](const char* key, RsOverlap m) {
    const std::int64_t v = te.integer(key);
    if (te.has(key) && m != RsOverlap::pipeline) {
      te.node().child(key).fail_value("a pipelined reduce-scatter", std::string(key) + " is set, but its GEMM runs "
                                      "ring_exchange (copy engines, no SMs held); remove it or choose pipeline");
    }
    if (te.has(key) && gpu.sm_count > 0 && v >= gpu.sm_count) {
      te.node().child(key).fail_value("fewer SMs than the GPU's " + std::to_string(gpu.sm_count),
                                      std::to_string(v) + " leaves the GEMM no SMs");
    }
    return static_cast<int>(v);
  };
  wl::PretrainingWorkload::TpOverlap t;
  t.proj_fprop = method("proj_fprop");
  t.fc2_fprop = method("fc2_fprop");
  t.proj_fprop_sms = sms("proj_fprop_sms", t.proj_fprop);
  t.fc2_fprop_sms = sms("fc2_fprop_sms", t.fc2_fprop);
  te.finish();
  return t;
}

}  // namespace

wl::PretrainingWorkload parse_pretraining(const schema::Reader& w, const hw::ClusterSpec& cluster,
                                          const std::optional<wl::ModelSpec>& model, const Catalog& catalog) {
  if (!model) w.fail("pretraining needs a model: add a top-level `model:` (a catalog name or an inline model)");
  wl::PretrainingWorkload p;
  const schema::Reader par = w.section("parallelism");
  p.tp = static_cast<int>(par.integer("tp"));
  p.pp = static_cast<int>(par.integer("pp"));
  p.cp = static_cast<int>(par.integer("cp"));
  p.ep = static_cast<int>(par.integer("ep"));
  const int gpus = cluster.total_gpus();
  const int rest = p.tp * p.pp * p.cp;
  // dp defaults to what the other dimensions leave of the cluster.
  const int dp_left = rest > 0 && gpus % rest == 0 ? gpus / rest : 1;
  p.dp = static_cast<int>(par.integer_if("dp").value_or(dp_left));
  par.finish();
  p.seq_len = w.integer("seq_len");
  p.global_batch = w.integer("global_batch");
  p.micro_batch = w.integer("micro_batch");
  using wl::PipelineSchedule, wl::Recompute, wl::AttentionKernel, hw::Precision;
  p.schedule = named_enum(w, "schedule",
                          std::array{PipelineSchedule::one_f_one_b, PipelineSchedule::interleaved,
                                     PipelineSchedule::gpipe, PipelineSchedule::zb_h1});
  p.interleave = static_cast<int>(w.integer("interleave"));
  p.recompute = named_enum(w, "recompute", std::array{Recompute::none, Recompute::selective, Recompute::full});
  if (const auto modules = w.value_if("recompute_modules")) {
    if (p.recompute != Recompute::selective) {
      modules->node().fail_value("recompute: selective (recompute_modules says what it reruns)",
                                 "recompute is " + std::string(wl::to_string(p.recompute)) +
                                     "; set recompute: selective or remove recompute_modules");
    }
    p.recompute_modules = wl::RecomputeModules{false, false, false, false, false};
    std::vector<std::string> seen;
    for (const schema::Value& item : modules->items()) {
      const std::string name = item.choice();
      if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
        item.node().fail_value("each module once", "'" + name + "' is listed twice");
      }
      seen.push_back(name);
      wl::RecomputeModules& r = p.recompute_modules;
      (name == "core_attn" ? r.core_attn : name == "layernorm" ? r.layernorm : name == "mlp" ? r.mlp
                           : name == "moe_act" ? r.moe_act : r.mla_up_proj) = true;
    }
  }
  p.precision = named_enum(w, "precision", std::array{Precision::bf16, Precision::fp8, Precision::fp4});
  p.steps = static_cast<int>(w.integer("steps"));
  p.sequence_parallel = w.boolean("sequence_parallel");
  p.zero = static_cast<int>(w.integer("zero"));
  p.overlap_grad_reduce = w.boolean("overlap_grad_reduce");
  p.overlap_param_gather = w.boolean("overlap_param_gather");
  p.overlap_tp_comm = w.boolean("overlap_tp_comm");
  p.comm_sm_share = w.number("comm_sm_share");
  p.overlap_ep_comm = w.boolean("overlap_ep_comm");
  if (p.overlap_ep_comm) check_overlap_ep_comm(w.node().child("overlap_ep_comm"), p, *model);
  if (const auto te = w.section_if("tp_overlap")) p.tp_overlap = parse_tp_overlap(*te, p, cluster.gpu);
  p.grad_accumulation_fusion = w.boolean("grad_accumulation_fusion");
  p.grad_reduce_fp32 = w.boolean("grad_reduce_fp32");
  p.narrow_weights = w.boolean("narrow_weights");
  p.allow_tp_across_domains = w.boolean("allow_tp_across_domains");
  p.attention_kernel = named_enum(w, "attention_kernel", std::array{AttentionKernel::flash, AttentionKernel::unfused});
  p.pipeline_ends_fewer_layers = static_cast<int>(w.integer("pipeline_ends_fewer_layers"));
  p.first_stage_layers = static_cast<int>(w.integer_if("first_stage_layers").value_or(-1));
  p.last_stage_layers = static_cast<int>(w.integer_if("last_stage_layers").value_or(-1));
  p.dropout = w.boolean("dropout");
  p.async_p2p = w.boolean("async_p2p");
  p.straggler_cv = w.number_if("straggler_cv").value_or(cluster.gpu.sustained_clock_spread);
  if (const auto rel = w.section_if("reliability")) {
    wl::GoodputSpec g;
    g.profile = load_reliability(catalog, rel->catalog_name("profile", catalog.names("reliability")));
    g.duration_s = rel->quantity("duration");
    if (const auto interval = rel->value_if("checkpoint_interval"); interval && !interval->is_word("auto")) {
      g.checkpoint_interval_s = interval->quantity();
    }
    g.checkpoint_write_bandwidth = rel->quantity("checkpoint_write");
    g.checkpoint_read_bandwidth = rel->quantity_if("checkpoint_read").value_or(g.checkpoint_write_bandwidth);
    g.async_checkpoint = rel->boolean("async_checkpoint");
    g.restart_s = rel->quantity("restart");
    rel->finish();
    p.reliability = g;
  }
  w.finish();
  try {
    wl::check_plan(p, *model, cluster);
  } catch (const wl::PlanError& e) {
    // Blame the key to change: `parallelism.tp` -> that node, else the workload mapping itself.
    const std::string& key = e.key();
    const auto dot = key.find('.');
    const ConfigNode& n = w.node();
    if (dot != std::string::npos && n.has(key.substr(0, dot))) {
      const ConfigNode parent = n.child(key.substr(0, dot));
      const std::string leaf = key.substr(dot + 1);
      if (parent.has(leaf)) parent.child(leaf).fail(e.what());
      parent.fail(e.what());
    }
    if (dot == std::string::npos && n.has(key)) n.child(key).fail(e.what());
    w.fail(e.what());
  }
  return p;
}

}  // namespace dcsim::app
