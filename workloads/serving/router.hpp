// Routing of requests to instances: round-robin; least-loaded (fewest sequences queued, prefilling and decoding;
// ties to the lowest index); KV-aware (most free KV blocks after the prompt tokens already queued there). The
// same policies pick the decode instance of a prefilled request in disaggregated mode, where KV-aware means the
// most free blocks.
//
// A pick costs O(1) and a change O(log instances) (#19: a fleet of thousands of instances at 1,000 requests/s):
// a tournament tree over the pool keeps, at each node, the better of its two subtrees (ties to the left, the lower
// index), so the root is what a scan of the pool would pick. The engine calls changed(position) whenever an
// instance's load may have moved (Engine::instance_changed, at the end of every Instance entry point). Builds
// without NDEBUG check every pick against the scan.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/serving/instance.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::wl::serving {

class Router {
 public:
  explicit Router(ServingWorkload::Routing policy) : policy_(policy) {}
  // Decode pools: an instance holding max_batch sequences refuses a reservation, so (least-loaded, KV-aware) it
  // ranks after every instance with room. Call before attach.
  void rank_full_last() { full_last_ = true; }
  // The pool it routes over (its order is the tie order); call once the pool is complete.
  void attach(const std::vector<Instance*>& pool);
  // Position into the attached pool (non-empty).
  std::size_t pick();
  // The instance at `position` may have a new load.
  void changed(std::size_t position);

 private:
  std::int64_t score(std::size_t position) const;  // lower is better
  std::size_t scan() const;                        // what the tree answers, by a scan of the pool
  std::size_t better(std::size_t a, std::size_t b) const;

  ServingWorkload::Routing policy_;
  bool full_last_ = false;
  const std::vector<Instance*>* pool_ = nullptr;
  std::size_t next_ = 0;
  std::size_t leaves_ = 0;                // a power of two >= the pool's size
  std::vector<std::int64_t> scores_;      // by position
  std::vector<std::uint32_t> winner_;     // tree nodes 1 .. 2 leaves - 1; leaf p at leaves + p
};

}  // namespace dcsim::wl::serving
