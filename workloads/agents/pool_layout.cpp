#include "workloads/agents/pool_layout.hpp"

#include <algorithm>
#include <numeric>

namespace dcsim::wl::agents {
namespace {

int round_up(int x, int multiple) { return multiple > 0 ? (x + multiple - 1) / multiple * multiple : x; }

// Places the pools largest replica first, each from a multiple of its replica's GPUs; returns the end.
int lay_out(std::vector<PoolPlacement>& pools) {
  std::vector<std::size_t> order(pools.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return pools[a].gpus_per_replica > pools[b].gpus_per_replica;
  });
  int next = 0;
  for (const std::size_t k : order) {
    if (pools[k].replicas == 0) continue;
    pools[k].first_gpu = round_up(next, pools[k].gpus_per_replica);
    next = pools[k].end_gpu();
  }
  return next;
}

}  // namespace

std::vector<PoolPlacement> place_pools(int total_gpus, int pool0_gpus_per_replica, int pool0_replicas, bool pool0_used,
                                       const std::vector<OwnPoolSize>& own) {
  std::vector<PoolPlacement> out(own.size() + 1);
  int own_gpus = 0;
  for (std::size_t k = 0; k < own.size(); ++k) {
    out[k + 1].gpus_per_replica = own[k].gpus_per_replica;
    out[k + 1].replicas = own[k].replicas;
    own_gpus += own[k].replicas * own[k].gpus_per_replica;
  }
  PoolPlacement& p0 = out[0];
  p0.gpus_per_replica = std::max(1, pool0_gpus_per_replica);
  const bool fill = pool0_used && pool0_replicas <= 0;
  if (pool0_used) p0.replicas = fill ? std::max(0, (total_gpus - own_gpus) / p0.gpus_per_replica) : pool0_replicas;
  // Alignment may waste GPUs: a pool 0 sized to fill them gives back replicas until the layout fits.
  while (lay_out(out) > total_gpus && fill && p0.replicas > 0) --p0.replicas;
  if (p0.replicas == 0) p0.first_gpu = 0;
  return out;
}

}  // namespace dcsim::wl::agents
