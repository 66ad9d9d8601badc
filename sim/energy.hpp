// Exact energy accounting for components whose power is piecewise constant in time.
//
// Quantum: power is rounded to the nearest microwatt (int64) when set; energy is accumulated exactly as an
// __int128 count of microwatt-picoseconds (1 uW * 1 ps = 1e-18 J). So a component's energy is exactly
// sum(power_uW * count * duration_ps) and does not depend on how many set_power() calls happen or in what order
// the components are updated: 700 W for 1 s then 100 W for 0.5 s is exactly 750 J. Range: 1.7e20 J.
// Conversion to joules (double) happens only when asked, rounded once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.hpp"

namespace dcsim::sim {

using ComponentId = std::uint32_t;

class EnergyLedger {
 public:
  __extension__ using EnergyUwPs = __int128;     // microwatt-picoseconds

  // The ledger starts at `start` with every component at 0 W.
  explicit EnergyLedger(Time start = 0) : start_(start) {}

  // A component, or `count` identical ones sharing one power setting (e.g. 8192 GPUs): energy and power are
  // multiplied by count. category: "gpu", "cpu", "network", "storage", "other", or any other label.
  ComponentId add(std::string name, std::string category, std::uint64_t count = 1);

  // Power of ONE unit of the component from `now` on (watts, >= 0). `now` must not precede the component's
  // previous update (std::logic_error). Throws std::invalid_argument for negative or non-finite watts.
  void set_power(ComponentId id, double watts, Time now);

  std::size_t size() const { return components_.size(); }
  const std::string& name(ComponentId id) const { return components_.at(id).name; }
  const std::string& category(ComponentId id) const { return components_.at(id).category; }
  std::uint64_t count(ComponentId id) const { return components_.at(id).count; }
  // Current power of the component (all its units), and of everything.
  double power_w(ComponentId id) const;
  double total_power_w() const;

  // Energy from the ledger start up to `until` (>= the component's last update), exact in uW*ps.
  EnergyUwPs energy_uw_ps(ComponentId id, Time until) const;
  EnergyUwPs category_energy_uw_ps(std::string_view category, Time until) const;
  EnergyUwPs total_energy_uw_ps(Time until) const;

  double energy_j(ComponentId id, Time until) const { return to_joules(energy_uw_ps(id, until)); }
  double category_energy_j(std::string_view category, Time until) const {
    return to_joules(category_energy_uw_ps(category, until));
  }
  double total_energy_j(Time until) const { return to_joules(total_energy_uw_ps(until)); }
  // Categories in order of first appearance.
  std::vector<std::string> categories() const;

  // Mean power over [start, until] (W); 0 for an empty interval.
  double average_power_w(Time until) const;
  // Mean power over [from, until] given the exact totals at both ends (take them with total_energy_uw_ps).
  static double average_power_w(EnergyUwPs at_from, Time from, EnergyUwPs at_until, Time until);

  static double to_joules(EnergyUwPs e);

 private:
  struct Component {
    std::string name;
    std::string category;
    std::uint64_t count;
    std::int64_t power_uw = 0;  // per unit
    Time seen = 0;              // the latest set_power time (last: the latest change of power)
    Time last = 0;
    EnergyUwPs energy = 0;  // up to `last`, all units
  };
  static EnergyUwPs accrue(const Component& c, Time until);

  Time start_;
  std::vector<Component> components_;
};

}  // namespace dcsim::sim
