#include "workloads/serving/instance.hpp"

#include <algorithm>
#include <stdexcept>

#include "workloads/serving/attention_dp.hpp"
#include "workloads/serving/engine.hpp"

namespace dcsim::wl::serving {

namespace {
int slots(const PipelineStages* p) { return p ? p->stages() : 1; }
}  // namespace

Instance::Instance(Engine& engine, int index, int replica, Role role, InstanceModel model, const PoolSpec& pool,
                   const SpeculativeSpec& spec, PipelineStages* pipeline)
    : engine_(engine),
      index_(index),
      replica_(replica),
      role_(role),
      pipeline_(pipeline),
      model_(std::move(model)),
      pool_(pool),
      accept_(spec),
      kv_(model_.kv_capacity_tokens() / slots(pipeline), pool.block_size),
      decode_(pool.block_size),
      groups_(pool.ep > 1 ? pool.ep : 1),
      group_(static_cast<std::size_t>(groups_)),
      group_step_(static_cast<std::size_t>(groups_)) {}

int Instance::power_gpus() const { return static_cast<int>(model_.gpus().size()) / slots(pipeline_); }

void Instance::place(Request& r, int group) {
  if (groups_ == 1) return;
  r.group = group;
  ++group_[static_cast<std::size_t>(group)].seqs;
}

void Instance::unplace(Request& r) {
  if (groups_ == 1 || r.group < 0) return;
  --group_[static_cast<std::size_t>(r.group)].seqs;
  r.group = -1;
}

void Instance::join_decode(ReqId id, Request& r, std::int64_t context) {
  decode_.join(id, r, context);
  if (groups_ == 1) return;
  if (r.group < 0) {  // a prefilled request arriving from elsewhere: the group with the fewest requests
    int g = 0;
    for (int k = 1; k < groups_; ++k) {
      if (group_[static_cast<std::size_t>(k)].seqs < group_[static_cast<std::size_t>(g)].seqs) g = k;
    }
    place(r, g);
  }
  GroupState& g = group_[static_cast<std::size_t>(r.group)];
  ++g.decoding;
  g.offset_sum += r.offset;
}

void Instance::leave_decode(ReqId id, Request& r) {
  if (groups_ > 1 && r.group >= 0) {
    GroupState& g = group_[static_cast<std::size_t>(r.group)];
    --g.decoding;
    g.offset_sum -= r.offset;
  }
  decode_.leave(id, r);
}

int Instance::best_group(const std::vector<GroupState>& groups, const std::vector<GroupStep>& steps) const {
  const double budget = static_cast<double>(std::max<std::int64_t>(1, pool_.token_budget / groups_));
  const std::int64_t cap = std::max(1, pool_.max_batch / groups_);
  int best = -1;
  double best_score = 0;
  for (std::size_t k = 0; k < groups.size(); ++k) {
    if (groups[k].seqs >= cap || steps[k].budget <= 0) continue;
    const double score =
        group_assignment_score(static_cast<double>(steps[k].tokens), budget,
                               static_cast<double>(groups[k].seqs - groups[k].decoding),
                               static_cast<double>(groups[k].decoding));
    if (best < 0 || score < best_score) {
      best = static_cast<int>(k);
      best_score = score;
    }
  }
  return best;
}

bool Instance::adp_hold() {
  const PoolSpec::AdpBalance& b = pool_.adp_balance;
  if (!b.enabled) return false;
  // A dry run of the assignment schedule_groups makes: does every group get a new prompt this step?
  dry_groups_ = group_;
  dry_steps_ = group_step_;
  int with_prompt = 0;
  std::vector<GroupStep>& st = dry_steps_;
  for (ReqId id : waiting_) {
    if (with_prompt == groups_) break;
    const int k = best_group(dry_groups_, st);
    if (k < 0) break;
    const Request& r = engine_.pool[id];
    GroupStep& s = st[static_cast<std::size_t>(k)];
    const std::int64_t n = std::min(r.target - r.done, s.budget);
    if (++dry_groups_[static_cast<std::size_t>(k)].seqs == group_[static_cast<std::size_t>(k)].seqs + 1) {
      ++with_prompt;
    }
    s.tokens += n;
    s.budget -= n;
  }
  const bool all_decoding =
      std::all_of(group_.begin(), group_.end(), [](const GroupState& g) { return g.decoding > 0; });
  return adp_hold_prompts(b, with_prompt == groups_, all_decoding, adp_);
}

void Instance::schedule_groups(BatchShape& shape, double& extra_s) {
  const std::int64_t budget = std::max<std::int64_t>(1, pool_.token_budget / groups_);
  const double clock = static_cast<double>(decode_.clock());
  for (std::size_t k = 0; k < group_.size(); ++k) {
    const GroupState& g = group_[k];
    GroupStep& s = group_step_[k];
    s = GroupStep{};
    s.tokens = g.decoding * shape.tokens_per_decode;
    s.budget = budget - s.tokens;
    s.shape.decode_seqs = g.decoding;
    s.shape.decode_context = static_cast<double>(g.offset_sum) + static_cast<double>(g.decoding) * clock;
  }
  // Running prefills first, each within its own group's budget.
  for (ReqId id : prefilling_) {
    GroupStep& s = group_step_[static_cast<std::size_t>(engine_.pool[id].group)];
    if (s.budget > 0) s.budget -= schedule_chunk(id, s.budget, shape);
  }
  if (!adp_hold()) {
    while (!waiting_.empty()) {
      const int g = best_group(group_, group_step_);
      if (g < 0) break;
      const ReqId id = waiting_.front();
      if (!admit(id, extra_s)) break;
      waiting_.pop_front();
      prefilling_.push_back(id);
      place(engine_.pool[id], g);
      GroupStep& s = group_step_[static_cast<std::size_t>(g)];
      const std::int64_t n = schedule_chunk(id, s.budget, shape);
      s.budget -= n;
      if (n == 0) break;
    }
  }
  // The group that sets the step: the slowest of the groups with the most tokens, the most decode context and the
  // most prompt pairs (each the lowest index on ties), priced on the terms that differ between groups.
  std::size_t most_tokens = 0, most_context = 0, most_pairs = 0;
  for (std::size_t k = 1; k < group_step_.size(); ++k) {
    const GroupStep& s = group_step_[k];
    if (s.tokens > group_step_[most_tokens].tokens) most_tokens = k;
    if (s.shape.decode_context > group_step_[most_context].shape.decode_context) most_context = k;
    if (s.shape.prefill_pairs > group_step_[most_pairs].shape.prefill_pairs) most_pairs = k;
  }
  shape.per_group = true;
  shape.largest_group_tokens = group_step_[most_tokens].tokens;
  std::size_t busiest = most_tokens;
  shape.busiest = group_step_[busiest].shape;
  if (most_context != most_tokens || most_pairs != most_tokens) {
    double slowest = model_.group_time(shape);
    for (std::size_t k : {most_context, most_pairs}) {
      if (k == busiest) continue;
      BatchShape other = shape;
      other.busiest = group_step_[k].shape;
      const double t = model_.group_time(other);
      if (t > slowest) {
        slowest = t;
        busiest = k;
      }
    }
    shape.busiest = group_step_[busiest].shape;
  }
  // TensorRT-LLM blog10's balance ratio of the step: mean over max of the groups' tokens.
  if (group_step_[most_tokens].tokens > 0) {
    std::int64_t sum = 0;
    for (const GroupStep& s : group_step_) sum += s.tokens;
    balance_sum_ += static_cast<double>(sum) / (static_cast<double>(groups_) *
                                                static_cast<double>(group_step_[most_tokens].tokens));
    ++balance_steps_;
  }
}

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
  if (sequences() >= pool_.max_batch) return false;  // the decode engine's batch is full
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
  if (groups_ > 1) {  // the prompt is one group's work
    s.per_group = true;
    s.busiest = GroupShape{0, 0, tokens, s.prefill_pairs, 0, 1};
  }
  return model_.cost(s).gpu_s;
}

