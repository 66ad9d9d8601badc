// The plan check: every rule a pretraining plan must meet, each failure naming the key to change.
#include <cstdint>
#include <string>

#include "workloads/pretraining/chunking.hpp"
#include "workloads/pretraining/pretraining.hpp"
#include "workloads/pretraining/state_bytes.hpp"
#include "workloads/tensor_parallel.hpp"

namespace dcsim::wl {
namespace {

using i64 = std::int64_t;

// Megatron-LM's uneven split: the first and/or last stage's layers given, the middle stages' the rest, evenly; each
// stage's layers divide into its interleave chunks (transformer_config.py's checks).
void check_uneven_stages(const PretrainingWorkload& w, const ModelSpec& m) {
  auto fail = [](const std::string& key, const std::string& msg) { throw PlanError(key, msg); };
  const std::string key = w.first_stage_layers >= 0 ? "first_stage_layers" : "last_stage_layers";
  if (w.pp < 2) fail(key, key + " needs pp >= 2 (one stage is both the first and the last); remove it or raise pp");
  if (w.pipeline_ends_fewer_layers != 0) {
    fail(key, key + " and pipeline_ends_fewer_layers both shape the ends (Megatron-LM refuses the pair); keep one");
  }
  const UnevenSplit split = uneven_split(w, m);
  const int middle_stages = split.middle_stages;
  const i64 rest = split.rest;
  const std::string what = "the model's " + std::to_string(m.layers) + " layers less first_stage_layers and " +
                           "last_stage_layers leave " + std::to_string(rest);
  if (w.first_stage_layers == 0 || w.last_stage_layers == 0) {
    fail(w.first_stage_layers == 0 ? "first_stage_layers" : "last_stage_layers",
         "a stage of no layers (Megatron-LM requires at least one); give it a layer, or remove the key");
  }
  if (rest < 0 || (middle_stages == 0 && rest != 0) || (middle_stages > 0 && rest == 0)) {
    fail(key, what + " for the " + std::to_string(middle_stages) + " other stages; the counts must add up to the layers");
  }
  if (middle_stages > 0 && rest % middle_stages != 0) {
    fail(key, what + ", which do not split evenly over the " + std::to_string(middle_stages) +
                  " middle stages; change the first or last stage's count or pp");
  }
  const i64 middle = split.middle;
  for (const auto& [name, n] : {std::pair<std::string, i64>{"first_stage_layers", w.first_stage_layers},
                                {"last_stage_layers", w.last_stage_layers}, {"parallelism.pp", middle}}) {
    if (n >= 0 && n % w.interleave != 0) {
      fail(name, (name == "parallelism.pp" ? "the middle stages' " + std::to_string(n) + " layers each"
                                           : name + " = " + std::to_string(n)) +
                     " do not split into interleave = " + std::to_string(w.interleave) +
                     " chunks; make each stage's layers a multiple of the interleave");
    }
  }
}

}  // namespace

void check_plan(const PretrainingWorkload& w, const ModelSpec& m, const hw::ClusterSpec& c) {
  auto fail = [](const std::string& key, const std::string& msg) { throw PlanError(key, msg); };
  const int gpus = c.total_gpus();
  const i64 product = i64{w.tp} * w.pp * w.dp * w.cp;
  if (product != gpus) {
    fail("parallelism", "tp*pp*dp*cp = " + std::to_string(w.tp) + "*" + std::to_string(w.pp) + "*" +
                            std::to_string(w.dp) + "*" + std::to_string(w.cp) + " = " + std::to_string(product) +
                            " but the cluster has " + std::to_string(gpus) +
                            " GPUs (hardware.count x GPUs per system); change dp or hardware.count");
  }
  if (const auto problem = tensor_parallel_problem(m, w.tp, c, w.allow_tp_across_domains)) {
    const bool domain = problem->rule == TensorParallelProblem::Rule::domain;
    fail("parallelism.tp", problem->message + (domain ? " and raise pp, or set allow_tp_across_domains: true" : ""));
  }
  if (w.schedule == PipelineSchedule::zb_h1 && w.interleave != 1) {
    fail("interleave", "interleave = " + std::to_string(w.interleave) +
                           " but schedule: zb-h1 runs one model chunk per stage (Qi et al.'s ZB-H1 has no virtual "
                           "stages); set interleave: 1, or use schedule: interleaved for virtual stages");
  }
  if (w.schedule == PipelineSchedule::zb_h1 && w.pp < 2) {
    fail("schedule", "schedule: zb-h1 needs pp >= 2 but parallelism.pp = " + std::to_string(w.pp) +
                         " (one stage has no pipeline bubble for W passes to fill); use schedule: 1f1b or raise pp");
  }
  if (w.schedule != PipelineSchedule::interleaved && w.interleave != 1) {
    fail("interleave", "interleave > 1 needs schedule: interleaved");
  }
  if (w.schedule == PipelineSchedule::interleaved && (w.interleave < 2 || w.pp < 2)) {
    fail("interleave", "schedule: interleaved needs interleave >= 2 and pp >= 2");
  }
  const i64 C = i64{w.pp} * w.interleave;
  const i64 cut = w.pipeline_ends_fewer_layers;
  const bool uneven = w.first_stage_layers >= 0 || w.last_stage_layers >= 0;
  if (uneven) check_uneven_stages(w, m);
  // The end chunks may hold no transformer layer at all: the embedding alone and the output layer and loss alone
  // (Llama 3 §3.3.2; Megatron-LM's account_for_embedding/loss_in_pipeline_split with one layer a chunk).
  const i64 per = (m.layers + 2 * cut) / C;
  if (!uneven && ((m.layers + 2 * cut) % C != 0 || (C > 1 && (per < 1 || per - cut < 0)) || (C == 1 && cut != 0))) {
    fail("parallelism.pp", "the model's " + std::to_string(m.layers) + " layers" +
                               (cut ? " (+2x" + std::to_string(cut) + " taken off the ends)" : std::string()) +
                               " do not split evenly into pp x interleave = " + std::to_string(C) +
                               " chunks; choose pp (and interleave) dividing the layers, or pipeline_ends_fewer_layers");
  }
  if (w.global_batch % (w.micro_batch * w.dp) != 0) {
    fail("global_batch", "global_batch = " + std::to_string(w.global_batch) + " is not a multiple of micro_batch x dp = " +
                             std::to_string(w.micro_batch * w.dp));
  }
  const i64 mbs = w.micro_batches();
  if (w.schedule == PipelineSchedule::interleaved && mbs % w.pp != 0) {
    fail("global_batch", "the interleaved schedule needs micro-batches per replica (" + std::to_string(mbs) +
                             ") to be a multiple of pp = " + std::to_string(w.pp));
  }
  if (w.schedule == PipelineSchedule::zb_h1 && mbs < w.pp) {
    fail("global_batch", "schedule: zb-h1 needs at least pp = " + std::to_string(w.pp) +
                             " micro-batches per replica but global_batch / (micro_batch x dp) = " +
                             std::to_string(mbs) +
                             " (Qi et al.'s ZB-H1 is laid out for m >= p); raise global_batch, lower "
                             "micro_batch or dp, or use schedule: 1f1b");
  }
  if (w.cp > 1 && w.seq_len % (2 * w.cp) != 0) {
    fail("parallelism.cp", "seq_len = " + std::to_string(w.seq_len) + " must be a multiple of 2 x cp = " +
                               std::to_string(2 * w.cp) + " (load-balanced causal chunks)");
  }
  if (w.ep > 1) {
    if (!m.is_moe()) fail("parallelism.ep", "ep > 1 needs a mixture-of-experts model; '" + m.name + "' is dense");
    if (m.moe.experts % w.ep != 0) {
      fail("parallelism.ep", "the model's " + std::to_string(m.moe.experts) + " experts are not divisible by ep = " +
                                 std::to_string(w.ep));
    }
    if (w.ep > w.dp * w.tp || (w.dp * w.tp) % w.ep != 0) {
      fail("parallelism.ep", "ep = " + std::to_string(w.ep) + " must divide dp x tp = " + std::to_string(w.dp * w.tp) +
                                 " (expert groups are carved from the data- and tensor-parallel ranks)");
    }
  }
  if (m.is_moe() && w.tp > 1 && !w.sequence_parallel) {
    fail("sequence_parallel", "MoE layers with tp > 1 need sequence_parallel: true (Megatron-LM requires it)");
  }
  if (c.gpu.flops.at(w.precision) <= 0) {
    fail("precision", "GPU '" + c.gpu.name + "' has no " + std::string(hw::to_string(w.precision)) +
                          " tensor cores; use bf16" + (c.gpu.flops.fp8 > 0 ? " or fp8" : ""));
  }
  if (w.recompute == Recompute::selective) {
    const RecomputeModules& r = w.recompute_modules;
    const bool dense_layers = m.layers > m.moe_layers();
    const char* missing = r.mla_up_proj && m.attention != AttentionKind::mla ? "mla_up_proj (the model has no MLA)"
                          : r.moe_act && !m.is_moe()                         ? "moe_act (the model has no MoE layer)"
                          : r.mlp && !dense_layers                           ? "mlp (every layer is MoE; Megatron's mlp "
                                                                               "recompute skips MoE layers)"
                                                                             : nullptr;
    if (missing != nullptr) {
      fail("recompute_modules", std::string("recompute_modules names ") + missing + " for '" + m.name +
                                    "', which would rerun nothing; remove it");
    }
  }
  if (w.narrow_weights && w.zero == 0) {
    fail("narrow_weights", "narrow_weights keeps the fp32 master weights in the distributed optimizer (Megatron's "
                           "--fp8-param-gather needs it, or FSDP); set zero: 1 or more, or narrow_weights: false");
  }
  const MemoryEstimate mem = estimate_memory(w, m, c);
  if (mem.total() > c.gpu.hbm_capacity) {
    fail("micro_batch",
         "the plan does not fit: pipeline stage " + std::to_string(mem.stage) + " needs " + fixed_text(mem.total() / kGiB) +
             " GiB per GPU (weights " + fixed_text(mem.weights / kGiB) + ", gradients " + fixed_text(mem.gradients / kGiB) +
             ", optimizer " + fixed_text(mem.optimizer / kGiB) +
             (mem.quantized_weight_copies > 0 ? ", quantized weight copies " + fixed_text(mem.quantized_weight_copies / kGiB) : std::string()) +
             ", activations " + fixed_text(mem.activations / kGiB) + " for " +
             fixed_text(mem.in_flight, 0) + " micro-batch chunks in flight, logits " + fixed_text(mem.logits / kGiB) + ") but " +
             c.gpu.name + " has " + fixed_text(c.gpu.hbm_capacity / kGiB) +
             " GiB; raise tp or pp, enable recompute (selective or full), raise zero (1-3), or lower micro_batch");
  }
}

}  // namespace dcsim::wl
