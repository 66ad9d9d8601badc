#include "hw/power.hpp"

#include <algorithm>
#include <stdexcept>

namespace dcsim::hw {
namespace {

double clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

}  // namespace

double gpu_power(const GpuSpec& gpu, GpuActivity activity) {
  const double load = clamp01(clamp01(activity.compute) + gpu.memory_power_share * clamp01(activity.memory));
  return gpu.power.idle + (gpu.power.max - gpu.power.idle) * load;
}

double cpu_power(const CpuSpec& cpu, double utilization) {
  return cpu.power.idle + (cpu.power.max - cpu.power.idle) * clamp01(utilization);
}

double transfer_energy(double bytes, double energy_per_bit) { return bytes * 8.0 * energy_per_bit; }


}  // namespace dcsim::hw
