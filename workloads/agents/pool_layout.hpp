// Where each model pool's replicas sit on the cluster's GPUs: the populations' own pools get their replicas, the
// workload's (pool 0) as many as the GPUs left hold unless it says how many; the pools are laid out largest replica
// first, each from a multiple of its replica's GPU count, so a replica whose size divides a system's GPUs never
// straddles two systems (its tensor-parallel traffic stays on the scale-up fabric). Shared by the scenario reader
// (which blames the keys) and run_agents (which places them).
#pragma once

#include <vector>

namespace dcsim::wl::agents {

struct PoolPlacement {
  int first_gpu = 0;
  int replicas = 0;
  int gpus_per_replica = 1;
  int end_gpu() const { return first_gpu + replicas * gpus_per_replica; }
};

struct OwnPoolSize {
  int replicas = 1;
  int gpus_per_replica = 1;
};

// One placement per pool, pool 0 first. Pool 0 gets `pool0_replicas` (0: as many as the GPUs left hold after
// alignment), or none when `pool0_used` is false. Callers check that every end_gpu() is within `total_gpus` and
// that a used pool 0 has a replica.
std::vector<PoolPlacement> place_pools(int total_gpus, int pool0_gpus_per_replica, int pool0_replicas, bool pool0_used,
                                       const std::vector<OwnPoolSize>& own);

}  // namespace dcsim::wl::agents
