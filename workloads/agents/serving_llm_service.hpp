// LlmService on serving's iteration model (workloads/serving/instance_model.hpp): `instances` model replicas, each
// running the agents' simplified continuous-batching scheduler:
//   * calls queue FIFO per replica (agents are pinned to a replica, so their KV and prefixes are reused there);
//   * admission reserves KV blocks for the whole call (prompt + output) up front, so a running call is never
//     preempted; when blocks are short, parked KV of waiting agents is evicted least recently used first, and a
//     call that still does not fit waits at the head of the queue (head-of-line);
//   * each step decodes one token for every decoding call and fills the rest of the token budget with prefill
//     chunks in admission order; its time is InstanceModel::cost of that batch shape;
//   * KV while the agent waits, per the call's policy: drop (freed), hold (parked, evictable), ttl (parked, freed
//     after ttl), offload (copied to the offload tier, freed from HBM when the copy is done; read back before the
//     next call, during which the call waits and the replica may idle).
// Known limitations (docs/agents.md): no preemption and no chunk-level fairness beyond FIFO; a shared sibling
// prefix is counted once as its own parked entry and again inside each sibling's KV (conservative for capacity);
// offload and reload traffic does not contend on the link. serving's Engine (workloads/serving/engine.hpp) has the
// full scheduler; it runs whole request streams and exposes no per-call hook, hence this compact loop.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

#include "hw/collectives.hpp"
#include "sim/simulator.hpp"
#include "workloads/agents/llm_service.hpp"
#include "workloads/agents/swarm.hpp"
#include "workloads/serving/instance_model.hpp"
#include "workloads/serving/kv_cache.hpp"

namespace dcsim::wl::agents {

// Where a pool's replicas sit: their engine settings, their first GPU of the cluster and their first index among
// every pool's replicas (the stall meter's and the step observers' numbering).
struct ReplicaPlacement {
  serving::PoolSpec instance;
  int first_gpu = 0;
  int first_replica = 0;
};

class ServingLlmService : public LlmService {
 public:
  // Step observers: a replica starts a step (with its cost and the batch's token count) or goes idle.
  std::function<void(int instance, const serving::IterationCost& cost, std::int64_t tokens)> on_step;
  std::function<void(int instance)> on_idle;
  std::function<void(std::int64_t used_tokens)> on_kv;  // KV tokens held in HBM, all replicas

  // Step observers and the stall meter see replica first_replica + i; the single-pool form starts at GPU 0.
  ServingLlmService(sim::Simulator& sim, const ModelSpec& model, const AgentsWorkload& w,
                    const hw::ClusterSpec& cluster, const hw::Collectives* coll, int instances, StorageLink offload,
                    StallMeter* stall);
  ServingLlmService(sim::Simulator& sim, const ModelSpec& model, const AgentsWorkload& w,
                    const hw::ClusterSpec& cluster, const hw::Collectives* coll, int instances,
                    ReplicaPlacement place, StorageLink offload, StallMeter* stall);
  ~ServingLlmService() override;

  void submit(const LlmCall& call, std::function<void(const LlmResult&)> done) override;
  void retire(AgentId agent) override;
  int instances() const override { return static_cast<int>(inst_.size()); }

  std::int64_t kv_capacity_tokens() const;  // all replicas
  std::int64_t kv_used_tokens() const;
  double kv_bytes_per_token() const { return kv_bytes_per_token_; }
  double peak_flops() const;  // all replicas
  double model_flops = 0;     // executed, all replicas
  double recompute_flops = 0; // of model_flops: prompt tokens computed before and prefilled again (drop, eviction)
  std::int64_t evictions = 0, ttl_expiries = 0, offloads = 0, reloads = 0;
  std::int64_t prefill_tokens = 0, reused_tokens = 0, reloaded_tokens = 0, decode_tokens = 0;
  std::uint64_t steps = 0;

 private:
  enum class State { none, running, parked, offloading, offloaded };
  struct Resident {
    int instance = 0;
    State state = State::none;
    std::int64_t tokens = 0;  // KV tokens of the agent (in HBM or in the offload tier)
    std::int64_t blocks = 0;  // HBM blocks held
    std::list<AgentId>::iterator lru;
    sim::EventId timer;       // ttl expiry or offload completion
    bool evicted = false;
  };
  struct Seq {
    LlmCall call;
    std::function<void(const LlmResult&)> done;
    LlmResult result;
    std::int64_t prompt_left = 0;  // prompt tokens still to prefill
    std::int64_t recompute_left = 0;  // of them: computed by an earlier call, lost since (prefilled first)
    std::int64_t in_kv = 0;        // tokens in KV (attended to by the next chunk or decode)
    std::int64_t out_left = 0;
    sim::Time ready = 0;           // KV reload done
    std::int64_t chunk = 0;        // this step's prefill chunk
    bool decoding = false;         // decodes this step
  };
  struct Pending {
    LlmCall call;
    std::function<void(const LlmResult&)> done;
    double submitted = 0;
  };
  struct Inst {
    std::unique_ptr<serving::InstanceModel> model;
    serving::KvBlocks kv{0, 1};  // HBM blocks (sized in the constructor)
    std::deque<Pending> queue;
    std::vector<Seq> running;
    std::list<AgentId> lru;  // parked agents, least recently used first
    std::unordered_map<std::uint64_t, std::int64_t> shared;  // resident sibling prefixes: key -> tokens
    bool busy = false;
    sim::Time wake = -1;
  };

  std::int64_t blocks_for(std::int64_t tokens) const;
  void kick(int i);
  void step(int i);
  void end_step(int i);
  bool admit(int i, Pending& p);
  bool make_room(int i, std::int64_t blocks, AgentId keep);
  void free_kv(Resident& r);
  void park(AgentId agent, Resident& r, KvPolicy policy, double ttl_s);
  void unpark(Resident& r);
  void kv_changed();

  sim::Simulator& sim_;
  serving::PoolSpec instance_;
  int first_replica_ = 0;
  StorageLink offload_;
  StallMeter* stall_;
  int block_size_;  // w.instance.block_size
  int gpus_per_replica_ = 1;
  double kv_bytes_per_token_ = 0;
  std::vector<Inst> inst_;
  std::unordered_map<AgentId, Resident> res_;
};

}  // namespace dcsim::wl::agents
