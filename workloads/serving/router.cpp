#include "workloads/serving/router.hpp"

namespace dcsim::wl::serving {

std::size_t Router::pick(const std::vector<Instance*>& pool) {
  switch (policy_) {
    case ServingWorkload::Routing::round_robin: {
      const std::size_t i = next_ % pool.size();
      ++next_;
      return i;
    }
    case ServingWorkload::Routing::least_loaded: {
      std::size_t best = 0;
      for (std::size_t i = 1; i < pool.size(); ++i) {
        if (pool[i]->sequences() < pool[best]->sequences()) best = i;
      }
      return best;
    }
    case ServingWorkload::Routing::kv_aware: {
      auto headroom = [](const Instance* in) {
        return in->kv().free() - in->kv().blocks_for(in->queued_tokens());
      };
      std::size_t best = 0;
      for (std::size_t i = 1; i < pool.size(); ++i) {
        if (headroom(pool[i]) > headroom(pool[best])) best = i;
      }
      return best;
    }
  }
  return 0;
}

}  // namespace dcsim::wl::serving
