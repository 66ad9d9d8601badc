// The power of a whole cluster in the energy ledger: one ledger component per kind of part (with its count, so
// 100,000 GPUs cost one entry), static parts set once, GPUs, CPUs and link traffic set by the workload as their
// activity changes, and the systems' fans and power conversion following the load of the parts inside them.
// Categories: gpu, cpu, network, storage, other (DESIGN.md §6); parts within network (switches, optics, nics,
// links) and other (fans, conversion, board) (docs/power.md).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "hw/populated_fabric.hpp"
#include "hw/power.hpp"
#include "hw/spec.hpp"
#include "hw/topology.hpp"
#include "sim/energy.hpp"
#include "sim/time.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::wl {

// Energy of every ledger component at one instant: two snapshots give any window's energy by part exactly.
struct PowerSnapshot {
  sim::EnergyLedger::EnergyUwPs total = 0;
  std::vector<sim::EnergyLedger::EnergyUwPs> components;
  static PowerSnapshot take(const sim::EnergyLedger& ledger, sim::Time t);
};

// Sets, for the window between two snapshots `seconds` long: energy_j, energy_facility_j,
// power_w.{it,facility,gpu,cpu,network,storage,other}, power_w.network_parts.{switches,optics,nics,links},
// power_w.other_parts.{fans,conversion,board}, tokens_per_joule(_facility) for `tokens`. Components are named
// "<category>" or "<category>.<part>" (ClusterPower does so); parts of the same name add up.
void report_energy(Metrics& m, const sim::EnergyLedger& ledger, const PowerSnapshot& from, const PowerSnapshot& to,
                   double seconds, double pue, double tokens);

class ClusterPower;

// The system-level figures of one or more power groups (a disaggregated serving run has one per pool), after
// report_energy has set power_w.it:
//   power_w.systems: what meters at the systems' own inputs read (GPUs, CPUs, NICs, NVSwitches, storage, fans and
//     conversion), i.e. IT power without the scale-out switches and optics outside them; published system power
//     under load (MLPerf Power, vendor measurements) is this figure; power_w.per_system divides it by the systems;
//   power_w.system_peak: one system's input power with every part at its maximum (GPUs at their limit), averaged
//     over the groups' systems;
//   all_in_kw_per_gpu: (peak of all systems + scale-out switches and optics) x PUE per GPU, in kW
//     (docs/power.md, "Peak and all-in power").
void set_system_metrics(Metrics& m, std::span<const ClusterPower* const> groups, double pue, int gpus);

// Which part dominates the watts behind tokens per joule: "gpu 61% of IT power (then network 17%, other 12%)",
// naming within network and other the part that leads it ("network 40%: switches 62%"). Empty without power_w.it.
std::string dominant_power_part(const Metrics& m);

class ClusterPower {
 public:
  // Registers every part at `start`: GPUs and CPUs idle, NICs, switches, optics at their constant draw, storage at
  // its idle draw, and the systems' fans, conversion and board at that load.
  ClusterPower(sim::EnergyLedger& ledger, const hw::ClusterSpec& cluster, const hw::FabricShape& shape,
               sim::Time start);

  // Every GPU at the same activity (symmetric workloads); `active_gpus` of them, the rest idle.
  void set_gpu_activity(hw::GpuActivity activity, int active_gpus, sim::Time now);
  // `active_gpus` GPUs drawing `watts_each` on average (workloads whose GPUs run different steps), the rest idle.
  void set_gpu_power(double watts_each, int active_gpus, sim::Time now);
  void set_cpu_utilization(double utilization, sim::Time now);
  // Bytes per second crossing scale-up (NVLink) links, summed over GPUs and directions: the links' energy per bit
  // becomes power while the traffic lasts. Scale-out switches and optics draw static power (docs/power.md).
  void set_scale_up_traffic(double bytes_per_s, sim::Time now);
  // set_gpu_activity and set_scale_up_traffic at once, the systems' overheads updated once (a step's change).
  void set_gpu_activity_and_traffic(hw::GpuActivity activity, int active_gpus, double bytes_per_s, sim::Time now);

  // Static network power: switch chips and optics (for `dcsim show` and docs).
  double network_static_w() const { return scale_up_switch_w_ + scale_out_switch_w_ + optics_w_; }
  // The part of it outside the systems: scale-out switches and their optics.
  double scale_out_static_w() const { return scale_out_switch_w_ + optics_w_; }
  // Systems powered, a partial system counting as its share.
  double system_equivalents() const { return cluster_.systems * system_share_; }
  // One (whole) system's input power with every part at its maximum.
  double system_peak_w() const;
  const hw::PopulatedFabric& fabric() const { return fabric_; }

  // Reports [start, until] (start 0: the ledger's start): report_energy and set_system_metrics.
  void report(Metrics& m, sim::Time start, sim::Time until, double tokens) const;

 private:
  void update_overheads(sim::Time now);
  void set_gpu_parts(double watts_each, int active_gpus, sim::Time now);  // without the overheads
  void set_link_parts(double bytes_per_s, sim::Time now);

  sim::EnergyLedger& ledger_;
  const hw::ClusterSpec& cluster_;
  double pue_ = 1;
  int gpus_ = 0;
  double system_share_ = 1;  // gpus_per_system / system.gpus
  hw::PopulatedFabric fabric_;
  double scale_up_switch_w_ = 0, scale_out_switch_w_ = 0, optics_w_ = 0;
  // Current draw of the parts inside the systems (all systems together), for fans and conversion.
  double gpu_w_ = 0, cpu_w_ = 0, links_w_ = 0, static_inside_w_ = 0;
  double gpu_idle_w_ = 0;  // one idle GPU's draw
  double parts_max_per_system_ = 0;  // a whole system's parts at full load
  sim::ComponentId active_gpus_ = 0, idle_gpus_ = 0, cpus_ = 0, links_scale_up_ = 0;
  sim::ComponentId fans_ = 0, conversion_ = 0, board_ = 0;
};

}  // namespace dcsim::wl
