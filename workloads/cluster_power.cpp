#include "workloads/cluster_power.hpp"

namespace dcsim::wl {

ClusterPower::ClusterPower(sim::EnergyLedger& ledger, const hw::ClusterSpec& cluster, const hw::FabricShape& shape,
                           sim::Time start)
    : ledger_(ledger),
      cluster_(cluster),
      pue_(cluster.pue),
      gpus_(cluster.total_gpus()),
      // A partial system (hardware.gpus < system.gpus) powers only its share of the system's parts.
      system_share_(static_cast<double>(cluster.gpus_per_system) / cluster.system.gpus) {
  const auto systems = static_cast<std::uint64_t>(cluster.systems);
  const double share = system_share_;

  active_gpus_ = ledger_.add("gpus (active)", "gpu", static_cast<std::uint64_t>(gpus_));
  idle_gpus_ = ledger_.add("gpus (idle)", "gpu", static_cast<std::uint64_t>(gpus_));
  ledger_.set_power(idle_gpus_, 0, start);
  ledger_.set_power(active_gpus_, 0, start);
  set_gpu_activity({}, 0, start);

  cpus_ = ledger_.add("cpus", "cpu", systems * static_cast<std::uint64_t>(cluster.system.cpus));
  ledger_.set_power(cpus_, hw::cpu_power(cluster.cpu, 0) * share, start);

  const auto nics = ledger_.add("nics", "network", systems * static_cast<std::uint64_t>(cluster.system.nics));
  ledger_.set_power(nics, cluster.nic.power * share, start);

  // Scale-up switch chips (NVSwitch) and scale-out switches (leaf, spine, core) draw their static power.
  scale_out_switch_w_ = (shape.leaves + shape.spines + shape.cores) * cluster.scale_out_switch.power;
  switch_w_ = shape.scale_up_chips * cluster.scale_up_switch.power * share + scale_out_switch_w_;
  const auto switches = ledger_.add("switches", "network");
  ledger_.set_power(switches, switch_w_, start);

  // Optics: with optical scale-out cabling every cable has a transceiver at each end: NIC to leaf, leaf to
  // spine, and (three tiers) every core port to a spine. Their draw does not follow traffic (docs/power.md).
  if (cluster.scale_out_optics) {
    const double cables = shape.nics + static_cast<double>(shape.leaves) * shape.leaf_up +
                          static_cast<double>(shape.cores) * cluster.scale_out_switch.radix;
    optics_w_ = 2.0 * cables * cluster.scale_out_optics->power_per_port;
  }
  const auto optics = ledger_.add("optics", "network");
  ledger_.set_power(optics, optics_w_, start);

  links_scale_up_ = ledger_.add("scale-up link traffic", "network");
  ledger_.set_power(links_scale_up_, 0, start);

  // Storage entries are one GPU's share of the system's devices (docs/hardware.md), so they count per GPU.
  double storage_w = 0;
  for (const auto& s : cluster.storage) storage_w += s.power;
  const auto storage = ledger_.add("storage", "storage", static_cast<std::uint64_t>(gpus_));
  ledger_.set_power(storage, storage_w, start);

  const auto other = ledger_.add("system other (fans, DRAM, board)", "other", systems);
  ledger_.set_power(other, cluster.system.other_power * share, start);
}

void set_systems_power(Metrics& m, double it_w, double scale_out_static_w, double systems) {
  const double systems_w = it_w - scale_out_static_w;
  m.set("power_w.systems", systems_w);
  m.set("power_w.per_system", systems > 0 ? systems_w / systems : 0.0);
}

void ClusterPower::set_gpu_activity(hw::GpuActivity activity, int active_gpus, sim::Time now) {
  // Ledger components have a fixed count, so the active/idle split is expressed as per-unit power scaled by the
  // active share: exact, and it keeps one entry per state.
  const double active_share = gpus_ > 0 ? static_cast<double>(active_gpus) / gpus_ : 0.0;
  ledger_.set_power(active_gpus_, hw::gpu_power(cluster_.gpu, activity) * active_share, now);
  ledger_.set_power(idle_gpus_, hw::gpu_power(cluster_.gpu, {}) * (1.0 - active_share), now);
}

void ClusterPower::set_cpu_utilization(double utilization, sim::Time now) {
  ledger_.set_power(cpus_, hw::cpu_power(cluster_.cpu, utilization) * system_share_, now);
}

void ClusterPower::set_scale_up_traffic(double bytes_per_s, sim::Time now) {
  ledger_.set_power(links_scale_up_, hw::transfer_energy(bytes_per_s, cluster_.system.scale_up.energy_per_bit), now);
}

void ClusterPower::report(Metrics& m, sim::Time start, sim::Time until, double tokens) const {
  const double seconds = sim::to_seconds(until - start);
  const double it_j = ledger_.total_energy_j(until);
  m.set("energy_j", it_j);
  m.set("energy_facility_j", it_j * pue_);
  const auto avg = [&](std::string_view category) {
    return seconds > 0 ? ledger_.category_energy_j(category, until) / seconds : 0.0;
  };
  const double it_w = seconds > 0 ? it_j / seconds : 0.0;
  m.set("power_w.it", it_w);
  m.set("power_w.facility", it_w * pue_);
  m.set("power_w.gpu", avg("gpu"));
  m.set("power_w.cpu", avg("cpu"));
  m.set("power_w.network", avg("network"));
  m.set("power_w.storage", avg("storage"));
  m.set("power_w.other", avg("other"));
  if (seconds > 0) set_systems_power(m, it_w, scale_out_static_w(), system_equivalents());
  m.set("tokens_per_joule", it_j > 0 ? tokens / it_j : 0.0);
  m.set("tokens_per_joule_facility", it_j > 0 ? tokens / (it_j * pue_) : 0.0);
}

}  // namespace dcsim::wl
