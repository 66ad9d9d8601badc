#include "workloads/serving/instance.hpp"

#include <algorithm>
#include <stdexcept>

#include "workloads/serving/engine.hpp"

namespace dcsim::wl::serving {

Instance::Instance(Engine& engine, int index, Role role, InstanceModel model, const PoolSpec& pool,
                   const SpeculativeSpec& spec)
    : engine_(engine),
      index_(index),
      role_(role),
      model_(std::move(model)),
      pool_(pool),
      accept_(spec),
      kv_(model_.kv_capacity_tokens(), pool.block_size),
      decode_(pool.block_size) {}

std::int64_t Instance::sequences() const {
  return decode_.size() + static_cast<std::int64_t>(prefilling_.size() + waiting_.size() + arrived_.size()) +
         arriving_;
}

void Instance::enqueue(ReqId id) {
  Request& r = engine_.pool[id];
  queued_tokens_ += r.target - r.done;
  waiting_.push_back(id);
  kick();
}

bool Instance::hold(Request& r) {
  if (engine_.w.kv_admission != ServingWorkload::KvAdmission::guaranteed_no_evict) return true;
  const std::int64_t need =
      std::min(kv_.capacity(), kv_.blocks_for(r.input + r.output + engine_.w.speculative.draft_tokens));
  if (held_blocks_ + need > kv_.capacity()) return false;
  held_blocks_ += need;
  r.kv_held = need;
  return true;
}

void Instance::unhold(Request& r) {
  if (role_ == Role::prefill) return;  // the hold, if any, is its decode instance's
  held_blocks_ -= r.kv_held;
  r.kv_held = 0;
}

bool Instance::reserve(ReqId id, std::int64_t tokens) {
  Request& r = engine_.pool[id];
  if (!hold(r)) return false;
  if (!kv_.try_alloc(kv_.blocks_for(tokens))) {
    unhold(r);
    return false;
  }
  engine_.pool[id].decode_instance = index_;
  ++arriving_;
  engine_.instance_changed(*this);
  return true;
}

void Instance::arrive(ReqId id) {
  --arriving_;
  arrived_.push_back(id);
  kick();
}

void Instance::release_handoff(std::int64_t tokens) {
  kv_.release(kv_.blocks_for(tokens));
  kick();
}

void Instance::kick() {
  if (!busy_) step();
  engine_.instance_changed(*this);  // enqueue, arrive and release_handoff end here too
}

double Instance::prefill_time(std::int64_t tokens) {
  BatchShape s;
  s.prefill_tokens = tokens;
  s.prefill_pairs = attention_pairs(tokens, 0, 0, AttentionCount::causal);
  s.prefill_logits = 1;
  return model_.cost(s).gpu_s;
}

void Instance::preempt(ReqId id, double& extra_s) {
  Request& r = engine_.pool[id];
  const std::int64_t ctx = decode_.context_of(r);
  r.generated = r.output - (r.due - decode_.clock());
  decode_.leave(id, r);
  kv_.release(kv_.blocks_for(ctx));
  unhold(r);
  ++preemptions_;
  ++r.preemptions;
  r.target = r.input + r.generated;
  r.done = 0;
  if (engine_.w.preemption == ServingWorkload::Preemption::swap && offload_.bandwidth > 0) {
    // Swap-out blocks the step (vLLM's synchronous swap): the KV crosses the host link.
    r.swapped = ctx;
    extra_s += offload_.latency + static_cast<double>(ctx) * model_.kv_bytes_per_token() / offload_.bandwidth;
  }
  queued_tokens_ += r.target;
  waiting_.push_front(id);
}

// First admission of a request into the prefill set: applies the prefix cache or a swapped-out KV (reloaded
// when that is faster than recomputing it) and allocates the blocks of the tokens already present.
bool Instance::admit(ReqId id, double& extra_s) {
  Request& r = engine_.pool[id];
  std::int64_t present = 0;
  double reload = 0;
  if (r.swapped > 0) {
    const double load = offload_.latency + static_cast<double>(r.swapped) * model_.kv_bytes_per_token() /
                                               offload_.bandwidth;
    if (load < prefill_time(r.swapped)) {
      present = r.swapped;
      reload = load;
    }
  } else if (r.generated == 0 && r.prefix_cached > 0) {
    if (prefix_.bandwidth <= 0) {
      present = r.prefix_cached;  // prefixes live in HBM
    } else {
      const double load = prefix_.latency + static_cast<double>(r.prefix_cached) * model_.kv_bytes_per_token() /
                                                prefix_.bandwidth;
      if (load < prefill_time(r.prefix_cached)) {
        present = r.prefix_cached;
        reload = load;
      }
    }
  }
  // A prefill instance hands the request off: its decode instance holds the whole length, not this one.
  if (role_ != Role::prefill && !hold(r)) return false;
  if (!kv_.try_alloc(kv_.blocks_for(present))) {
    unhold(r);
    return false;
  }
  // A request given back to the queue (below) keeps the decode reservation it made the first time.
  if (role_ == Role::prefill && r.decode_instance < 0 && !engine_.reserve_decode(id)) {
    kv_.release(kv_.blocks_for(present));
    return false;
  }
  r.swapped = 0;
  r.done = present;
  queued_tokens_ -= present;
  extra_s += reload;
  return true;
}

std::int64_t Instance::schedule_chunk(ReqId id, std::int64_t budget, BatchShape& shape) {
  Request& r = engine_.pool[id];
  std::int64_t n = std::min(r.target - r.done, budget);
  if (n <= 0) return 0;
  const std::int64_t have = kv_.blocks_for(r.done);
  const std::int64_t fit = (have + kv_.free()) * kv_.block_size() - r.done;
  n = std::min(n, fit);
  if (n <= 0) return 0;
  kv_.alloc(kv_.blocks_for(r.done + n) - have);
  shape.prefill_tokens += n;
  shape.prefill_pairs += attention_pairs(n, r.done, 0, AttentionCount::causal);
  shape.prefill_cached += static_cast<double>(r.done);
  if (r.done + n == r.target) ++shape.prefill_logits;
  chunks_.push_back(Chunk{id, n});
  queued_tokens_ -= n;
  return n;
}

void Instance::step() {
  busy_ = true;
  chunks_.clear();
  finished_.clear();
  double extra_s = 0;
  for (ReqId id : arrived_) {
    Request& r = engine_.pool[id];
    decode_.join(id, r, r.done);
  }
  arrived_.clear();

  BatchShape shape;
  step_k_ = 0;
  if (decode_.size() > 0) {
    step_k_ = accept_.next();
    for (;;) {
      const std::int64_t need = decode_.blocks_needed(step_k_);
      if (kv_.try_alloc(need)) break;
      ReqId victim = 0;
      if (!decode_.latest(victim)) break;
      preempt(victim, extra_s);
    }
    shape.decode_seqs = decode_.size();
    shape.decode_context = decode_.total_context();
    shape.tokens_per_decode = accept_.tokens_per_verify();
  }

  std::int64_t budget = pool_.token_budget - shape.decode_seqs * shape.tokens_per_decode;
  for (ReqId id : prefilling_) {
    if (budget <= 0) break;
    budget -= schedule_chunk(id, budget, shape);
  }
  while (budget > 0 && !waiting_.empty() &&
         decode_.size() + static_cast<std::int64_t>(prefilling_.size()) < pool_.max_batch) {
    const ReqId id = waiting_.front();
    if (!admit(id, extra_s)) break;
    waiting_.pop_front();
    prefilling_.push_back(id);
    const std::int64_t n = schedule_chunk(id, budget, shape);
    budget -= n;
    if (n == 0) break;
  }
  // A prefill that holds blocks but cannot grow, with nothing else to free them: give the latest one's back.
  if (shape.tokens() == 0 && prefilling_.size() > 1 && decode_.size() == 0) {
    const ReqId id = prefilling_.back();
    prefilling_.pop_back();
    Request& r = engine_.pool[id];
    kv_.release(kv_.blocks_for(r.done));
    unhold(r);
    queued_tokens_ += r.done;
    r.done = 0;
    ++preemptions_;
    ++r.preemptions;
    waiting_.push_front(id);
    busy_ = false;
    step();
    return;
  }
  if (shape.tokens() == 0 && extra_s == 0) {
    busy_ = false;
    engine_.went_idle(*this);
    return;
  }
  step_cost_ = model_.cost(shape);
  step_cost_.time_s += extra_s;
  step_cost_.parts[StepPart::kv_io] += extra_s;
  step_start_ = engine_.now();
  ++steps_;
  engine_.step_started(*this, step_cost_);
  const double dt = step_cost_.time_s;
  if (role_ == Role::prefill) {
    for (const Chunk& c : chunks_) engine_.stream_kv(*this, c.id, c.tokens, step_start_, dt);
  }
  engine_.sim.schedule_in(sim::from_seconds(dt), [this] { end_step(); });
}

void Instance::end_step() {
  const double t = engine_.now();
  engine_.step_done(*this, step_cost_, step_start_, t);
  if (step_k_ > 0) {
    (void)decode_.advance(step_k_, engine_.pool, finished_, emitted_by_class_);
    engine_.tokens_by_class(emitted_by_class_, t);
    for (ReqId id : finished_) {
      Request& r = engine_.pool[id];
      kv_.release(kv_.blocks_for(decode_.context_of(r)));
      unhold(r);
      decode_.leave(id, r);
      engine_.finish(id, t);
    }
  }
  for (const Chunk& c : chunks_) {
    Request& r = engine_.pool[c.id];
    r.done += c.tokens;
    if (r.done < r.target) continue;
    prefilling_.erase(std::find(prefilling_.begin(), prefilling_.end(), c.id));
    ++r.generated;
    engine_.tokens(1, t, r.cls);
    if (r.first_token < 0) engine_.first_token(c.id, t);
    if (r.generated >= r.output) {
      kv_.release(kv_.blocks_for(r.done));
      unhold(r);
      engine_.finish(c.id, t);
    } else if (role_ == Role::prefill) {
      engine_.prefill_done(*this, c.id);
    } else {
      decode_.join(c.id, r, r.done);
    }
  }
  busy_ = false;
  step();
  engine_.instance_changed(*this);
  engine_.after_step(*this);
}

}  // namespace dcsim::wl::serving
