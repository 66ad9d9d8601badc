#include "workloads/serving/decode_set.hpp"

#include <algorithm>
#include <stdexcept>

namespace dcsim::wl::serving {

void DecodeSet::join(ReqId id, Request& r, std::int64_t context) {
  r.offset = context - clock_;
  r.admitted = next_order_++;
  ++ring_[slot(r.offset)];
  sum_offset_ += r.offset;
  ++n_;
  const auto c = static_cast<std::size_t>(r.cls);
  if (c >= n_by_class_.size()) n_by_class_.resize(c + 1, 0);
  ++n_by_class_[c];
  r.due = clock_ + (r.output - r.generated);
  due_.push(Due{r.due, r.admitted, id, r.generation});
  by_admission_.emplace(r.admitted, id);
}

void DecodeSet::leave(ReqId id, Request& r) {
  --ring_[slot(r.offset)];
  sum_offset_ -= r.offset;
  --n_;
  --n_by_class_[static_cast<std::size_t>(r.cls)];
  by_admission_.erase({r.admitted, id});
  ++r.generation;  // its heap entry, if still there, is now stale
}

std::int64_t DecodeSet::blocks_needed(std::int64_t k) const {
  std::int64_t need = 0;
  for (std::int64_t j = 0; j < std::min<std::int64_t>(k, bs_); ++j) need += ring_[slot(-(clock_ + j))];
  // A step of more than bs tokens crosses a boundary for every member at least k / bs times.
  if (k > bs_) need += n_ * ((k - 1) / bs_);
  return need;
}

std::int64_t DecodeSet::advance(std::int64_t k, RequestPool& pool, std::vector<ReqId>& finished,
                                std::vector<std::int64_t>& by_class) {
  const std::int64_t before = clock_;
  clock_ += k;
  std::int64_t tokens = k * n_;
  by_class.resize(n_by_class_.size());
  for (std::size_t c = 0; c < n_by_class_.size(); ++c) by_class[c] = k * n_by_class_[c];
  while (!due_.empty() && due_.top().clock <= clock_) {
    const Due d = due_.top();
    due_.pop();
    Request& r = pool[d.id];
    if (!r.live || r.generation != d.generation) continue;
    const std::int64_t remaining = d.clock - before;  // tokens it still needed at the start of this step
    tokens -= k - remaining;
    by_class[static_cast<std::size_t>(r.cls)] -= k - remaining;
    r.generated = r.output;
    finished.push_back(d.id);
  }
  return tokens;
}

bool DecodeSet::latest(ReqId& id) const {
  if (by_admission_.empty()) return false;
  id = by_admission_.rbegin()->second;
  return true;
}

}  // namespace dcsim::wl::serving
