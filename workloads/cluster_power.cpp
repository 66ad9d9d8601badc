#include "workloads/cluster_power.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <span>
#include <string>

namespace dcsim::wl {
namespace {

using Uwps = sim::EnergyLedger::EnergyUwPs;

// The reported parts of each category, in the order they are reported: a part always appears (0 W when the
// cluster has none), so results of different clusters have the same keys.
constexpr std::string_view kNetworkParts[] = {"switches", "optics", "nics", "links"};
constexpr std::string_view kOtherParts[] = {"fans", "conversion", "board"};

}  // namespace

PowerSnapshot PowerSnapshot::take(const sim::EnergyLedger& ledger, sim::Time t) {
  PowerSnapshot s;
  s.total = ledger.total_energy_uw_ps(t);
  s.components.reserve(ledger.size());
  for (sim::ComponentId id = 0; id < ledger.size(); ++id) s.components.push_back(ledger.energy_uw_ps(id, t));
  return s;
}

void report_energy(Metrics& m, const sim::EnergyLedger& ledger, const PowerSnapshot& from, const PowerSnapshot& to,
                   double seconds, double pue, double tokens) {
  const auto j = [](Uwps x) { return sim::EnergyLedger::to_joules(x); };
  std::map<std::string, Uwps> by_category, by_part;
  for (sim::ComponentId id = 0; id < ledger.size(); ++id) {
    const Uwps before = id < from.components.size() ? from.components[id] : 0;
    const Uwps e = to.components.at(id) - before;
    by_category[ledger.category(id)] += e;
    by_part[ledger.name(id)] += e;
  }
  const double it_j = j(to.total - from.total);
  const auto w = [&](Uwps x) { return seconds > 0 ? j(x) / seconds : 0.0; };
  m.set("energy_j", it_j);
  m.set("energy_facility_j", it_j * pue);
  m.set("power_w.it", w(to.total - from.total));
  m.set("power_w.facility", w(to.total - from.total) * pue);
  for (const char* c : {"gpu", "cpu", "network", "storage", "other"}) m.set(std::string("power_w.") + c, w(by_category[c]));
  for (std::string_view p : kNetworkParts) {
    m.set("power_w.network_parts." + std::string(p), w(by_part["network." + std::string(p)]));
  }
  for (std::string_view p : kOtherParts) {
    m.set("power_w.other_parts." + std::string(p), w(by_part["other." + std::string(p)]));
  }
  m.set("tokens_per_joule", it_j > 0 ? tokens / it_j : 0.0);
  m.set("tokens_per_joule_facility", it_j > 0 ? tokens / (it_j * pue) : 0.0);
}

void set_system_metrics(Metrics& m, std::span<const ClusterPower* const> groups, double pue, int gpus) {
  double scale_out_w = 0, systems = 0, peak_w = 0;
  for (const ClusterPower* g : groups) {
    scale_out_w += g->scale_out_static_w();
    systems += g->system_equivalents();
    peak_w += g->system_peak_w() * g->system_equivalents();
  }
  const double it_w = m.get("power_w.it").value_or(0);
  if (it_w > 0) {
    m.set("power_w.systems", it_w - scale_out_w);
    m.set("power_w.per_system", systems > 0 ? (it_w - scale_out_w) / systems : 0.0);
  }
  m.set("power_w.system_peak", systems > 0 ? peak_w / systems : 0.0);
  m.set("all_in_kw_per_gpu", gpus > 0 ? (peak_w + scale_out_w) * pue / gpus / 1000.0 : 0.0);
}

std::string dominant_power_part(const Metrics& m) {
  const auto it = m.get("power_w.it");
  if (!it || *it <= 0) return "";
  std::vector<std::pair<double, std::string>> shares;
  for (const char* c : {"gpu", "cpu", "network", "storage", "other"}) {
    shares.emplace_back(m.get(std::string("power_w.") + c).value_or(0) / *it, c);
  }
  std::stable_sort(shares.begin(), shares.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  const auto pct = [](double f) { return std::to_string(static_cast<int>(std::lround(100 * f))) + "%"; };
  // The leading part inside a category that has parts (network, other).
  const auto lead = [&](const std::string& category) -> std::string {
    std::span<const std::string_view> parts;
    if (category == "network") parts = kNetworkParts;
    if (category == "other") parts = kOtherParts;
    const double total = m.get("power_w." + category).value_or(0);
    if (parts.empty() || total <= 0) return "";
    std::string best;
    double best_w = -1;
    for (std::string_view p : parts) {
      const double w = m.get("power_w." + category + "_parts." + std::string(p)).value_or(0);
      if (w > best_w) {
        best_w = w;
        best = p;
      }
    }
    return ": " + best + " " + pct(best_w / total);
  };
  std::string out = shares[0].second + " " + pct(shares[0].first) + " of IT power" + lead(shares[0].second);
  out += " (then " + shares[1].second + " " + pct(shares[1].first) + lead(shares[1].second) + ", " +
         shares[2].second + " " + pct(shares[2].first) + lead(shares[2].second) + ")";
  return out;
}

ClusterPower::ClusterPower(sim::EnergyLedger& ledger, const hw::ClusterSpec& cluster, const hw::FabricShape& shape,
                           sim::Time start)
    : ledger_(ledger),
      cluster_(cluster),
      pue_(cluster.pue),
      gpus_(cluster.total_gpus()),
      // A partial system (hardware.gpus < system.gpus) powers only its share of the system's parts.
      system_share_(static_cast<double>(cluster.gpus_per_system) / cluster.system.gpus),
      fabric_(hw::populated_fabric(shape, cluster.scale_out_switch.radix)) {
  const auto systems = static_cast<std::uint64_t>(cluster.systems);
  const double share = system_share_;
  parts_max_per_system_ = hw::system_parts_max_w(cluster.system, cluster.gpu, cluster.cpu, cluster.nic,
                                                 cluster.scale_up_switch, cluster.storage);

  active_gpus_ = ledger_.add("gpu.active", "gpu", static_cast<std::uint64_t>(gpus_));
  idle_gpus_ = ledger_.add("gpu.idle", "gpu", static_cast<std::uint64_t>(gpus_));
  gpu_idle_w_ = hw::gpu_power(cluster.gpu, {});
  cpus_ = ledger_.add("cpu", "cpu", systems * static_cast<std::uint64_t>(cluster.system.cpus));
  links_scale_up_ = ledger_.add("network.links", "network");
  fans_ = ledger_.add("other.fans", "other");
  conversion_ = ledger_.add("other.conversion", "other");
  board_ = ledger_.add("other.board", "other");

  const auto nics = ledger_.add("network.nics", "network", systems * static_cast<std::uint64_t>(cluster.system.nics));
  const double nic_each = cluster.nic.power * share;
  ledger_.set_power(nics, nic_each, start);

  // Scale-up switch chips (NVSwitch, every port cabled inside the system) and the populated scale-out switches.
  scale_up_switch_w_ = shape.scale_up_chips * cluster.scale_up_switch.power * share;
  if (fabric_.switches > 0) {
    const double ports_each = fabric_.switch_ports / fabric_.switches;
    scale_out_switch_w_ = fabric_.switches * hw::switch_power(cluster.scale_out_switch, ports_each);
  }
  const auto switches = ledger_.add("network.switches", "network");
  ledger_.set_power(switches, scale_up_switch_w_ + scale_out_switch_w_, start);

  // Optics: with optical scale-out cabling every cable has modules at both ends, as many per end as its rate
  // needs (a twin-port 800G module serves two 400G cables). Their draw does not follow traffic (docs/power.md).
  if (cluster.scale_out_optics) {
    const hw::OpticsSpec& o = *cluster.scale_out_optics;
    const double modules = 2.0 * (fabric_.nic_cables * hw::optics_modules_per_end(shape.nic_link_bandwidth, o) +
                                  (fabric_.leaf_spine_cables + fabric_.spine_core_cables) *
                                      hw::optics_modules_per_end(shape.switch_port_bandwidth, o));
    optics_w_ = modules * o.power_per_port;
  }
  const auto optics = ledger_.add("network.optics", "network");
  ledger_.set_power(optics, optics_w_, start);

  // Storage entries are one GPU's share of the system's devices (docs/hardware.md), so they count per GPU. GPU
  // workloads leave them at idle (docs/power.md).
  double storage_idle = 0;
  for (const auto& s : cluster.storage) storage_idle += s.idle_power;
  const auto storage = ledger_.add("storage", "storage", static_cast<std::uint64_t>(gpus_));
  ledger_.set_power(storage, storage_idle, start);

  static_inside_w_ = nic_each * static_cast<double>(systems) * cluster.system.nics + scale_up_switch_w_ +
                     storage_idle * gpus_;
  ledger_.set_power(links_scale_up_, 0, start);
  set_cpu_utilization(0, start);
  set_gpu_activity({}, 0, start);
}

void ClusterPower::update_overheads(sim::Time now) {
  const double eq = system_equivalents();
  if (eq <= 0) return;
  const double parts = (gpu_w_ + cpu_w_ + links_w_ + static_inside_w_) / eq;
  const hw::OverheadPower o = hw::system_overheads(cluster_.system.overheads, parts, parts_max_per_system_);
  ledger_.set_power(fans_, o.fans * eq, now);
  ledger_.set_power(conversion_, o.conversion * eq, now);
  ledger_.set_power(board_, o.board * eq, now);
}

double ClusterPower::system_peak_w() const {
  return hw::system_peak_w(cluster_.system.overheads, parts_max_per_system_);
}

void ClusterPower::set_gpu_activity(hw::GpuActivity activity, int active_gpus, sim::Time now) {
  set_gpu_power(hw::gpu_power(cluster_.gpu, activity), active_gpus, now);
}

void ClusterPower::set_gpu_parts(double watts_each, int active_gpus, sim::Time now) {
  // Ledger components have a fixed count, so the active/idle split is expressed as per-unit power scaled by the
  // active share: exact, and it keeps one entry per state.
  const double active_share = gpus_ > 0 ? static_cast<double>(active_gpus) / gpus_ : 0.0;
  ledger_.set_power(active_gpus_, watts_each * active_share, now);
  ledger_.set_power(idle_gpus_, gpu_idle_w_ * (1.0 - active_share), now);
  gpu_w_ = watts_each * active_gpus + gpu_idle_w_ * (gpus_ - active_gpus);
}

void ClusterPower::set_gpu_power(double watts_each, int active_gpus, sim::Time now) {
  set_gpu_parts(watts_each, active_gpus, now);
  update_overheads(now);
}

void ClusterPower::set_gpu_activity_and_traffic(hw::GpuActivity activity, int active_gpus, double bytes_per_s,
                                                sim::Time now) {
  set_gpu_parts(hw::gpu_power(cluster_.gpu, activity), active_gpus, now);
  set_link_parts(bytes_per_s, now);
  update_overheads(now);
}

void ClusterPower::set_cpu_utilization(double utilization, sim::Time now) {
  const double each = hw::cpu_power(cluster_.cpu, utilization) * system_share_;
  ledger_.set_power(cpus_, each, now);
  cpu_w_ = each * static_cast<double>(ledger_.count(cpus_));
  update_overheads(now);
}

void ClusterPower::set_link_parts(double bytes_per_s, sim::Time now) {
  links_w_ = hw::transfer_energy(bytes_per_s, cluster_.system.scale_up.energy_per_bit);
  ledger_.set_power(links_scale_up_, links_w_, now);
}

void ClusterPower::set_scale_up_traffic(double bytes_per_s, sim::Time now) {
  set_link_parts(bytes_per_s, now);
  update_overheads(now);
}

void ClusterPower::report(Metrics& m, sim::Time start, sim::Time until, double tokens) const {
  const double seconds = sim::to_seconds(until - start);
  // From the ledger's start every component's energy is zero: an empty snapshot.
  const PowerSnapshot from = start == 0 ? PowerSnapshot{} : PowerSnapshot::take(ledger_, start);
  report_energy(m, ledger_, from, PowerSnapshot::take(ledger_, until), seconds, pue_, tokens);
  const ClusterPower* self = this;
  set_system_metrics(m, std::span(&self, 1), pue_, gpus_);
}

}  // namespace dcsim::wl
