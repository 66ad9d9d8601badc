// Power of each part as a function of its activity (docs/power.md has the equations and their sources).
// Powers are piecewise constant between events; the event core's EnergyLedger integrates them exactly.
#pragma once

#include "hw/spec.hpp"

namespace dcsim::hw {

// Activity of a GPU over an interval, as fractions in [0, 1]:
//   compute: achieved FLOP/s over the achievable large-GEMM rate at that precision (flops x gemm_peak_fraction);
//   memory:  achieved HBM bytes/s over peak HBM bandwidth.
struct GpuActivity {
  double compute = 0;
  double memory = 0;
};

// P = idle + (max - idle) * min(1, compute + memory_power_share * memory).
// A GPU running GEMMs at the achievable peak draws its maximum board power; a memory-bound kernel draws
// idle + memory_power_share of the dynamic range; an idle GPU its idle power.
double gpu_power(const GpuSpec& gpu, GpuActivity activity);

// Linear in utilization (busy cores / cores) between idle and maximum power.
double cpu_power(const CpuSpec& cpu, double utilization);

// Energy to move `bytes` over a link of `energy_per_bit` joules per bit.
double transfer_energy(double bytes, double energy_per_bit);


}  // namespace dcsim::hw
