// One model instance and its batch scheduler (vLLM-like continuous batching with Sarathi-style chunked prefill).
//
// Each iteration (docs/serving.md "Scheduler"):
//   1. decoding sequences each get their next token(s); if the KV cache cannot hold the new tokens, the latest
//      admitted sequence is preempted (recompute: its KV is dropped and it re-enters the queue head to prefill
//      prompt + generated tokens again; swap: its KV goes to the offload tier and comes back, or is recomputed,
//      whichever is faster);
//   2. the rest of the token budget goes to prefill chunks: running prefills first, then new requests from the
//      FIFO queue, while the batch has fewer than max_batch sequences and KV blocks are free;
//      With attention data parallelism (ep > 1) every request lives on one of ep groups, each with its share of
//      max_batch and token_budget (TensorRT-LLM's per-rank limits); a new request goes to the group TensorRT-LLM's
//      water-filling scheduler scores best (least loaded), and with ADP balance new prompts wait until every group
//      gets one (docs/serving.md, "Attention data parallelism");
//   3. the iteration's time comes from InstanceModel; at its end tokens are emitted, finished requests free
//      their blocks, and completed prefills join the decode set (colocated) or hand their KV to a decode
//      instance (disaggregated prefill).
// Roles: colocated (all of it), prefill (no decode set: finished prompts are handed off), decode (receives
// prefilled requests; re-prefills locally only what it preempted).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "workloads/serving/attention_dp.hpp"
#include "workloads/serving/decode_set.hpp"
#include "workloads/serving/instance_model.hpp"
#include "workloads/serving/kv_cache.hpp"
#include "workloads/serving/pipeline_stages.hpp"
#include "workloads/serving/request.hpp"
#include "workloads/serving/speculative.hpp"

namespace dcsim::wl::serving {

class Engine;

enum class Role { colocated, prefill, decode };

// Where offloaded or cached KV is read from: the instance's aggregate bandwidth and the access latency.
struct TierLink {
  double bandwidth = 0;  // bytes/s for the whole instance (0: tier absent)
  double latency = 0;    // seconds
};

class Instance {
 public:
  // `pipeline`: the stages this micro-batch slot shares with the instance's other slots (pp > 1; one slot per
  // stage, each with 1 / pp of the instance's KV blocks, as vLLM's virtual engines divide them); null when pp = 1.
  // `replica`: the configured instance it belongs to.
  Instance(Engine& engine, int index, int replica, Role role, InstanceModel model, const PoolSpec& pool,
           const SpeculativeSpec& spec, PipelineStages* pipeline = nullptr);

  // A request to prefill (new, or routed here).
  void enqueue(ReqId id);
  // Disaggregated decode: reserves KV for a prefilled request about to arrive; false when it does not fit now or
  // the instance already holds max_batch sequences.
  bool reserve(ReqId id, std::int64_t tokens);
  // Disaggregated decode: the reserved request's KV has arrived; it joins the decode set at the next step.
  void arrive(ReqId id);
  // Disaggregated prefill: the request's KV has left; its blocks are free again.
  void release_handoff(std::int64_t tokens);
  // Starts a step if idle (after new work arrived or blocks were freed elsewhere).
  void kick();

  int index() const { return index_; }
  int replica() const { return replica_; }
  // The GPUs whose power this slot's steps set: all of the instance's, or its 1 / pp share when pipelined (each
  // micro-batch's work, spread over the instance's GPUs, is its activity over that share).
  int power_gpus() const;
  Role role() const { return role_; }
  InstanceModel& model() { return model_; }
  const KvBlocks& kv() const { return kv_; }
  std::int64_t sequences() const;       // decoding + prefilling + waiting + arriving
  std::int64_t queued_tokens() const { return queued_tokens_; }  // prompt tokens not yet prefilled
  int max_batch() const { return pool_.max_batch; }
  std::int64_t decoding() const { return decode_.size(); }
  std::int64_t waiting() const { return static_cast<std::int64_t>(waiting_.size()); }  // not yet admitted
  std::uint64_t steps() const { return steps_; }
  std::uint64_t eager_steps() const { return eager_steps_; }  // run without a CUDA graph
  std::uint64_t preemptions() const { return preemptions_; }
  bool busy() const { return busy_; }
  // Attention data parallelism: the sum over steps of mean / max group tokens, and the steps counted.
  double balance_sum() const { return balance_sum_; }
  std::uint64_t balance_steps() const { return balance_steps_; }
  void set_tiers(TierLink offload, TierLink prefix) { offload_ = offload; prefix_ = prefix; }

