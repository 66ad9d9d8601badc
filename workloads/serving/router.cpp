#include "workloads/serving/router.hpp"

#include <limits>
#include <stdexcept>
#include <string>

namespace dcsim::wl::serving {

namespace {
constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();  // a padding leaf
}  // namespace

std::int64_t Router::score(std::size_t position) const {
  const Instance* in = (*pool_)[position];
  constexpr std::int64_t kFull = std::int64_t{1} << 50;  // beyond any instance's sequences or KV blocks
  const std::int64_t full = full_last_ && in->sequences() >= in->max_batch() ? kFull : 0;
  switch (policy_) {
    case ServingWorkload::Routing::least_loaded: return full + in->sequences();
    case ServingWorkload::Routing::kv_aware:
      return full - (in->kv().free() - in->kv().blocks_for(in->queued_tokens()));
    case ServingWorkload::Routing::round_robin: return 0;
  }
  return 0;
}

std::size_t Router::better(std::size_t a, std::size_t b) const {
  if (a == kNone) return b;
  if (b == kNone) return a;
  return scores_[b] < scores_[a] ? b : a;  // a is the left (lower) one: ties stay with it
}

void Router::attach(const std::vector<Instance*>& pool) {
  pool_ = &pool;
  if (policy_ == ServingWorkload::Routing::round_robin || pool.empty()) return;
  leaves_ = 1;
  while (leaves_ < pool.size()) leaves_ *= 2;
  scores_.resize(pool.size());
  winner_.assign(2 * leaves_, kNone);
  for (std::size_t p = 0; p < pool.size(); ++p) {
    scores_[p] = score(p);
    winner_[leaves_ + p] = static_cast<std::uint32_t>(p);
  }
  for (std::size_t node = leaves_; node-- > 1;) {
    winner_[node] = static_cast<std::uint32_t>(better(winner_[2 * node], winner_[2 * node + 1]));
  }
}

void Router::changed(std::size_t position) {
  if (winner_.empty()) return;  // round-robin keeps no scores
  const std::int64_t s = score(position);
  if (s == scores_[position]) return;
  scores_[position] = s;
  for (std::size_t node = (leaves_ + position) / 2; node >= 1; node /= 2) {
    winner_[node] = static_cast<std::uint32_t>(better(winner_[2 * node], winner_[2 * node + 1]));
  }
}

std::size_t Router::scan() const {
  std::size_t best = 0;
  for (std::size_t i = 1; i < pool_->size(); ++i) {
    if (score(i) < score(best)) best = i;
  }
  return best;
}

std::size_t Router::pick() {
  if (policy_ == ServingWorkload::Routing::round_robin) {
    const std::size_t i = next_ % pool_->size();
    ++next_;
    return i;
  }
  const std::size_t best = winner_[1];
#ifndef NDEBUG
  if (best != scan()) {
    throw std::logic_error("Router: the tree picked " + std::to_string(best) + " but the pool's best is " +
                           std::to_string(scan()) + ": an instance changed without Router::changed");
  }
#endif
  return best;
}

}  // namespace dcsim::wl::serving
