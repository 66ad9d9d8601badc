// The narrow interface between agents and the model they call: submit one LLM call, be told when its last token is
// out. The agent logic (agents.cpp) knows nothing else about serving; ServingLlmService (serving_llm_service.hpp)
// implements it on serving's iteration model, FixedLlmService below with fixed costs for tests.
//
// KV ownership: the service holds each agent's KV cache in HBM between calls according to the call's `after`
// policy (drop, hold, ttl, offload) and decides, at the next call, how many tokens must be prefilled again.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>

#include "sim/simulator.hpp"
#include "workloads/agents/agents_workload.hpp"

namespace dcsim::wl::agents {

using AgentId = std::uint64_t;

struct LlmCall {
  AgentId agent = 0;
  int instance = 0;                   // the replica the agent is pinned to (prefix reuse needs affinity)
  std::int64_t context_tokens = 0;    // the prompt: the whole context this call attends to
  std::int64_t new_tokens = 0;        // appended since the agent's previous call (never cached)
  std::int64_t loaded_kv_tokens = 0;  // of new_tokens: KV already loaded into HBM by a memory load (no prefill)
  std::int64_t shared_prefix_tokens = 0;  // a prefix identical across siblings (first call only)
  std::uint64_t shared_prefix_key = 0;    // 0: none
  bool fresh = false;                 // the agent's context was rewritten (first call, compaction): no own KV
  std::int64_t output_tokens = 1;
  KvPolicy after = KvPolicy::hold;    // what happens to the KV once the call is done
  double kv_ttl_s = 60;               // after == ttl: how long it stays
};

struct LlmResult {
  double submitted = 0, started = 0, first_token = 0, finished = 0;  // seconds
  std::int64_t prefilled = 0;     // prompt tokens computed
  std::int64_t reused = 0;        // prompt tokens served from KV already in HBM (own or shared prefix)
  std::int64_t reloaded = 0;      // prompt tokens whose KV came back from the offload tier
  bool evicted = false;           // the agent's held KV had been evicted under HBM pressure
  double reload_s = 0;            // time spent bringing offloaded KV back
  double gpu_s = 0;               // GPU-seconds: each step's time x the replica's GPUs, shared by the step's tokens
};

class LlmService {
 public:
  virtual ~LlmService() = default;
  virtual void submit(const LlmCall& call, std::function<void(const LlmResult&)> done) = 0;
  // The agent is finished: its KV (held or offloaded) is freed.
  virtual void retire(AgentId agent) = 0;
  virtual int instances() const = 0;
};

// co_await llm(sim, service, call): resumes the process when the call finishes, with its result.
struct LlmAwaiter {
  sim::Simulator& sim;
  LlmService& service;
  LlmCall call;
  LlmResult result{};
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    service.submit(call, [this, h](const LlmResult& r) {
      result = r;
      sim.resume_at(sim.now(), h);
    });
  }
  LlmResult await_resume() const { return result; }
};
inline LlmAwaiter llm(sim::Simulator& sim, LlmService& service, const LlmCall& call) {
  return LlmAwaiter{sim, service, call};
}

// Every call takes base_s + prefill_s_per_token x prefilled + decode_s_per_token x output tokens, with unlimited
// concurrency. KV: hold/ttl/offload keep the agent's tokens (no eviction), drop forgets them. For hand-computed
// timelines in tests.
class FixedLlmService : public LlmService {
 public:
  FixedLlmService(sim::Simulator& sim, double base_s, double prefill_s_per_token, double decode_s_per_token)
      : sim_(sim), base_(base_s), prefill_(prefill_s_per_token), decode_(decode_s_per_token) {}

  void submit(const LlmCall& c, std::function<void(const LlmResult&)> done) override {
    LlmResult r;
    r.submitted = r.started = sim::to_seconds(sim_.now());
    std::int64_t cached = 0;
    if (!c.fresh) {
      const auto it = held_.find(c.agent);
      if (it != held_.end()) cached = std::min(it->second, c.context_tokens - c.new_tokens);
    }
    r.reused = cached;
    r.prefilled = c.context_tokens - cached - c.loaded_kv_tokens;
    const double t = base_ + prefill_ * static_cast<double>(r.prefilled) + decode_ * static_cast<double>(c.output_tokens);
    r.first_token = r.started + base_ + prefill_ * static_cast<double>(r.prefilled);
    r.finished = r.started + t;
    r.gpu_s = t;
    if (c.after == KvPolicy::drop) {
      held_.erase(c.agent);
    } else {
      held_[c.agent] = c.context_tokens + c.output_tokens;
    }
    ++calls_;
    sim_.schedule_in(sim::from_seconds(t), [done = std::move(done), r] { done(r); });
  }
  void retire(AgentId agent) override { held_.erase(agent); }
  int instances() const override { return 1; }
  std::uint64_t calls() const { return calls_; }

 private:
  sim::Simulator& sim_;
  double base_, prefill_, decode_;
  std::unordered_map<AgentId, std::int64_t> held_;
  std::uint64_t calls_ = 0;
};

}  // namespace dcsim::wl::agents
