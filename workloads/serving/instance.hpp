// One model instance and its batch scheduler (vLLM-like continuous batching with Sarathi-style chunked prefill).
//
// Each iteration (docs/serving.md "Scheduler"):
//   1. decoding sequences each get their next token(s); if the KV cache cannot hold the new tokens, the latest
//      admitted sequence is preempted (recompute: its KV is dropped and it re-enters the queue head to prefill
//      prompt + generated tokens again; swap: its KV goes to the offload tier and comes back, or is recomputed,
//      whichever is faster);
//   2. the rest of the token budget goes to prefill chunks: running prefills first, then new requests from the
//      FIFO queue, while the batch has fewer than max_batch sequences and KV blocks are free;
//   3. the iteration's time comes from InstanceModel; at its end tokens are emitted, finished requests free
//      their blocks, and completed prefills join the decode set (colocated) or hand their KV to a decode
//      instance (disaggregated prefill).
// Roles: colocated (all of it), prefill (no decode set: finished prompts are handed off), decode (receives
// prefilled requests; re-prefills locally only what it preempted).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "workloads/serving/decode_set.hpp"
#include "workloads/serving/instance_model.hpp"
#include "workloads/serving/kv_cache.hpp"
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
  Instance(Engine& engine, int index, Role role, InstanceModel model, const PoolSpec& pool,
           const SpeculativeSpec& spec);

  // A request to prefill (new, or routed here).
  void enqueue(ReqId id);
  // Disaggregated decode: reserves KV for a prefilled request about to arrive; false when it does not fit now.
  bool reserve(ReqId id, std::int64_t tokens);
  // Disaggregated decode: the reserved request's KV has arrived; it joins the decode set at the next step.
  void arrive(ReqId id);
  // Disaggregated prefill: the request's KV has left; its blocks are free again.
  void release_handoff(std::int64_t tokens);
  // Starts a step if idle (after new work arrived or blocks were freed elsewhere).
  void kick();

  int index() const { return index_; }
  Role role() const { return role_; }
  InstanceModel& model() { return model_; }
  const KvBlocks& kv() const { return kv_; }
  std::int64_t sequences() const;       // decoding + prefilling + waiting + arriving
  std::int64_t queued_tokens() const { return queued_tokens_; }  // prompt tokens not yet prefilled
  std::int64_t decoding() const { return decode_.size(); }
  std::int64_t waiting() const { return static_cast<std::int64_t>(waiting_.size()); }  // not yet admitted
  std::uint64_t steps() const { return steps_; }
  std::uint64_t preemptions() const { return preemptions_; }
  bool busy() const { return busy_; }
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
  double prefill_time(std::int64_t tokens);

  Engine& engine_;
  int index_;
  Role role_;
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
  std::uint64_t steps_ = 0, preemptions_ = 0;
  // The step in flight.
  std::vector<Chunk> chunks_;
  std::vector<ReqId> finished_;
  std::vector<std::int64_t> emitted_by_class_;  // the last decode step's tokens by request class
  std::int64_t step_k_ = 0;
  double step_start_ = 0;
  IterationCost step_cost_;
};

}  // namespace dcsim::wl::serving
