// Power of each part as a function of its activity (docs/power.md has the equations and their sources).
// Powers are piecewise constant between events; the event core's EnergyLedger integrates them exactly.
#pragma once

#include "hw/spec.hpp"

namespace dcsim::hw {

// Activity of a GPU over an interval, as fractions in [0, 1]:
//   compute: achieved FLOP/s over the achievable large-GEMM rate at that precision (flops x gemm_peak_fraction,
//            the fraction already lowered by a power limit: apply_power_limit; for FP4 x its size curve's plateau);
//   memory:  achieved HBM bytes/s over peak HBM bandwidth.
struct GpuActivity {
  double compute = 0;
  double memory = 0;
};

// P = min(limit, idle + (limit - idle) * compute + (max - idle) * memory_power_share * memory).
// Tensor work at the achievable peak draws the limit (the maximum when uncapped); HBM streaming draws its share of
// the design dynamic range whatever the cap (memory clocks are not lowered); an idle GPU draws its idle power.
double gpu_power(const GpuSpec& gpu, GpuActivity activity);

// The clock a power limit leaves: ((limit - idle) / (max - idle))^(1 / dvfs_exponent), 1 when uncapped.
double power_limit_clock_factor(const GpuSpec& gpu);

// Lowers the achievable GEMM fractions and the training-attention curves by the power limit's clock factor (tensor
// work slows; HBM bandwidth does not).
void apply_power_limit(GpuSpec& gpu);

// Lowers the achievable GEMM fractions and the training-attention fractions by sustained_clock_fraction: the clock
// of continuous tensor load at the power limit (training), against the burst at which the fractions were measured.
// On top of a power limit (apply_power_limit) the two multiply: at a limit L a full-load GPU holds
// sustained x ((L - idle) / (max - idle))^(1 / dvfs_exponent) of the burst clock. HBM-bound work does not slow.
void apply_sustained_clock(GpuSpec& gpu);

// Linear in utilization (busy cores / cores) between idle and maximum power.
double cpu_power(const CpuSpec& cpu, double utilization);

// Energy to move `bytes` over a link of `energy_per_bit` joules per bit.
double transfer_energy(double bytes, double energy_per_bit);

// A switch with `ports` of its ports populated: power - (radix - ports) * power_per_port.
double switch_power(const SwitchSpec& sw, double ports);

// Optical modules at one end of a cable carrying `link_bandwidth`: a twin-port module of twice the link's rate
// serves two cables (0.5), a module of half the rate needs two (DGX SuperPOD cabling).
double optics_modules_per_end(double link_bandwidth, const OpticsSpec& optics);

// The system's overheads at a DC load of `parts_w` (everything inside it but fans), `parts_max_w` at full load.
struct OverheadPower {
  double fans = 0;
  double conversion = 0;  // PSU losses
  double board = 0;
  double total() const { return fans + conversion + board; }
};
OverheadPower system_overheads(const SystemOverheads& o, double parts_w, double parts_max_w);

// One system's parts at full load (GPUs at their limit, CPUs at max, NICs, scale-up switch chips, storage active;
// storage entries are per GPU), without fans and conversion.
double system_parts_max_w(const SystemSpec& s, const GpuSpec& gpu, const CpuSpec& cpu, const NicSpec& nic,
                          const SwitchSpec& scale_up_switch, const std::vector<StorageSpec>& storage);

// One system's input power with every part at its maximum: parts_max_w plus fans at full speed and PSU losses at
// that load (what a rating such as DGX H100's 10.2 kW bounds).
double system_peak_w(const SystemOverheads& o, double parts_max_w);

// PSU efficiency at a load fraction, interpolated linearly between the curve's points and clamped at its ends.
double psu_efficiency(const SystemOverheads& o, double load_fraction);

}  // namespace dcsim::hw
