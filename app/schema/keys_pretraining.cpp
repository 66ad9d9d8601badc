// workload (kind: pretraining): Megatron-style 3D/4D parallel training (docs/pretraining.md). Defaults are the
// workload's own (wl::PretrainingWorkload), so the reference shows what a run uses.
#include "app/schema/scenario_keys.hpp"
#include "workloads/pretraining/pretraining.hpp"

namespace dcsim::app::schema {
namespace {

SectionPtr parallelism_keys() {
  static const SectionPtr s = [] {
    const wl::PretrainingWorkload d;
    return make_section(
        "workload (kind: pretraining).parallelism", "How the model and batch are split over the GPUs.",
        {integer("tp", 1, 1 << 20)
             .or_default(d.tp)
             .describe("tensor parallel: each layer's GEMMs split over tp GPUs")
             .rule_("divides heads (and kv_heads); fits one scale-up domain unless allow_tp_across_domains"),
         integer("pp", 1, 1 << 20).or_default(d.pp).describe("pipeline stages").rule_("at most the layers"),
         integer("cp", 1, 1 << 20).or_default(d.cp).describe("context parallel: the sequence split over cp GPUs"),
         integer("ep", 1, 1 << 20)
             .or_default(d.ep)
             .describe("expert parallel: a MoE layer's experts spread over ep GPUs of the data-parallel group")
             .rule_("divides the experts and dp x cp"),
         integer("dp", 1, 1 << 24)
             .computed("the GPUs tp x pp x cp leave: GPUs / (tp x pp x cp)")
             .describe("data-parallel replicas")
             .rule_("tp x pp x cp x dp equals the cluster's GPUs")});
  }();
  return s;
}

SectionPtr reliability_keys() {
  static const SectionPtr s = [] {
    const wl::GoodputSpec d;
    constexpr double kDay = 86400;
    Type interval = quantity_type(Dimension::time, 1, 3650 * kDay);
    interval.choices = {"auto"};
    return make_section(
        "workload (kind: pretraining).reliability",
        "A long campaign's interruptions, checkpoints and goodput (docs/pretraining.md, Failures and goodput).",
        {catalog_ref("profile", "reliability")
             .describe("the causes of interruption and their rates per part-hour (configs/hw/reliability/)"),
         quantity("duration", Dimension::time, 3600, 3650 * kDay)
             .or_default(d.duration_s)
             .describe("the campaign's wall-clock time"),
         key("checkpoint_interval", interval)
             .computed("auto: Daly's optimum for this job")
             .describe("training time between checkpoints, or auto"),
         quantity("checkpoint_write", Dimension::data_rate, 1e6, 1e15)
             .describe("the checkpoint store's write bandwidth for the whole job (Llama 3: Tectonic, 2 TB/s "
                       "sustained)"),
         quantity("checkpoint_read", Dimension::data_rate, 1e6, 1e15)
             .computed("checkpoint_write")
             .describe("its read bandwidth, for the restore after an interruption"),
         boolean("async_checkpoint")
             .or_default(d.async_checkpoint)
             .describe("only the copy of each GPU's state to host memory stalls training; the write overlaps it"),
         quantity("restart", Dimension::time, 0, kDay)
             .or_default(d.restart_s)
             .describe("detection, rescheduling and job start per interruption (MegaScale: detection and "
                       "diagnosis under 10 min; Kokolis et al.: 5 to 20 min)")});
  }();
  return s;
}

std::vector<std::string> names_of(auto... values) { return {std::string(wl::to_string(values))...}; }

SectionPtr tp_overlap_keys() {
  static const SectionPtr s = [] {
    using wl::RsOverlap;
    const wl::PretrainingWorkload::TpOverlap d;
    const auto method = [&](const char* name, RsOverlap def, const char* gemm) {
      return choice(name, names_of(RsOverlap::pipeline, RsOverlap::ring_exchange))
          .or_default(wl::to_string(def))
          .describe(std::string("how the ") + gemm + " GEMM overlaps its reduce-scatter: pipeline (4 chunks, on the SMs "
                    "the scatter leaves) or ring_exchange (tp chunks, partial outputs passed on by copy engines)");
    };
    const auto sms = [&](const char* name, int def, const char* of) {
      return integer(name, 1, 1024)
          .or_default(def)
          .describe(std::string("SMs the pipelined reduce-scatter of ") + of + " holds (TE's num_sm)")
          .rule_("only with pipeline; fewer than the GPU's SMs");
    };
    return make_section(
        "workload (kind: pretraining).tp_overlap",
        "Transformer Engine's overlap of the row-parallel forward GEMMs with their reduce-scatters (its "
        "userbuffers configuration; docs/pretraining.md, TP overlap as Transformer Engine runs it).",
        {method("proj_fprop", d.proj_fprop, "attention projection"), method("fc2_fprop", d.fc2_fprop, "FC2"),
         sms("proj_fprop_sms", d.proj_fprop_sms, "the attention projection"),
         sms("fc2_fprop_sms", d.fc2_fprop_sms, "FC2")});
  }();
  return s;
}

}  // namespace

SectionPtr pretraining_keys() {
  static const SectionPtr s = [] {
    using wl::PipelineSchedule, wl::Recompute, wl::AttentionKernel;
    const wl::PretrainingWorkload d;
    return make_section(
        "workload (kind: pretraining)", "Training steps of a model on the cluster (docs/pretraining.md).",
        {choice("kind", workload_kinds()).describe("pretraining"),
         section("parallelism", parallelism_keys())
             .describe("how the model and batch are split (a mapping, which may be empty: {})"),
         integer("seq_len", 1, 1 << 24).describe("tokens per sequence"),
         integer("global_batch", 1, std::int64_t{1} << 40)
             .describe("sequences per step (= micro_batch x dp x micro-batches)")
             .rule_("a multiple of micro_batch x dp"),
         integer("micro_batch", 1, 1 << 20).or_default(d.micro_batch).describe("sequences per micro-batch"),
         choice("schedule", names_of(PipelineSchedule::one_f_one_b, PipelineSchedule::interleaved,
                                     PipelineSchedule::gpipe, PipelineSchedule::zb_h1))
             .or_default(wl::to_string(d.schedule))
             .describe("pipeline schedule: 1f1b, interleaved (needs interleave >= 2), gpipe, zb-h1 (zero-bubble ZB-H1, Qi et al. "
                       "2024)")
             .rule_("zb-h1: pp >= 2, interleave 1 and at least pp micro-batches"),
         integer("interleave", 1, 1024)
             .or_default(d.interleave)
             .describe("virtual stages (model chunks) per pipeline stage")
             .rule_("> 1 only with schedule: interleaved; divides the layers per stage"),
         choice("recompute", names_of(Recompute::none, Recompute::selective, Recompute::full))
             .or_default(wl::to_string(d.recompute))
             .describe("activation recomputation: none, selective (recompute_modules; by default the attention core, "
                       "Korthikanti 2022), full"),
         key("recompute_modules", list_type(choice_type({"core_attn", "layernorm", "mlp", "moe_act", "mla_up_proj"}), 1))
             .or_default_described("[core_attn]")
             .describe("what recompute: selective reruns in the backward (Megatron-core's recompute_modules): the "
                       "attention core, the two norms (their outputs not kept), a dense layer's MLP, the routed "
                       "experts' activation (its output not kept), MLA's up-projections (the decompressed Q, K, V not "
                       "kept)")
             .rule_("only with recompute: selective; no module twice; each names a part the model has"),
         choice("precision", precision_names())
             .or_default(std::string(hw::to_string(d.precision)))
             .describe("of the transformer GEMMs")
             .rule_("the GPU has a peak at it"),
         integer("steps", 1, 1'000'000).or_default(d.steps).describe("steps simulated (tokens = global_batch x seq_len x steps)"),
         boolean("sequence_parallel")
             .or_default(d.sequence_parallel)
             .describe("with tp > 1: norms and dropout split over the sequence (Korthikanti 2022)")
             .rule_("required for MoE with tp > 1"),
         integer("zero", 0, 3)
             .or_default(d.zero)
             .describe("0 plain DP; 1 optimizer states sharded (Megatron distributed optimizer); 2 + gradients; 3 + "
                       "parameters (FSDP)"),
         boolean("overlap_grad_reduce").or_default(d.overlap_grad_reduce)
             .describe("DP gradient reduction per bucket, overlapped with the backward"),
         boolean("overlap_param_gather").or_default(d.overlap_param_gather)
             .describe("ZeRO parameter all-gather overlapped with the next forward"),
         boolean("overlap_tp_comm").or_default(d.overlap_tp_comm)
             .describe("TP collectives hidden behind the neighbouring GEMMs (TE userbuffers)"),
         boolean("overlap_ep_comm").or_default(d.overlap_ep_comm)
             .describe("MoE dispatch and combine hidden behind a paired chunk of the other direction (Megatron-core "
                       "--overlap-moe-expert-parallel-comm; DeepSeek-V3's DualPipe)")
             .rule_("a MoE model with ep > 1; schedule 1f1b, interleaved or zb-h1; at least two micro-batches per replica; "
                    "recompute none or selective"),
         section("tp_overlap", tp_overlap_keys())
             .optional("Transformer Engine's defaults: both pipeline, 16 SMs")
             .describe("per-GEMM settings of the TP overlap (Megatron-Bridge's FP8 recipes: both ring_exchange)")
             .rule_("at tp > 1 only with overlap_tp_comm: true and sequence_parallel (at tp 1 it changes nothing)"),
         number("comm_sm_share", 0.0, 0.9)
             .or_default(d.comm_sm_share)
             .describe("share of the SMs NCCL holds while hidden communication runs (16 CTAs of an A100's 108 SMs; H100 "
                       "16/132 = 0.12)"),
         boolean("grad_accumulation_fusion").or_default(d.grad_accumulation_fusion)
             .describe("weight-gradient GEMMs accumulate into the fp32 main_grad (Megatron-LM 2022 on); false: a separate "
                       "add per micro-batch (Megatron-LM 2021)"),
         boolean("grad_reduce_fp32").or_default(d.grad_reduce_fp32)
             .describe("gradients held and reduced in fp32 (Llama 3; Megatron-LM's default with bf16) rather than bf16: "
                       "4 bytes a parameter in the gradient buffer"),
         boolean("narrow_weights").or_default(d.narrow_weights)
             .describe("with precision fp8 or fp4, the transformer layers' weights live only in that precision "
                       "(Megatron --fp8-param-gather, Transformer Engine fp8_model_init): no 16-bit copy, and ZeRO "
                       "gathers them narrow; with bf16 it changes nothing")
             .rule_("zero >= 1 (the fp32 master weights live in the distributed optimizer)"),
         boolean("allow_tp_across_domains").or_default(d.allow_tp_across_domains)
             .describe("allow TP groups wider than the scale-up (NVLink) domain"),
         choice("attention_kernel", names_of(AttentionKernel::flash, AttentionKernel::unfused))
             .or_default(wl::to_string(d.attention_kernel))
             .describe("flash: fused attention at the GPU's measured kernel rates; unfused: scores through HBM"),
         integer("pipeline_ends_fewer_layers", 0, 1 << 20)
             .or_default(d.pipeline_ends_fewer_layers)
             .describe("layers taken off the first and the last model chunk each (Llama 3: 1)"),
         integer("first_stage_layers", 1, 1 << 20)
             .computed("the even split")
             .describe("layers on the first pipeline stage (Megatron-LM --decoder-first-pipeline-num-layers); the "
                       "middle stages split the rest evenly")
             .rule_("pp >= 2, not with pipeline_ends_fewer_layers; every stage's layers a multiple of interleave"),
         integer("last_stage_layers", 1, 1 << 20)
             .computed("the even split")
             .describe("layers on the last pipeline stage (Megatron-LM --decoder-last-pipeline-num-layers)")
             .rule_("as first_stage_layers"),
         boolean("dropout").or_default(d.dropout).describe("attention and hidden dropout masks (Megatron GPT recipe)"),
         boolean("async_p2p").or_default(d.async_p2p)
             .describe("pipeline sends do not block the sender (Llama 3, section 3.3.2); Megatron's do"),
         section("reliability", reliability_keys())
           .optional("no failures: every step runs")
           .describe("a long campaign's interruptions, checkpoints and goodput per day"),
       number("straggler_cv", 0.0, 0.5)
             .computed("the GPU's sustained_clock_spread (its measured spread of sustained clocks between chips; 0 where "
                       "not measured)")
             .describe("per-GPU speed factor ~ Normal(1, cv) from the stream pretraining.stragglers; a stage runs at its "
                       "slowest GPU; 0 turns stragglers off")});
  }();
  return s;
}

}  // namespace dcsim::app::schema
