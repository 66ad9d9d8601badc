// The decoding sequences of one instance, kept in aggregate so that a step costs O(1) plus O(log n) per sequence
// that joins, finishes or is preempted, however large the batch:
//   - a token clock G counts tokens every member has emitted; member i's context is G + offset_i;
//   - the summed context is sum(offset) + n G;
//   - a member needs a new KV block when it writes a position that is a multiple of the block size: with
//     ring[r] = members with offset = r (mod block size), a step writing positions ctx .. ctx + k - 1 needs
//     sum over j < k of ring[-(G + j) mod block size] new blocks;
//   - per request class, the member count: a step's tokens by class are k x members of the class, less what
//     finishing members did not need;
//   - members finish in order of the clock value at which their last token is due (a min-heap; stale entries of
//     preempted members are skipped by generation).
#pragma once

#include <cstdint>
#include <queue>
#include <set>
#include <utility>
#include <vector>

#include "workloads/serving/request.hpp"

namespace dcsim::wl::serving {

class DecodeSet {
 public:
  explicit DecodeSet(int block_size) : bs_(block_size), ring_(static_cast<std::size_t>(block_size), 0) {}

  std::int64_t size() const { return n_; }
  std::int64_t clock() const { return clock_; }
  double total_context() const { return static_cast<double>(sum_offset_) + static_cast<double>(n_) * clock_; }
  std::int64_t context_of(const Request& r) const { return clock_ + r.offset; }

  // Adds a request whose KV holds `context` tokens and who still has r.output - r.generated tokens to emit.
  void join(ReqId id, Request& r, std::int64_t context);
  // Removes a member (finished or preempted).
  void leave(ReqId id, Request& r);
  // New blocks a step emitting k tokens per member needs.
  std::int64_t blocks_needed(std::int64_t k) const;
  // The step: every member emits min(k, remaining) tokens. Returns the tokens emitted and sets `by_class` to
  // them by request class (index r.cls; as many entries as classes seen); finished members (in finishing order)
  // are appended to `finished` and still counted as members until leave().
  std::int64_t advance(std::int64_t k, RequestPool& pool, std::vector<ReqId>& finished,
                       std::vector<std::int64_t>& by_class);
  // The latest admitted member (the preemption victim), or nothing.
  bool latest(ReqId& id) const;

 private:
  struct Due {
    std::int64_t clock;
    std::uint64_t order;
    ReqId id;
    std::uint32_t generation;
    bool operator>(const Due& o) const { return clock != o.clock ? clock > o.clock : order > o.order; }
  };
  std::size_t slot(std::int64_t offset) const {
    const std::int64_t m = offset % bs_;
    return static_cast<std::size_t>(m < 0 ? m + bs_ : m);
  }

  int bs_;
  std::vector<std::int64_t> ring_;
  std::int64_t clock_ = 0;
  std::int64_t n_ = 0;
  std::vector<std::int64_t> n_by_class_;
  std::int64_t sum_offset_ = 0;
  std::uint64_t next_order_ = 0;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> due_;
  std::set<std::pair<std::uint64_t, ReqId>> by_admission_;
};

}  // namespace dcsim::wl::serving
