// `workload.kind: serving`: LLM inference serving, colocated (continuous batching with chunked prefill) or
// disaggregated (prefill and decode pools, KV moved over the fabric). Plain data only; app/serving_scenario.cpp
// fills it from YAML, run_serving() (serving_run.cpp) simulates it. docs/serving.md documents every field, the
// iteration model and the metrics.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hw/spec.hpp"
#include "sim/trace.hpp"
#include "workloads/run_outputs.hpp"
#include "workloads/metrics.hpp"
#include "workloads/model.hpp"

namespace dcsim::wl {

// A token-length distribution; samples are rounded to integers and clamped to [min, max].
struct LengthDist {
  enum class Kind { fixed, uniform, lognormal, empirical };
  Kind kind = Kind::fixed;
  double value = 128;               // fixed
  double lo = 1, hi = 1;            // uniform (inclusive integers)
  double median = 1, sigma = 0;     // lognormal: median and log-sigma
  std::vector<std::pair<double, double>> cdf;  // empirical: (tokens, cumulative probability)
  std::int64_t min = 1;
  std::int64_t max = std::numeric_limits<std::int32_t>::max();
};

// A request class (docs/serving.md "Request classes"): its share of the requests and its length distributions.
struct RequestClass {
  std::string name;
  double share = 1;  // the shares of a workload's classes sum to 1
  LengthDist input;
  LengthDist output;
};

struct ArrivalSpec {
  enum class Kind { poisson, gamma, closed_loop, offline, trace };
  Kind kind = Kind::poisson;
  double rate = 1;            // requests per second (poisson, gamma)
  double cv = 1;              // gamma: coefficient of variation of inter-arrival times (1 = Poisson)
  int users = 1;              // closed_loop: concurrent users, each sends its next request after think time
  double think_time_s = 0;    // closed_loop: mean of an exponential think time (0: none)
  std::int64_t requests = 0;  // offline: how many (all at t = 0); others: stop after this many (0 = no limit)
  std::string trace_file;     // trace: CSV or JSONL (see trace_source.hpp)
  double trace_time_scale = 1;  // trace: arrival times are multiplied by this (0.5 = twice the rate)
};

struct SloSpec {
  double ttft_s = std::numeric_limits<double>::infinity();
  double tpot_s = std::numeric_limits<double>::infinity();
};

// One pool of identical model instances (the colocated pool, or the prefill / decode pool).
struct PoolSpec {
  int instances = 1;
  int tp = 1;  // tensor parallel (attention and dense layers)
  int pp = 1;  // pipeline stages
  int ep = 1;  // MoE: attention runs data-parallel over ep groups of tp GPUs; experts spread over tp x ep GPUs
  // MoE: ways each routed expert is split (TensorRT-LLM moe_tp_size): the tp x ep GPUs form tp x ep / expert_tp
  // expert-parallel ranks, each holding its experts sharded expert_tp ways. 0 (the default): tp when ep = 1 (vLLM
  // and TensorRT-LLM shard experts like the dense layers unless expert parallelism is asked for), else 1; read it
  // through expert_split().
  int expert_tp = 0;
  // MoE: an expert-parallel load balancer (redundant hot experts, DeepSeek EPLB) evens the ranks' expected loads,
  // leaving the sampling noise of uniform routing; without it the model's expert_load_cv skews them.
  bool eplb = false;
  hw::Precision precision = hw::Precision::bf16;  // weights (bytes read per parameter)
  // The weights of attention's input projections (QKV; MLA's down and up projections and their absorbed forms) when
  // a checkpoint keeps them apart: NVIDIA's NVFP4 DeepSeek-R1 leaves them bf16 (hf_quant_config.json
  // exclude_modules). Unset: `precision`. Their GEMMs run at this or `compute`, whichever is wider.
  std::optional<hw::Precision> attention_precision;
  hw::Precision compute = hw::Precision::bf16;    // tensor-core math: = precision, or wider (W4A8: fp4 weights
                                                  // upconverted to run fp8 GEMMs)
  double kv_bytes_per_element = 2;                // KV cache precision (fp8 = 1)
  int max_batch = 256;                            // sequences per iteration (vLLM max_num_seqs)
  std::int64_t token_budget = 8192;               // tokens per iteration (chunked prefill; vLLM max_num_batched_tokens)
  int block_size = 16;                            // KV tokens per page
  // What the engine may use of each GPU (engine_memory.hpp): vLLM's gpu_memory_utilization share of the usable
  // memory for everything, or, when kv_free_memory_fraction > 0, TensorRT-LLM's share of the memory left after
  // the weights, activations and runtime for the KV cache.
  double memory_utilization = 0.9;
  double kv_free_memory_fraction = 0;
  // Attention data parallelism (ep > 1): TensorRT-LLM's ADP balance (attention_dp_config, blog10). Off (its
  // default), a group starts a new prompt as soon as it has room; on, new prompts wait until every group gets one
  // (at most timeout_iters iterations), and groups that all have one wait batching_wait_iters more to gather more.
  struct AdpBalance {
    bool enabled = false;
    int timeout_iters = 50;       // TensorRT-LLM's AttentionDpConfig defaults
    int batching_wait_iters = 10;
  };
  AdpBalance adp_balance;
  // Which steps replay a captured CUDA graph (kernel_launches.hpp, docs/serving.md "CUDA graphs and eager steps");
  // the others launch every kernel from the host. decode_only: TensorRT-LLM's PyTorch backend, SGLang, vLLM v0;
  // all: vLLM v1's piecewise graphs; none: --enforce-eager.
  enum class CudaGraphs { decode_only, all, none };
  CudaGraphs cuda_graphs = CudaGraphs::decode_only;
  // The largest captured step: sequences per attention group (decode_only) or tokens (all). 512: vLLM's largest
  // capture size; TensorRT-LLM's trtllm-bench captures up to its max_batch_size.
  int cuda_graph_max_batch = 512;
  // Captured sizes with padding (TensorRT-LLM cuda_graph_config enable_padding + batch_sizes; vLLM's capture sizes;
  // SGLang's --cuda-graph-bs), ascending, the last cuda_graph_max_batch: a graph step runs the graph of the smallest size
  // that holds its batch, the missing rows dummy sequences. Empty: every size up to cuda_graph_max_batch is captured.
  std::vector<int> cuda_graph_batch_sizes;
  std::optional<hw::ClusterSpec> cluster;         // heterogeneous pool: its own system (disaggregated only)
  int gpus() const { return tp * pp * ep; }
  int expert_split() const { return expert_tp > 0 ? expert_tp : (ep == 1 ? tp : 1); }
  int expert_ranks() const { return tp * ep / expert_split(); }
};

struct SpeculativeSpec {
  int draft_tokens = 0;            // k: tokens proposed per verification step (0: off)
  std::vector<double> acceptance;  // mean tokens emitted per verification step for k = 1, 2, ... (>= 1 each)
  double draft_layers = 1;         // cost of one draft token in target-model layers (MTP module: 1)
};

enum class KvTier { none, cpu_memory, local_nvme, network_flash };

struct ServingWorkload {
  enum class Mode { colocated, disaggregated };
  Mode mode = Mode::colocated;
  ArrivalSpec arrivals;
  LengthDist input;                  // without classes: every request's lengths
  LengthDist output;
  std::vector<RequestClass> classes;  // empty: one class, kServingClass ("chat"), drawing from input and output
  // The classes requests belong to, by index (request.cls): the declared ones, or {"chat"}.
  std::vector<std::string> class_names() const {
    if (classes.empty()) return {std::string(kServingClass)};
    std::vector<std::string> out;
    for (const RequestClass& c : classes) out.push_back(c.name);
    return out;
  }
  PoolSpec colocated;
  PoolSpec prefill;
  PoolSpec decode;
  enum class Routing { round_robin, least_loaded, kv_aware };
  Routing routing = Routing::least_loaded;
  // How an instance admits a request against its KV cache (docs/serving.md, "Admission"):
  //   on_demand:           vLLM; a request is admitted when its prompt's blocks fit, decode grows block by block,
  //                        and a full cache preempts the latest admitted sequence;
  //   guaranteed_no_evict: TensorRT-LLM's default capacity-scheduler policy; a request is admitted only when the
  //                        blocks of its prompt and whole output fit beside those every admitted request holds, so
  //                        nothing is ever preempted.
  enum class KvAdmission { on_demand, guaranteed_no_evict };
  KvAdmission kv_admission = KvAdmission::on_demand;
  enum class Preemption { recompute, swap };
  Preemption preemption = Preemption::recompute;
  KvTier offload_tier = KvTier::cpu_memory;   // where swapped KV goes (preemption: swap)
  double prefix_hit_rate = 0;                 // share of each prompt found in the prefix cache
  KvTier prefix_tier = KvTier::none;          // none: prefixes live in HBM; else reloaded from this tier or recomputed
  SpeculativeSpec speculative;
  double duration_s = 60;      // arrivals stop after this (not for offline, closed loop stops sending)
  double warmup_s = 0;         // requests arriving earlier are left out of latency figures and throughput
  SloSpec slo;
  // CPU work per iteration at the reference core (single_thread_speed 1), scaled by 1 / single_thread_speed:
  // a fixed part and a part per scheduled sequence. Default from vLLM's published profile (v0.6.0 blog,
  // calibration/agents.yaml cpu_side): Llama-3-8B on one H100 spent 29% of its time scheduling and 38% on the
  // GPU; its GPU step is weight-bound, 16.06 GB / (3.35 TB/s x 0.89) = 5.4 ms, so scheduling = 29/38 x 5.4 ms
  // = 4.1 ms per iteration. The profile gives one figure, so the per-sequence part defaults to 0
  // (docs/serving.md, "CPU overhead").
  double cpu_iteration_s = 4.1e-3;
  double cpu_per_sequence_s = 0;
  // Host time per kernel an eager step launches, at the reference core. SGLang PR #1401 (Llama-3-8B, one H100,
  // batch 1, FlashInfer, bench_latency: no scheduler) decodes in 8.23 ms without CUDA graphs: its 324 kernels
  // (32 layers x 10 + 4, kernel_launches.hpp) at 25.4 us each, the GPU's 7.35 ms (with graphs) hidden under them.
  double cpu_per_kernel_s = 25.4e-6;
  bool cpu_overlap = true;     // scheduling overlaps the GPU step (async scheduling): step = max(gpu, cpu)
  int kv_transfer_groups = 8;  // disaggregated: KV sent in this many layer groups as the layers finish
  double all_in_kw_per_gpu = 0;  // InferenceX tok/s/MW: all-in kW per GPU (0: the simulated facility power)
};


// Simulates the workload with random streams seeded from `seed`. Throws std::invalid_argument for configurations that cannot run (weights larger
// than HBM, parallelism that does not fit the cluster). `trace` may be null.
RunResult run_serving(const ServingWorkload& w, const ModelSpec& model, const hw::ClusterSpec& cluster,
                      bool flow_network, sim::TraceRecorder* trace, std::uint64_t seed,
                      const RunOutputs& outputs = {});

}  // namespace dcsim::wl

// The serving layer's own namespace sees the plain specs under their short names too (serving::PoolSpec).
namespace dcsim::wl::serving {
using ::dcsim::wl::ArrivalSpec;
using ::dcsim::wl::KvTier;
using ::dcsim::wl::LengthDist;
using ::dcsim::wl::PoolSpec;
using ::dcsim::wl::RequestClass;
using ::dcsim::wl::ServingWorkload;
using ::dcsim::wl::SloSpec;
using ::dcsim::wl::SpeculativeSpec;
}  // namespace dcsim::wl::serving
