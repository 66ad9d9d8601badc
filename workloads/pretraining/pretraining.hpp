// `workload.kind: pretraining`: one training step of a dense or MoE transformer on a cluster, with TP (+ sequence
// parallelism), PP (1F1B, interleaved, GPipe, ZB-H1), DP (ZeRO 0-3), CP (ring attention) and EP, simulated as events.
//
// How a step is simulated (docs/pretraining.md derives every piece):
//  * Every DP replica is identical, so ONE pipeline is simulated: pp stage processes run their schedule's order of
//    (chunk, micro-batch, forward|backward|weight-gradient) tasks; a task waits on the sim::Event of its input (the
//    activation from the previous stage, the gradient from the next), so bubbles emerge from the dependencies. A
//    100,000-GPU step costs what its pipeline costs (pp x micro-batches x chunks x 2 events; zb-h1: x 3 tasks).
//    With network.model flow, every replica's sends and every DP group's traffic run as flows in that same
//    simulation (dp_fabric.hpp).
//  * A task's duration is the roofline (workloads/roofline.hpp) of each op of its layers on one GPU, op shapes
//    sharded by tp/cp/ep, plus the exposed part of its TP/CP/EP collectives, costed by hw::Collectives::estimate on
//    the real GPU groups of the topology (Megatron rank order: tp innermost, then cp, dp, pp).
//  * DP gradient reduction runs per layer bucket as the last backward (zb-h1: the last W pass) of each chunk
//    produces it, on a serial channel per stage, overlapped with the rest of the backward; then the memory-bound
//    optimizer step.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "hw/spec.hpp"
#include "sim/simulator.hpp"
#include "sim/trace.hpp"
#include "workloads/metrics.hpp"
#include "workloads/input_error.hpp"
#include "workloads/model.hpp"
#include "workloads/model_ops.hpp"
#include "workloads/pretraining/goodput.hpp"

namespace dcsim::wl {

// zb_h1: Qi et al., "Zero Bubble (Almost) Pipeline Parallelism" (ICLR 2024, arXiv 2401.10241) §2.1, ZB-H1: the
// backward split into B (input gradient, on the critical path) and W (weight gradient, deferred into the cool-down
// bubbles); one model chunk per stage, 1F1B's warm-up.
enum class PipelineSchedule { one_f_one_b, interleaved, gpipe, zb_h1 };
enum class AttentionKernel { flash, unfused };
// How Transformer Engine overlaps a row-parallel forward GEMM (attention projection, FC2) with its reduce-scatter
// (transformer_engine/pytorch/module/base.py, initialize_ub): pipeline, TE's default (the GEMM in 4 chunks on the SMs
// the communication kernel leaves, each chunk's reduce-scatter behind the next chunk), or ring_exchange (tp chunks,
// partial outputs passed around the ring on copy engines, then summed).
enum class RsOverlap { pipeline, ring_exchange };
const char* to_string(PipelineSchedule s);
const char* to_string(RsOverlap m);
const char* to_string(AttentionKernel k);
const char* to_string(Recompute r);

struct PretrainingWorkload {
  int tp = 1, pp = 1, dp = 1, cp = 1, ep = 1;
  std::int64_t seq_len = 2048;
  std::int64_t global_batch = 1;  // sequences per step
  std::int64_t micro_batch = 1;   // sequences per micro-batch
  PipelineSchedule schedule = PipelineSchedule::one_f_one_b;
  int interleave = 1;  // virtual stages (model chunks) per pipeline stage; > 1 only with interleaved
  Recompute recompute = Recompute::none;
  RecomputeModules recompute_modules;  // what recompute: selective reruns (default: the attention core)
  hw::Precision precision = hw::Precision::bf16;  // of the transformer-block GEMMs (attention core and LM head: bf16)
  int steps = 1;
  bool sequence_parallel = true;   // with tp > 1 (Korthikanti 2022); ignored at tp 1
  int zero = 1;                    // 0: plain DP; 1: optimizer states sharded (Megatron distributed optimizer);
                                   // 2: + gradients; 3: + parameters (FSDP)
  bool overlap_grad_reduce = true;   // DP reduction per bucket during the last backward
  bool grad_reduce_fp32 = false;     // gradients held and reduced in fp32 (Llama 3) instead of bf16
  // FP8/FP4: the layers' weights live only in narrow form (Megatron --fp8-param-gather): no 16-bit copy in memory,
  // and ZeRO's parameter all-gather moves narrow bytes.
  bool narrow_weights = false;
  bool overlap_param_gather = true;  // ZeRO >= 1 parameter all-gather hidden behind the next forward
  bool overlap_tp_comm = false;      // TP collectives overlapped with the neighbouring GEMMs (TE userbuffers)
  // Share of the GPU's SMs that NCCL kernels hold while hidden (overlapped) communication runs; compute behind it
  // is slowed by share x overlapped time. Default 16 CTAs (NCCL on a DGX with 8 NICs, NVIDIA/nccl#689) of an
  // A100's 108 SMs = 0.15; H100 (132 SMs): 16/132 = 0.12.
  double comm_sm_share = 0.15;
  // A forward and a backward chunk of two micro-batches run together, each one's MoE dispatch and combine behind the
  // other's compute: Megatron-core's 1F1B all-to-all overlap (--overlap-moe-expert-parallel-comm, Megatron-Bridge's
  // moe_a2a_overlap) and DeepSeek-V3's DualPipe (arXiv 2412.19437 §3.2.1).
  bool overlap_ep_comm = false;
  // With overlap_tp_comm and sequence parallelism: Transformer Engine's overlap of each row-parallel forward GEMM
  // with its reduce-scatter, and the SMs a pipelined reduce-scatter holds (TE's default num_sm: 16).
  struct TpOverlap {
    RsOverlap proj_fprop = RsOverlap::pipeline, fc2_fprop = RsOverlap::pipeline;
    int proj_fprop_sms = 16, fc2_fprop_sms = 16;
  } tp_overlap;
  // Weight-gradient GEMMs accumulate straight into the fp32 main_grad (Megatron-LM --gradient-accumulation-fusion,
  // 2022 on). false: a separate add of every gradient into main_grad per micro-batch (Megatron-LM 2021).
  bool grad_accumulation_fusion = true;
  bool allow_tp_across_domains = false;
  AttentionKernel attention_kernel = AttentionKernel::flash;
  // Layers taken off the first and the last model chunk each (Llama 3: 126 layers on 16 stages = 8 per stage,
  // one fewer on the first and the last, which also hold the embedding and the output layer).
  int pipeline_ends_fewer_layers = 0;
  // Megatron-LM's uneven split (--decoder-first-pipeline-num-layers / --decoder-last-pipeline-num-layers): the first
  // and the last pipeline stage hold these many layers (over their interleave chunks), the middle stages the rest
  // evenly. -1: the even split.
  int first_stage_layers = -1, last_stage_layers = -1;
  // Megatron-LM GPT recipe: attention and hidden dropout (0.1). With an unfused attention kernel the attention
  // dropout reads and writes the probabilities and writes a 1-byte mask; every hidden dropout writes a mask.
  bool dropout = false;
  // Pipeline sends that do not block the sender (Llama 3 §3.3.2). Megatron-LM's 1F1B waits for its sends.
  bool async_p2p = false;
  double straggler_cv = 0;  // per-GPU speed: factor ~ Normal(1, cv) from the named stream "pretraining.stragglers"
  // A long campaign's interruptions, checkpoints and goodput (goodput.hpp); absent: not modelled.
  std::optional<GoodputSpec> reliability;