void Instance::preempt(ReqId id, double& extra_s) {
  Request& r = engine_.pool[id];
  const std::int64_t ctx = decode_.context_of(r);
  r.generated = r.output - (r.due - decode_.clock());
  leave_decode(id, r);
  unplace(r);
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
  if (groups_ > 1) {
    GroupStep& s = group_step_[static_cast<std::size_t>(r.group)];
    s.tokens += n;
    s.shape.prefill_tokens += n;
    s.shape.prefill_pairs += attention_pairs(n, r.done, 0, AttentionCount::causal);
    s.shape.prefill_cached += static_cast<double>(r.done);
    if (r.done + n == r.target) ++s.shape.prefill_logits;
  }
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
    join_decode(id, r, r.done);
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

  if (groups_ > 1) {
    schedule_groups(shape, extra_s);
  } else {
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
  }
  // A prefill that holds blocks but cannot grow, with nothing else to free them: give the latest one's back.
  if (shape.tokens() == 0 && prefilling_.size() > 1 && decode_.size() == 0) {
    const ReqId id = prefilling_.back();
    prefilling_.pop_back();
    Request& r = engine_.pool[id];
    unplace(r);
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
  double dt = step_cost_.time_s;
  if (pipeline_) {
    // A micro-batch leaves the last stage when the micro-batches ahead of it let it; its GPUs' work spreads over
    // that span.
    dt = pipeline_->enter(step_start_, step_cost_.time_s) - step_start_;
    if (dt > 0) {
      step_cost_.activity.compute *= step_cost_.time_s / dt;
      step_cost_.activity.memory *= step_cost_.time_s / dt;
    }
  }
  ++steps_;
  if (step_cost_.eager) ++eager_steps_;
  engine_.step_started(*this, step_cost_);
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
      leave_decode(id, r);
      unplace(r);
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
      unplace(r);
      engine_.finish(c.id, t);
    } else if (role_ == Role::prefill) {
      unplace(r);
      engine_.prefill_done(*this, c.id);
    } else {
      join_decode(c.id, r, r.done);
    }
  }
  busy_ = false;
  step();
  engine_.instance_changed(*this);
  engine_.after_step(*this);
}

}  // namespace dcsim::wl::serving
