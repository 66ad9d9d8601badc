// Routing of requests to instances: round-robin; least-loaded (fewest sequences queued, prefilling and decoding;
// ties to the lowest index); KV-aware (most free KV blocks after the prompt tokens already queued there). The
// same policies pick the decode instance of a prefilled request in disaggregated mode, where KV-aware means the
// most free blocks.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/serving/instance.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::wl::serving {

class Router {
 public:
  explicit Router(ServingWorkload::Routing policy) : policy_(policy) {}
  // Index into `pool` (non-empty).
  std::size_t pick(const std::vector<Instance*>& pool);

 private:
  ServingWorkload::Routing policy_;
  std::size_t next_ = 0;
};

}  // namespace dcsim::wl::serving