  std::int64_t micro_batches() const { return global_batch / (micro_batch * dp); }
};

// An invalid plan: `key` is the workload key to blame (dotted under `workload`, e.g. "parallelism.tp"), `what()`
// says what is wrong and what to change.
class PlanError : public InputError {
 public:
  using InputError::InputError;
};

// Bytes per GPU on the stage that needs the most (Korthikanti et al. 2022 for activations; ZeRO paper for states).
struct MemoryEstimate {
  double weights = 0, gradients = 0, optimizer = 0, activations = 0, logits = 0;
  double quantized_weight_copies = 0;  // FP8/FP4: Transformer Engine's quantized weights, kept for the step
  int stage = 0;                // the stage this is for
  double in_flight = 0;         // micro-batch chunks whose activations that stage holds at its peak
  double total() const { return weights + gradients + optimizer + quantized_weight_copies + activations + logits; }
};
// Every stage's memory per GPU, stage 0 first (docs/pretraining.md, "Memory fit").
std::vector<MemoryEstimate> estimate_memory_by_stage(const PretrainingWorkload& w, const ModelSpec& m,
                                                     const hw::ClusterSpec& c);
// The fullest of `stages` (the first of equals).
MemoryEstimate fullest_stage(const std::vector<MemoryEstimate>& stages);
// The fullest stage's (the first of equals).
MemoryEstimate estimate_memory(const PretrainingWorkload& w, const ModelSpec& m, const hw::ClusterSpec& c);

// Throws PlanError for the first inconsistency: GPU count, TP outside the NVLink domain, divisibility of heads,
// layers, batch, sequence and experts, unsupported precision, and a plan that does not fit in HBM.
void check_plan(const PretrainingWorkload& w, const ModelSpec& m, const hw::ClusterSpec& c);

// --- the pipeline as events (exposed for tests against hand-drawn timelines) ---------------------------------
struct PipelineTask {
  int chunk = 0;  // local model chunk on this stage (0 .. interleave-1)
  int micro = 0;
  bool forward = true;
  // A W pass (zb-h1 only): the weight gradients of a backward whose B (forward false, weight false) ran earlier on
  // this stage. In the other schedules a backward task computes both.
  bool weight = false;
  friend bool operator==(const PipelineTask&, const PipelineTask&) = default;
};
// The order a stage runs its tasks in (Megatron-LM's schedules; GPipe: all forwards, then all backwards; ZB-H1:
// Qi et al.'s hand schedule, get_hand_schedule(warmup_c=1) in sail-sg/zero-bubble-pipeline-parallelism, arxiv
// branch, megatron/core/pipeline_parallel/efficiency.py).
std::vector<PipelineTask> stage_order(PipelineSchedule s, int pp, int interleave, int micro_batches, int stage);

struct PipelineDurations {
  // [stage][local chunk], seconds per micro-batch
  std::vector<std::vector<double>> fwd, bwd;
  // [stage][chunk]: the weight-gradient part of bwd. zb-h1 runs B = bwd - wgt and W = wgt (required there); the
  // other schedules run bwd as one task and ignore it.
  std::vector<std::vector<double>> wgt;
  bool blocking = false;  // the sender waits for its transfer before its next task (Megatron-LM)
  double p2p = 0;  // seconds from the end of a task to its output's arrival at the next (or previous) stage
  std::vector<std::vector<double>> fwd_p2p, bwd_p2p;  // optional per [stage][chunk] override of p2p (empty: p2p)
};
struct TaskSpan {
  int stage = 0;
  PipelineTask task;
  double start = 0, end = 0;
  double arrived = -1;  // with a PipelineTransport: when the task's send arrived (-1: none, or priced by p2p)
};
struct PipelineTimeline {
  std::vector<TaskSpan> spans;       // in the order they finished
  std::vector<double> compute_end;   // per stage: end of its last task
  std::vector<double> busy;          // per stage: sum of task durations
  double makespan = 0;
  std::uint64_t events = 0;
  std::uint64_t fingerprint = 0;
};
// Carries the pipeline's sends on a network shared with other traffic (network.model: flow; dp_fabric.hpp) and
// hears when each task runs. Without one, a send takes PipelineDurations' fixed time.
class PipelineTransport {
 public:
  virtual ~PipelineTransport() = default;
  // Before the pipeline's first event: the simulator every send and hook runs on.
  virtual void attach(sim::Simulator& sim) = 0;
  // One micro-batch's activations (or gradients) from stage `from` to stage `to`, on every replica at once;
  // `arrived` runs when the last has arrived.
  virtual void send(int from, int to, std::function<void()> arrived) = 0;
  // A task starts now and will end at `end_s` (seconds).
  virtual void task_started(int stage, const PipelineTask& task, double end_s) = 0;
  // A stage has run its last task.
  virtual void stage_done(int stage) = 0;
};
PipelineTimeline simulate_pipeline(const PipelineDurations& d, PipelineSchedule s, int pp, int interleave,
                                   int micro_batches, PipelineTransport* transport = nullptr);

// Bytes Transformer Engine's narrow-precision (FP8, NVFP4) recipe moves in its quantize kernels around one linear
// GEMM op (shapes per GPU), per micro-batch: forward the input (cast-transposed, 4 bytes an element, or transposed
// only, 2, when a fused norm or activation already wrote it narrow) and a step's weight cast spread over its
// micro-batches; backward the output gradient, cast-transposed (docs/pretraining.md, "Quantize kernels"). Zero for
// the attention core and the router, which stay in 16 bits.
struct QuantizeBytes {
  double forward = 0, backward = 0;
};
QuantizeBytes quantize_bytes(const Op& op, double micro_batches);

// Analytic bubble of 1F1B, (p-1)/(m+p-1), and of interleaved, (p-1)/(v m + p-1) (Narayanan et al. 2021 §2.2), for
// any pass times. ZB-H1 (Qi et al. 2024 §2.1): idle (p-1)(T_F + T_B - T_W) against m (T_F + T_B + T_W) of work, so
// it depends on the pass times t_f, t_b (input gradient) and t_w (weight gradient); valid for m >= p.
double analytic_bubble(PipelineSchedule s, int pp, int interleave, int micro_batches, double t_f = 1, double t_b = 1,
                       double t_w = 1);

// Runs `w.steps` steps. Throws PlanError for an invalid plan (check_plan). `flows` (network.model: flow): every
// replica's pipeline sends and every DP group's traffic run as flows on the topology (dp_fabric.hpp) instead of
// each transfer priced alone.
RunResult run_pretraining(const PretrainingWorkload& w, const ModelSpec& m, const hw::ClusterSpec& c,
                          std::uint64_t seed, sim::TraceRecorder* trace, bool flows = false);

}  // namespace dcsim::wl
