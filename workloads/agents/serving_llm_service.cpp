#include "workloads/agents/serving_llm_service.hpp"

#include "workloads/input_error.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "workloads/model_ops.hpp"

namespace dcsim::wl::agents {
namespace {

constexpr AgentId kSharedBit = AgentId{1} << 63;

// The parked entry of a sibling prefix on one replica.
AgentId shared_id(std::uint64_t key, int instance) {
  return kSharedBit | (key << 16) | static_cast<AgentId>(instance);
}

}  // namespace

ServingLlmService::ServingLlmService(sim::Simulator& sim, const ModelSpec& model, const AgentsWorkload& w,
                                     const hw::ClusterSpec& cluster, const hw::Collectives* coll, int instances,
                                     StorageLink offload, StallMeter* stall)
    : ServingLlmService(sim, model, w, cluster, coll, instances, ReplicaPlacement{w.instance, 0, 0}, offload, stall) {
  if (instances < 1) throw std::invalid_argument("agents: no model replica fits");
}

ServingLlmService::ServingLlmService(sim::Simulator& sim, const ModelSpec& model, const AgentsWorkload& w,
                                     const hw::ClusterSpec& cluster, const hw::Collectives* coll, int instances,
                                     ReplicaPlacement place, StorageLink offload, StallMeter* stall)
    : sim_(sim),
      instance_(place.instance),
      first_replica_(place.first_replica),
      offload_(offload),
      stall_(stall),
      block_size_(place.instance.block_size) {
  serving::ServingWorkload sw;
  sw.cpu_iteration_s = w.cpu_iteration_s;
  sw.cpu_per_kernel_s = w.cpu_per_kernel_s;
  const int g = instance_.gpus();
  gpus_per_replica_ = g;
  if (instances < 0) throw std::invalid_argument("agents: a negative number of replicas");
  if (place.first_gpu + instances * g > cluster.total_gpus()) {
    throw std::invalid_argument(std::to_string(instances) + " replicas x " + std::to_string(g) + " GPUs from GPU " +
                                std::to_string(place.first_gpu) + " need " +
                                std::to_string(place.first_gpu + instances * g) + " GPUs; the cluster has " +
                                std::to_string(cluster.total_gpus()));
  }
  inst_.resize(static_cast<std::size_t>(instances));
  for (int i = 0; i < instances; ++i) {
    std::vector<int> gpus(static_cast<std::size_t>(g));
    for (int k = 0; k < g; ++k) gpus[static_cast<std::size_t>(k)] = place.first_gpu + i * g + k;
    Inst& in = inst_[static_cast<std::size_t>(i)];
    in.model = std::make_unique<serving::InstanceModel>(model, instance_, cluster, g > 1 ? coll : nullptr,
                                                        std::move(gpus), sw);
    // Every replica of the pool computes the same dense-op costs: one table for all (as serving's pools do).
    if (i > 0) in.model->share_dense_costs(*inst_.front().model);
    in.kv = serving::KvBlocks(in.model->kv_capacity_tokens(), block_size_);
    kv_bytes_per_token_ = in.model->kv_bytes_per_token();
  }
}

ServingLlmService::~ServingLlmService() = default;

std::int64_t ServingLlmService::blocks_for(std::int64_t tokens) const {
  return serving::KvBlocks::blocks_for(tokens, block_size_);
}

std::int64_t ServingLlmService::kv_capacity_tokens() const {
  std::int64_t c = 0;
  for (const Inst& in : inst_) c += in.kv.capacity();
  return c * block_size_;
}

std::int64_t ServingLlmService::kv_used_tokens() const {
  std::int64_t c = 0;
  for (const Inst& in : inst_) c += in.kv.used();
  return c * block_size_;
}

double ServingLlmService::peak_flops() const {
  double p = 0;
  for (const Inst& in : inst_) p += in.model->peak_flops();
  return p;
}

void ServingLlmService::kv_changed() {
  if (on_kv) on_kv(kv_used_tokens());
}

void ServingLlmService::submit(const LlmCall& call, std::function<void(const LlmResult&)> done) {
  if (call.instance < 0 || call.instance >= instances()) throw std::out_of_range("agents: no such replica");
  Inst& in = inst_[static_cast<std::size_t>(call.instance)];
  in.queue.push_back(Pending{call, std::move(done), sim::to_seconds(sim_.now())});
  kick(call.instance);
}

void ServingLlmService::free_kv(Resident& r) {
  Inst& in = inst_[static_cast<std::size_t>(r.instance)];
  if (r.state == State::parked) in.lru.erase(r.lru);
  if (r.timer.valid()) sim_.cancel(r.timer);
  r.timer = {};
  in.kv.release(r.blocks);
  r.blocks = 0;
  r.tokens = 0;
  r.state = State::none;
  kv_changed();
}

void ServingLlmService::unpark(Resident& r) {
  if (r.state == State::parked) inst_[static_cast<std::size_t>(r.instance)].lru.erase(r.lru);
  if (r.timer.valid()) sim_.cancel(r.timer);
  r.timer = {};
}

bool ServingLlmService::make_room(int i, std::int64_t blocks, AgentId keep) {
  Inst& in = inst_[static_cast<std::size_t>(i)];
  auto it = in.lru.begin();
  while (in.kv.free() < blocks && it != in.lru.end()) {
    const AgentId victim = *it++;
    if (victim == keep) continue;
    Resident& r = res_.at(victim);
    free_kv(r);
    r.evicted = true;
    ++evictions;
    if (victim & kSharedBit) res_.erase(victim);
  }
  return in.kv.free() >= blocks;
}

bool ServingLlmService::admit(int i, Pending& p) {
  Inst& in = inst_[static_cast<std::size_t>(i)];
  const LlmCall& c = p.call;
  Resident& r = res_[c.agent];
  if (r.state != State::none && r.instance != i) free_kv(r);
  if (c.fresh && r.state != State::none) free_kv(r);
  r.instance = i;
  // What of the prompt is already there: the agent's own KV (all but the new tokens), or a sibling prefix.
  const std::int64_t old_part = c.context_tokens - c.new_tokens;
  std::int64_t cached = 0, reload = 0;
  if (!c.fresh && (r.state == State::parked || r.state == State::offloading)) cached = std::min(r.tokens, old_part);
  if (!c.fresh && r.state == State::offloaded) reload = std::min(r.tokens, old_part);
  AgentId shared = 0;
  if (cached == 0 && reload == 0 && c.shared_prefix_key != 0) {
    const auto it = res_.find(shared_id(c.shared_prefix_key, i));
    if (it != res_.end() && it->second.state == State::parked) {
      shared = it->first;
      cached = std::min(it->second.tokens, c.context_tokens);
    }
  }
  const std::int64_t need = blocks_for(c.context_tokens + c.output_tokens);
  const std::int64_t have = r.state == State::parked || r.state == State::offloading ? r.blocks : 0;
  if (need > in.kv.capacity()) {
    throw InputError("context_window", "one call needs " + std::to_string(need * block_size_) +
                                " KV tokens; a replica holds " + std::to_string(in.kv.capacity() * block_size_) +
                                " (lower context_window or raise tp)");
  }
  if (!make_room(i, need - have, c.agent)) return false;
  if (shared != 0) {
    const auto it = res_.find(shared);
    if (it == res_.end()) {  // evicted to make room for this very call
      cached = 0;
    } else {  // touch: most recently used
      in.lru.erase(it->second.lru);
      it->second.lru = in.lru.insert(in.lru.end(), shared);
    }
  }
  const bool was_evicted = r.evicted;
  unpark(r);
  if (r.state == State::offloaded) r.blocks = 0;
  if (need >= r.blocks) {
    in.kv.alloc(need - r.blocks);  // make_room left room for it
  } else {
    in.kv.release(r.blocks - need);
  }
  r.blocks = need;
  r.tokens = c.context_tokens;
  r.state = State::running;
  r.evicted = false;
  kv_changed();

  Seq s;
  s.call = c;
  s.done = std::move(p.done);
  s.result.submitted = p.submitted;
  s.result.started = sim::to_seconds(sim_.now());
  s.result.evicted = was_evicted;
  s.result.reused = cached;
  s.result.reloaded = reload;
  const std::int64_t have_kv = cached + reload + c.loaded_kv_tokens;
  s.in_kv = std::min(have_kv, c.context_tokens);
  s.prompt_left = c.context_tokens - s.in_kv;
  s.result.prefilled = s.prompt_left;
  s.recompute_left = std::clamp<std::int64_t>(old_part - cached - reload, 0, s.prompt_left);
  s.out_left = c.output_tokens;
  s.ready = sim_.now();
  if (reload > 0) {
    s.result.reload_s = offload_.time(static_cast<double>(reload) * kv_bytes_per_token_);
    s.ready = sim_.now() + sim::from_seconds(s.result.reload_s);
    ++reloads;
    reloaded_tokens += reload;
    if (stall_) stall_->external(first_replica_ + i, +1, sim_.now());
    sim_.schedule_at(s.ready, [this, i] {
      if (stall_) stall_->external(first_replica_ + i, -1, sim_.now());
      kick(i);
    });
  }
  prefill_tokens += s.prompt_left;
  reused_tokens += cached;
  in.running.push_back(std::move(s));
  return true;
}

void ServingLlmService::kick(int i) {
  if (!inst_[static_cast<std::size_t>(i)].busy) step(i);
}

void ServingLlmService::step(int i) {
  Inst& in = inst_[static_cast<std::size_t>(i)];
  while (!in.queue.empty() && static_cast<int>(in.running.size()) < instance_.max_batch) {
    if (!admit(i, in.queue.front())) break;
    in.queue.pop_front();
  }
  serving::BatchShape b;
  const sim::Time now = sim_.now();
  for (Seq& s : in.running) {
    s.chunk = 0;
    s.decoding = s.ready <= now && s.prompt_left == 0 && s.out_left > 0;
    if (s.decoding) {
      ++b.decode_seqs;
      b.decode_context += static_cast<double>(s.in_kv);
    }
  }
  std::int64_t budget = instance_.token_budget - b.decode_seqs;
  for (Seq& s : in.running) {
    if (budget <= 0) break;
    if (s.ready > now || s.prompt_left == 0) continue;
    s.chunk = std::min(s.prompt_left, budget);
    budget -= s.chunk;
    b.prefill_tokens += s.chunk;
    b.prefill_pairs += attention_pairs(s.chunk, s.in_kv, 0, AttentionCount::causal);
    b.prefill_cached += static_cast<double>(s.in_kv);
    if (s.chunk == s.prompt_left) ++b.prefill_logits;
  }
  if (b.tokens() == 0) {
    if (on_idle) on_idle(first_replica_ + i);
    return;
  }
  const serving::IterationCost cost = in.model->cost(b);
  in.busy = true;
  ++steps;
  model_flops += cost.model_flops;
  // Recomputation's share of the step's FLOPs, by its share of the step's tokens.
  std::int64_t again = 0;
  for (const Seq& s : in.running) again += std::min(s.chunk, s.recompute_left);
  recompute_flops += cost.model_flops * static_cast<double>(again) / static_cast<double>(b.tokens());
  // GPU-seconds by token: a decoding call's one token and a prefill chunk's tokens share the step.
  const double gpu_s_per_token = cost.time_s * gpus_per_replica_ / static_cast<double>(b.tokens());
  for (Seq& s : in.running) s.result.gpu_s += gpu_s_per_token * static_cast<double>(s.chunk + (s.decoding ? 1 : 0));
  if (stall_) stall_->set_busy(first_replica_ + i, true, now);
  if (on_step) on_step(first_replica_ + i, cost, b.tokens());
  sim_.schedule_in(sim::from_seconds(cost.time_s), [this, i] { end_step(i); });
}

void ServingLlmService::end_step(int i) {
  Inst& in = inst_[static_cast<std::size_t>(i)];
  const double t = sim::to_seconds(sim_.now());
  std::vector<Seq> finished;
  for (Seq& s : in.running) {
    if (s.chunk > 0) {
      s.recompute_left -= std::min(s.chunk, s.recompute_left);
      s.in_kv += s.chunk;
      s.prompt_left -= s.chunk;
      if (s.prompt_left == 0) {  // the last chunk yields the first token
        s.result.first_token = t;
        --s.out_left;
        ++s.in_kv;
        ++decode_tokens;
      }
    } else if (s.decoding) {
      --s.out_left;
      ++s.in_kv;
      ++decode_tokens;
    }
  }
  auto done = std::stable_partition(in.running.begin(), in.running.end(),
                                    [](const Seq& s) { return s.out_left > 0; });
  std::move(done, in.running.end(), std::back_inserter(finished));
  in.running.erase(done, in.running.end());
  for (Seq& s : finished) {
    s.result.finished = t;
    Resident& r = res_.at(s.call.agent);
    r.tokens = s.call.context_tokens + s.call.output_tokens;
    park(s.call.agent, r, s.call.after, s.call.kv_ttl_s);
    if (s.call.shared_prefix_key != 0 && s.result.reused == 0 && s.call.shared_prefix_tokens > 0) {
      // The first sibling here computed the shared prefix: keep it as its own parked entry, room permitting.
      const AgentId id = shared_id(s.call.shared_prefix_key, i);
      const std::int64_t blocks = blocks_for(s.call.shared_prefix_tokens);
      if (!res_.count(id) && in.kv.free() >= blocks) {
        Resident& p = res_[id];
        p.instance = i;
        p.tokens = s.call.shared_prefix_tokens;
        p.blocks = blocks;
        p.state = State::parked;
        p.lru = in.lru.insert(in.lru.end(), id);
        in.kv.alloc(blocks);
        kv_changed();
      }
    }
  }
  in.busy = false;
  if (stall_) stall_->set_busy(first_replica_ + i, false, sim_.now());
  for (Seq& s : finished) s.done(s.result);
  step(i);
}

void ServingLlmService::park(AgentId agent, Resident& r, KvPolicy policy, double ttl_s) {
  Inst& in = inst_[static_cast<std::size_t>(r.instance)];
  // The call reserved prompt + output; the KV now holds exactly that.
  switch (policy) {
    case KvPolicy::drop:
      free_kv(r);
      return;
    case KvPolicy::hold:
    case KvPolicy::ttl:
      r.state = State::parked;
      r.lru = in.lru.insert(in.lru.end(), agent);
      if (policy == KvPolicy::ttl) {
        r.timer = sim_.schedule_in(sim::from_seconds(ttl_s), [this, agent] {
          Resident& x = res_.at(agent);
          x.timer = {};
          free_kv(x);
          ++ttl_expiries;
        });
      }
      return;
    case KvPolicy::offload: {
      r.state = State::offloading;
      ++offloads;
      const double dt = offload_.time(static_cast<double>(r.tokens) * kv_bytes_per_token_);
      r.timer = sim_.schedule_in(sim::from_seconds(dt), [this, agent] {
        Resident& x = res_.at(agent);
        x.timer = {};
        inst_[static_cast<std::size_t>(x.instance)].kv.release(x.blocks);
        x.blocks = 0;
        x.state = State::offloaded;
        kv_changed();
        kick(x.instance);  // blocks freed: a queued call may fit now
      });
      return;
    }
  }
}

void ServingLlmService::retire(AgentId agent) {
  if (agent & kSharedBit) {  // ~wave key: the sibling prefix on every replica
    const std::uint64_t key = ~agent;
    for (int i = 0; i < instances(); ++i) {
      const auto it = res_.find(shared_id(key, i));
      if (it == res_.end()) continue;
      free_kv(it->second);
      res_.erase(it);
      kick(i);
    }
    return;
  }
  const auto it = res_.find(agent);
  if (it == res_.end()) return;
  const int i = it->second.instance;
  if (it->second.state != State::running) free_kv(it->second);
  res_.erase(it);
  kick(i);
}

}  // namespace dcsim::wl::agents
