// workload (kind: serving): LLM inference, colocated or disaggregated (docs/serving.md). Defaults are the
// workload's own (wl::ServingWorkload, wl::PoolSpec).
#include "app/limits.hpp"
#include <limits>

#include "app/schema/scenario_keys.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::app::schema {
namespace {

constexpr std::int64_t kMaxLength = 10'000'000;  // tokens of one prompt or answer

SectionPtr length_keys() {
  static const SectionPtr s = make_section(
      "workload (kind: serving).input", "A distribution of token counts (input and output alike).",
      {choice("dist", {"fixed", "uniform", "lognormal", "empirical"}).describe("the distribution"),
       integer("tokens", 1, kMaxLength).describe("the fixed count").when_("dist: fixed"),
       integer("low", 1, kMaxLength).describe("uniform's lower end").when_("dist: uniform"),
       integer("high", 1, kMaxLength).describe("uniform's upper end").rule_("at least low").when_("dist: uniform"),
       number("median", 1, 1e7).describe("lognormal's median").when_("dist: lognormal"),
       number("sigma", 0, 5).describe("lognormal's sigma (of the log)").when_("dist: lognormal"),
       key("cdf", list_type(list_type(number_type(0, 1e7), 2, 2), 1))
           .describe("[tokens, cumulative probability] points, non-decreasing, ending at probability 1")
           .when_("dist: empirical"),
       integer("min", 1, kMaxLength).or_default(1).describe("samples are clamped to at least this"),
       integer("max", 1, kMaxLength)
           .or_default(kMaxLength)
           .describe("samples are clamped to at most this")
           .rule_("at least min")});
  return s;
}

// `input` or `output`: a token count, or a distribution of them (the same key at workload and class level).
Key length_key(std::string name, std::string what, std::string absent, std::string rule) {
  return key(std::move(name), integer_type(1, kMaxLength))
      .or_form(section_type(length_keys()))
      .optional(std::move(absent))
      .describe(what + ": a count, or a distribution")
      .rule_(std::move(rule));
}

SectionPtr class_keys() {
  static const SectionPtr s = make_section(
      "workload (kind: serving).classes[]", "One class of requests with its share and lengths.",
      {text("name", "[A-Za-z0-9_-]{1,64}",
            "a class name of 1 to 64 letters, digits, '_' and '-' (it becomes part of metric keys)")
           .describe("the class's name; it becomes part of metric keys (by_class.NAME...)")
           .rule_("unique among the classes"),
       number("share", 0, 1).describe("share of the requests").rule_("the shares sum to 1 (within 1e-6)"),
       length_key("input", "prompt tokens", "required unless arrivals come from a trace",
                  "refused with a trace (it gives every request its lengths)"),
       length_key("output", "generated tokens", "required unless arrivals come from a trace",
                  "refused with a trace")});
  return s;
}

SectionPtr arrival_keys() {
  static const SectionPtr s = make_section(
      "workload (kind: serving).arrivals", "Where requests come from.",
      {choice("process", {"poisson", "gamma", "closed-loop", "offline", "trace"})
           .describe("poisson or gamma arrivals at a rate, closed-loop users, offline (all at t = 0), or a trace"),
       number("rate", 1e-6, 1e9).describe("requests per second").when_("process: poisson or gamma"),
       number("cv", 0.01, 100).describe("coefficient of variation of inter-arrival times (bursts)")
           .when_("process: gamma"),
       integer("users", 1, 10'000'000).describe("concurrent users").when_("process: closed-loop"),
       quantity("think_time", Dimension::time, 0, kMaxScenarioTime)
           .or_default(0.0)
           .describe("mean (exponential) think time between a user's requests")
           .when_("process: closed-loop"),
       text("file")
           .describe("a CSV or JSONL trace, relative to the scenario file (docs/serving.md, Traces)")
           .when_("process: trace"),
       number("time_scale", 1e-6, 1e6)
           .or_default(1.0)
           .describe("arrival times are multiplied by this")
           .when_("process: trace"),
       integer("requests", 0, 1'000'000'000)
           .or_default(0)
           .describe("requests sent (offline: required; others: a cap, 0 for none)")
           .rule_("at least 1 for offline")});
  return s;
}

SectionPtr prefix_cache_keys() {
  static const SectionPtr s = make_section(
      "workload (kind: serving).prefix_cache", "Prompt prefixes found in a cache.",
      {number("hit_rate", 0, 1).describe("share of each prompt found in the prefix cache"),
       choice("tier", {"hbm", "cpu-memory", "local-nvme", "network-flash"})
           .or_default("hbm")
           .describe("where cached prefixes live (others than hbm are reloaded from the tier)")});
  return s;
}

SectionPtr speculative_keys() {
  static const SectionPtr s = [] {
    const wl::SpeculativeSpec d;
    return make_section(
        "workload (kind: serving).speculative", "Speculative decoding or MTP (docs/serving.md).",
        {integer("draft_tokens", 1, 16).describe("tokens proposed per verification step (k)"),
         key("acceptance", list_type(number_type(1, 17), 1))
             .describe("mean tokens emitted per verification step for k = 1, 2, ... (the verified token included)")
             .rule_("one per draft length up to draft_tokens; at most draft_tokens + 1"),
         number("draft_layers", 0, 1000)
             .or_default(d.draft_layers)
             .describe("cost of one draft token in target-model layers (an MTP module: 1)")});
  }();
  return s;
}

SectionPtr slo_keys() {
  static const SectionPtr s = make_section(
      "workload (kind: serving).slo", "Latency limits for goodput and the SLO metrics (one pair for all classes).",
      {quantity("ttft", Dimension::time, 0, kInf).optional("no limit").describe("time to first token limit"),
       quantity("tpot", Dimension::time, 0, kInf).optional("no limit").describe("time per output token limit")});
  return s;
}

SectionPtr serving_cpu_keys() {
  static const SectionPtr s = [] {
    const wl::ServingWorkload d;
    return make_section(
        "workload (kind: serving).cpu", "The engine's CPU work per step (scheduler, sampling, detokenisation).",
        {quantity("iteration", Dimension::time, 0, kMaxCpuStepTime)
             .or_default(d.cpu_iteration_s)
             .describe("CPU time per engine step (vLLM 0.6 profile: 4.1 ms)"),
         quantity("per_sequence", Dimension::time, 0, kMaxCpuStepTime)
             .or_default(d.cpu_per_sequence_s)
             .describe("CPU time per sequence in a step"),
         quantity("per_kernel", Dimension::time, 0, kMaxCpuStepTime)
             .or_default(d.cpu_per_kernel_s)
             .describe("CPU time per kernel an eager step launches (PyTorch eager: 25.4 us, SGLang PR #1401)"),
         boolean("overlap")
             .or_default(d.cpu_overlap)
             .describe("scheduling overlaps the GPU step (async scheduling): step = max(gpu, cpu + eager launches)")});
  }();
  return s;
}

SectionPtr pool_keys(std::string name, bool heterogeneous) {
  std::vector<Key> keys;
  Type count = integer_type(1, 1'000'000);
  count.choices = {"auto"};
  keys.push_back(key("count", count)
                     .or_default(1)
                     .describe("instances; auto: as many as the pool's GPUs hold (colocated and decode pools)")
                     .rule_("instances x tp x pp x ep GPUs fit the cluster"));
  for (Key& k : engine_instance_keys()) keys.push_back(std::move(k));
  if (heterogeneous) {
    keys.push_back(catalog_ref("system", "system")
                       .optional("the scenario's hardware")
                       .describe("another catalog system for this pool (heterogeneous disaggregation)"));
    keys.push_back(integer("systems", 1, 100'000).or_default(1).describe("how many of that system").when_("system"));
  }
  return make_section(std::move(name), "A pool of identical model instances.", keys);
}

}  // namespace

const std::vector<std::string>& precision_names() {
  static const std::vector<std::string> names = {"bf16", "fp8", "fp4"};
  return names;
}

namespace {

SectionPtr adp_balance_keys() {
  static const SectionPtr s = [] {
    const wl::PoolSpec::AdpBalance d;
    return make_section(
        "attention_dp_balance",
        "TensorRT-LLM's ADP balance (attention_dp_config): new prompts wait until every attention data-parallel "
        "group gets one (docs/serving.md, \"Attention data parallelism\").",
        {integer("timeout_iters", 0, 1'000'000)
             .or_default(d.timeout_iters)
             .describe("iterations new prompts wait at most for every group to get one"),
         integer("batching_wait_iters", 0, 1'000'000)
             .or_default(d.batching_wait_iters)
             .describe("iterations groups that all have prompts wait to gather more")});
  }();
  return s;
}

}  // namespace

std::vector<Key> engine_instance_keys() {
  const wl::PoolSpec d;
  const std::vector<std::string>& precisions = precision_names();
  return {
      integer("tp", 1, 1024)
          .or_default(d.tp)
          .describe("tensor parallel")
          .rule_("divides heads (and kv_heads); fits one scale-up domain"),
      integer("pp", 1, 1024)
          .or_default(d.pp)
          .describe("pipeline stages, one micro-batch in flight per stage (serving); agents: 1 only"),
      integer("ep", 1, 100'000)
          .or_default(d.ep)
          .describe("MoE: attention data-parallel over ep groups of tp GPUs, experts over tp x ep"),
      integer("expert_tp", 1, 100'000)
          .computed("tp when ep = 1, else 1")
          .describe("MoE only: ways each expert is split (TensorRT-LLM moe_tp_size)")
          .rule_("divides tp x ep; tp x ep / expert_tp at most the experts; MoE models only"),
      boolean("eplb").or_default(d.eplb).describe("MoE only: an expert-parallel load balancer places the experts"),
      section("attention_dp_balance", adp_balance_keys())
          .optional("off (TensorRT-LLM's default): a group starts a new prompt as soon as it has room")
          .describe("hold new prompts until every attention data-parallel group gets one")
          .rule_("ep > 1"),
      choice("precision", precisions).or_default("bf16").describe("of the weights").rule_("the GPU has a peak at it"),
      choice("compute_precision", precisions)
          .computed("precision")
          .describe("tensor-core math, if wider than the weights (W4A8)")
          .rule_("at least as wide as precision"),
      choice("attention_precision", precisions)
          .computed("precision")
          .describe("of the weights of attention's input projections (QKV; MLA's down and up projections) where a "
                    "checkpoint keeps them apart (NVIDIA's NVFP4 DeepSeek-R1: bf16); their GEMMs run at it or "
                    "compute_precision, whichever is wider (so at a precision the GPU has)"),
      choice("kv_precision", precisions).computed("precision (fp8 for fp4 weights)").describe("of the KV cache"),
      integer("max_batch", 1, 1'000'000).or_default(d.max_batch).describe("sequences per iteration (vLLM max_num_seqs)"),
      integer("token_budget", 1, 10'000'000)
          .or_default(d.token_budget)
          .describe("tokens per iteration (chunked prefill; vLLM max_num_batched_tokens)"),
      integer("block_size", 1, 4096).or_default(d.block_size).describe("KV tokens per page"),
      choice("cuda_graphs", {"decode-only", "all", "none"})
          .or_default("decode-only")
          .describe("steps that replay a CUDA graph; the others launch every kernel from the host (decode-only: "
                    "TensorRT-LLM's PyTorch backend, SGLang, vLLM v0; all: vLLM v1; none: enforce-eager)"),
      integer("cuda_graph_max_batch", 1, 1'000'000)
          .or_default(d.cuda_graph_max_batch)
          .describe("largest captured step: sequences per attention group (decode-only) or tokens (all)")
          .when_("cuda_graphs: decode-only or all"),
      key("cuda_graph_batch_sizes", list_type(integer_type(1, 1'000'000), 1))
          .optional("every size up to cuda_graph_max_batch is captured: no padding")
          .describe("captured sizes with padding (TensorRT-LLM's cuda_graph_config enable_padding and batch_sizes; "
                    "vLLM's cudagraph_capture_sizes): a graph step runs at the smallest size that holds it, the rest "
                    "dummy sequences")
          .rule_("ascending; its largest is cuda_graph_max_batch (not both); cuda_graphs: decode-only or all"),
      number("memory_utilization", 0.05, 1)
          .or_default(d.memory_utilization)
          .describe("vLLM's gpu_memory_utilization: the share of usable memory the engine takes")
          .rule_("not with kv_free_memory_fraction"),
      number("kv_free_memory_fraction", 0.01, 1)
          .optional("vLLM's policy (memory_utilization)")
          .describe("TensorRT-LLM's kv_cache_free_gpu_memory_fraction: KV gets this share of what is left")
          .rule_("not with memory_utilization"),
      key("activation_reserve", any_type())
          .retire("replaced by the engine's memory policy: memory_utilization or kv_free_memory_fraction"),
  };
}

SectionPtr serving_keys() {
  static const SectionPtr s = [] {
    const wl::ServingWorkload d;
    return make_section(
        "workload (kind: serving)", "Requests served by model instances (docs/serving.md).",
        {choice("kind", workload_kinds()).describe("serving"),
         choice("mode", {"colocated", "disaggregated"})
             .or_default("colocated")
             .describe("colocated: one pool does prefill and decode; disaggregated: prefill and decode pools"),
         length_key("input", "prompt tokens", "required unless classes or a trace give the lengths",
                    "not with classes; refused with a trace"),
         length_key("output", "generated tokens", "required unless classes or a trace give the lengths",
                    "not with classes; refused with a trace"),
         key("classes", list_type(section_type(class_keys()), 1))
             .optional("one class, chat")
             .describe("request classes, each with its share and lengths (replaces input and output)"),
         section("arrivals", arrival_keys()).describe("where requests come from"),
         section("instance", pool_keys("workload (kind: serving).instance", false))
             .describe("the colocated pool")
             .when_("mode: colocated"),
         section("prefill", pool_keys("workload (kind: serving).prefill", false))
             .describe("the prefill pool")
             .when_("mode: disaggregated"),
         section("decode", pool_keys("workload (kind: serving).decode", true))
             .describe("the decode pool (may name another system)")
             .when_("mode: disaggregated"),
         choice("routing", {"round-robin", "least-loaded", "kv-aware"})
             .or_default("least-loaded")
             .describe("how requests pick an instance"),
         choice("kv_admission", {"on-demand", "guaranteed-no-evict"})
             .or_default("on-demand")
             .describe("on-demand (vLLM) or guaranteed-no-evict (TensorRT-LLM's default)"),
         choice("preemption", {"recompute", "swap"}).or_default("recompute").describe("what happens to preempted KV"),
         choice("offload_tier", {"cpu-memory", "local-nvme", "network-flash"})
             .or_default("cpu-memory")
             .describe("where swapped KV goes"),
         section("prefix_cache", prefix_cache_keys()).optional("no prefix cache").describe("a prefix cache"),
         section("speculative", speculative_keys()).optional("no speculation").describe("speculative decoding / MTP"),
         quantity("duration", Dimension::time, 1e-6, kMaxScenarioTime)
             .or_default(d.duration_s)
             .describe("arrivals stop after this (closed loop: users stop sending)"),
         quantity("warmup", Dimension::time, 0, kMaxScenarioTime)
             .or_default(d.warmup_s)
             .describe("requests arriving earlier are left out of latency figures and the window")
             .rule_("less than the duration (offline excepted)"),
         section("slo", slo_keys()).optional("no limits").describe("latency limits"),
         section("cpu", serving_cpu_keys()).optional("the defaults of its keys").describe("the engine's CPU work"),
         integer("kv_transfer_groups", 1, 1024)
             .or_default(d.kv_transfer_groups)
             .describe("disaggregated: KV sent in this many layer groups as the layers finish"),
         number("all_in_kw_per_gpu", 0.1, 1000)
             .optional("the simulated facility power")
             .describe("InferenceX's tokens/s/MW convention: all-in kW per GPU")});
  }();
  return s;
}

}  // namespace dcsim::app::schema
