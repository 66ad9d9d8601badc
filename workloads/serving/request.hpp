// Live requests: a slab of plain records with a free list. A request's record is released when it completes,
// so memory follows the requests in flight, not the requests served (a 360,000-request hour keeps a few
// thousand records).
#pragma once

#include <cstdint>
#include <vector>

namespace dcsim::wl::serving {

using ReqId = std::uint32_t;

struct Request {
  double arrival = 0;
  std::int64_t input = 0;
  std::int64_t output = 0;
  std::int64_t prefix_cached = 0;  // prompt tokens the prefix cache serves (no compute)
  std::int64_t target = 0;         // tokens the current prefill must hold in KV: input + generated
  std::int64_t done = 0;           // tokens of `target` already in KV (computed or cached)
  std::int64_t generated = 0;      // output tokens emitted
  double first_token = -1;
  std::int64_t offset = 0;         // in a decode set: context = clock + offset
  std::int64_t due = 0;            // in a decode set: the clock value at which its last token is out
  std::int64_t swapped = 0;        // tokens of KV swapped out to the offload tier (preemption: swap)
  std::uint64_t admitted = 0;      // admission order in the decode set (preemption picks the latest)
  std::int64_t kv_held = 0;        // KV blocks held for its whole length (admission guaranteed_no_evict)
  std::uint32_t generation = 0;    // bumps when a record leaves a decode set: stale heap entries are skipped
  std::uint64_t serial = 0;        // arrival order from 0: the request's name in --requests and traces
  int preemptions = 0;             // times its KV was given back and its prompt queued again
  int user = -1;                   // closed loop: the user who sent it
  int cls = 0;                     // request class: index into ServingWorkload::class_names()
  int prefill_instance = -1, decode_instance = -1;
  int group = -1;                  // attention data-parallel group on its current instance (ep > 1), or -1
  int pending_transfers = 0;       // disaggregated: KV flows in flight
  bool prefill_finished = false;   // disaggregated: the prompt is done on the prefill instance
  bool measured = false;
  bool live = false;
};

class RequestPool {
 public:
  ReqId alloc() {
    ReqId id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else {
      id = static_cast<ReqId>(slots_.size());
      slots_.emplace_back();
    }
    const std::uint32_t gen = slots_[id].generation + 1;
    slots_[id] = Request{};
    slots_[id].generation = gen;
    slots_[id].live = true;
    ++live_;
    return id;
  }
  void release(ReqId id) {
    slots_[id].live = false;
    ++slots_[id].generation;
    free_.push_back(id);
    --live_;
  }
  Request& operator[](ReqId id) { return slots_[id]; }
  const Request& operator[](ReqId id) const { return slots_[id]; }
  std::size_t live() const { return live_; }
  std::size_t high_water() const { return slots_.size(); }

 private:
  std::vector<Request> slots_;
  std::vector<ReqId> free_;
  std::size_t live_ = 0;
};

}  // namespace dcsim::wl::serving
