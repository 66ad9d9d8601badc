#include "hw/power.hpp"

#include <algorithm>
#include <cmath>

namespace dcsim::hw {
namespace {

double clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

double limit_of(const GpuSpec& gpu) { return gpu.power.limit > 0 ? gpu.power.limit : gpu.power.max; }

}  // namespace

double gpu_power(const GpuSpec& gpu, GpuActivity activity) {
  const double limit = limit_of(gpu);
  const double p = gpu.power.idle + (limit - gpu.power.idle) * clamp01(activity.compute) +
                   (gpu.power.max - gpu.power.idle) * gpu.memory_power_share * clamp01(activity.memory);
  return std::min(limit, p);
}

double power_limit_clock_factor(const GpuSpec& gpu) {
  const double limit = limit_of(gpu);
  const double range = gpu.power.max - gpu.power.idle;
  if (limit >= gpu.power.max || range <= 0 || gpu.power.dvfs_exponent <= 0) return 1.0;
  return std::pow(std::max(0.0, limit - gpu.power.idle) / range, 1.0 / gpu.power.dvfs_exponent);
}

namespace {
// Tensor-core work slows with the clock: the GEMM plateau and the fused training-attention kernels alike.
void scale_tensor_rates(GpuSpec& gpu, double f) {
  PeakFlops& g = gpu.gemm_peak_fraction;
  for (double* fraction : {&g.fp64, &g.tf32, &g.bf16, &g.fp8, &g.fp4}) *fraction *= f;
  for (auto* curve : {&gpu.training_attention_forward, &gpu.training_attention_backward}) {
    for (EfficiencyPoint& p : *curve) p.fraction *= f;
  }
}
}  // namespace

void apply_power_limit(GpuSpec& gpu) { scale_tensor_rates(gpu, power_limit_clock_factor(gpu)); }

void apply_sustained_clock(GpuSpec& gpu) { scale_tensor_rates(gpu, gpu.sustained_clock_fraction); }

double cpu_power(const CpuSpec& cpu, double utilization) {
  return cpu.power.idle + (cpu.power.max - cpu.power.idle) * clamp01(utilization);
}

double transfer_energy(double bytes, double energy_per_bit) { return bytes * 8.0 * energy_per_bit; }

double switch_power(const SwitchSpec& sw, double ports) {
  const double empty = std::max(0.0, sw.radix - ports);
  return std::max(0.0, sw.power - empty * sw.power_per_port);
}

double optics_modules_per_end(double link_bandwidth, const OpticsSpec& optics) {
  return optics.bandwidth > 0 ? link_bandwidth / optics.bandwidth : 1.0;
}

double system_parts_max_w(const SystemSpec& s, const GpuSpec& gpu, const CpuSpec& cpu, const NicSpec& nic,
                          const SwitchSpec& scale_up_switch, const std::vector<StorageSpec>& storage) {
  double storage_w = 0;
  for (const auto& st : storage) storage_w += st.power;
  return s.gpus * limit_of(gpu) + s.cpus * cpu.power.max + s.nics * nic.power +
         s.scale_up.switches * scale_up_switch.power + s.gpus * storage_w;
}

double system_peak_w(const SystemOverheads& o, double parts_max_w) {
  return parts_max_w + system_overheads(o, parts_max_w, parts_max_w).total();
}

double psu_efficiency(const SystemOverheads& o, double load_fraction) {
  const auto& c = o.psu_efficiency;
  if (c.empty()) return 1.0;
  if (load_fraction <= c.front().size) return c.front().fraction;
  for (std::size_t i = 1; i < c.size(); ++i) {
    if (load_fraction <= c[i].size) {
      const double t = (load_fraction - c[i - 1].size) / (c[i].size - c[i - 1].size);
      return c[i - 1].fraction + t * (c[i].fraction - c[i - 1].fraction);
    }
  }
  return c.back().fraction;
}

OverheadPower system_overheads(const SystemOverheads& o, double parts_w, double parts_max_w) {
  OverheadPower p;
  const double heat = parts_max_w > 0 ? parts_w / parts_max_w : 0.0;
  const double speed = std::clamp(heat, o.fan_min_speed, 1.0);
  p.fans = o.fan_max * speed * speed * speed;
  p.board = o.board;
  const double dc = parts_w + p.fans + p.board;
  const double capacity = o.psu_count * o.psu_rating;
  const double eff = psu_efficiency(o, capacity > 0 ? dc / capacity : 0.0);
  p.conversion = eff > 0 ? dc * (1.0 / eff - 1.0) : 0.0;
  return p;
}

}  // namespace dcsim::hw
