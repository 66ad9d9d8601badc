// Hand-built clusters shared by the workload tests.
#pragma once

#include "hw/spec.hpp"

namespace dcsim::wl::testing {

// One system of `gpus` GPUs with flat efficiency curves (empty curves are 1), so the roofline is exact arithmetic:
// an op takes max(FLOPs / `flops`, bytes / `bandwidth`). `cpu_speed` scales the host's work.
inline hw::ClusterSpec flat_cluster(double flops, double bandwidth, double hbm = 100e9, int gpus = 1,
                                    double cpu_speed = 1) {
  hw::ClusterSpec c;
  c.gpu.name = "flat";
  c.gpu.flops.bf16 = flops;
  c.gpu.hbm_bandwidth = bandwidth;
  c.gpu.hbm_capacity = hbm;
  c.cpu.single_thread_speed = cpu_speed;
  c.systems = 1;
  c.gpus_per_system = gpus;
  return c;
}

}  // namespace dcsim::wl::testing