 private:
  struct Chunk {
    ReqId id;
    std::int64_t tokens;
  };
  void step();
  void end_step();
  void preempt(ReqId id, double& extra_s);
  // guaranteed_no_evict: holds the blocks of the request's whole length (prompt, output and the speculative
  // overshoot of one verify) when they fit beside every held request's, else false; on_demand: always true.
  bool hold(Request& r);
  void unhold(Request& r);
  bool admit(ReqId id, double& extra_s);
  std::int64_t schedule_chunk(ReqId id, std::int64_t budget, BatchShape& shape);
  // Attention data parallelism (ep > 1).
  struct GroupState {
    std::int64_t seqs = 0;        // requests placed here: prefilling and decoding
    std::int64_t decoding = 0;    // of them, in the decode set
    std::int64_t offset_sum = 0;  // decode members' offsets: their context is offset_sum + decoding x clock
  };
  struct GroupStep {  // what the step in preparation puts on a group
    std::int64_t budget = 0;  // tokens it may still take
    std::int64_t tokens = 0;  // decode and prefill tokens
    GroupShape shape;
  };
  void join_decode(ReqId id, Request& r, std::int64_t context);
  void leave_decode(ReqId id, Request& r);
  void place(Request& r, int group);
  void unplace(Request& r);
  // The group a new request goes to: TensorRT-LLM's assignment score (100 x token load / budget + 2 x prompts +
  // decoding sequences), lowest first, among groups with room; -1 when none has room.
  int best_group(const std::vector<GroupState>& groups, const std::vector<GroupStep>& steps) const;
  // ADP balance: whether new prompts wait this step (TensorRT-LLM's context wait and batching wait).
  bool adp_hold();
  void schedule_groups(BatchShape& shape, double& extra_s);
  double prefill_time(std::int64_t tokens);

  Engine& engine_;
  int index_;
  int replica_;
  Role role_;
  PipelineStages* pipeline_;
  InstanceModel model_;
  PoolSpec pool_;
  AcceptanceCurve accept_;
  KvBlocks kv_;
  std::int64_t held_blocks_ = 0;  // guaranteed_no_evict: blocks held for admitted requests' whole lengths
  DecodeSet decode_;
  std::deque<ReqId> waiting_;
  std::vector<ReqId> prefilling_;
  std::vector<ReqId> arrived_;
  std::int64_t arriving_ = 0;  // reserved, KV in flight
  std::int64_t queued_tokens_ = 0;
  TierLink offload_, prefix_;
  bool busy_ = false;
  std::uint64_t steps_ = 0, eager_steps_ = 0, preemptions_ = 0;
  // The step in flight.
  std::vector<Chunk> chunks_;
  std::vector<ReqId> finished_;
  int groups_ = 1;  // attention data-parallel groups (ep)
  std::vector<GroupState> group_;
  std::vector<GroupStep> group_step_;
  AdpCounters adp_;  // ADP balance's counters
  double balance_sum_ = 0;
  std::uint64_t balance_steps_ = 0;
  std::vector<GroupState> dry_groups_;      // adp_hold's dry run
  std::vector<GroupStep> dry_steps_;
  std::vector<std::int64_t> emitted_by_class_;  // the last decode step's tokens by request class
  std::int64_t step_k_ = 0;
  double step_start_ = 0;
  IterationCost step_cost_;
};

}  // namespace dcsim::wl::serving
