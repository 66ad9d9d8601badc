// The power of a whole cluster in the energy ledger: one ledger component per kind of part (with its count, so
// 100,000 GPUs cost one entry), static parts set once, GPUs, CPUs and link traffic set by the workload as their
// activity changes. Categories: gpu, cpu, network, storage, other (DESIGN.md §6; docs/power.md).
#pragma once

#include "hw/power.hpp"
#include "hw/spec.hpp"
#include "hw/topology.hpp"
#include "sim/energy.hpp"
#include "sim/time.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::wl {

// power_w.systems: what meters at the systems' own inputs read (nodes or racks: GPUs, CPUs, NICs, NVSwitches,
// storage, fans and conversion), i.e. IT power without the scale-out switches and optics outside them; published
// system power under load (MLPerf Power, vendor measurements) is this figure. power_w.per_system divides it by
// the systems powered.
void set_systems_power(Metrics& m, double it_w, double scale_out_static_w, double systems);

class ClusterPower {
 public:
  // Registers every part at `start`: GPUs and CPUs idle, NICs, switches, optics, storage and the systems' other
  // power at their constant draw.
  ClusterPower(sim::EnergyLedger& ledger, const hw::ClusterSpec& cluster, const hw::FabricShape& shape,
               sim::Time start);

  // Every GPU at the same activity (symmetric workloads); `active_gpus` of them, the rest idle.
  void set_gpu_activity(hw::GpuActivity activity, int active_gpus, sim::Time now);
  void set_cpu_utilization(double utilization, sim::Time now);
  // Bytes per second crossing scale-up (NVLink) links, summed over GPUs and directions: the links' energy per bit
  // becomes power while the traffic lasts. Scale-out switches and optics draw static power (docs/power.md).
  void set_scale_up_traffic(double bytes_per_s, sim::Time now);

  // Static network power: switch chips and optics (for `dcsim show` and docs).
  double network_static_w() const { return switch_w_ + optics_w_; }
  // The part of it outside the systems: scale-out switches and their optics.
  double scale_out_static_w() const { return scale_out_switch_w_ + optics_w_; }
  // Systems powered, a partial system counting as its share.
  double system_equivalents() const { return cluster_.systems * system_share_; }

  // Sets energy_j, energy_facility_j, power_w.{it,facility,gpu,cpu,network,storage,other,systems,per_system} averaged over
  // [start, until], and tokens_per_joule(_facility) for `tokens` (0 tokens gives 0).
  void report(Metrics& m, sim::Time start, sim::Time until, double tokens) const;

 private:
  sim::EnergyLedger& ledger_;
  const hw::ClusterSpec& cluster_;
  double pue_ = 1;
  int gpus_ = 0;
  double system_share_ = 1;  // gpus_per_system / system.gpus
  double switch_w_ = 0, scale_out_switch_w_ = 0, optics_w_ = 0;
  sim::ComponentId active_gpus_ = 0, idle_gpus_ = 0, cpus_ = 0, links_scale_up_ = 0;
};

}  // namespace dcsim::wl
