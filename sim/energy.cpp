#include "sim/energy.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dcsim::sim {

namespace {
constexpr std::int64_t kUwPerJoulePs = 1'000'000'000'000'000'000;  // 1 J = 1e18 uW*ps

[[noreturn]] void overflow() { throw std::overflow_error("EnergyLedger: energy exceeds the 128-bit range"); }
}  // namespace

ComponentId EnergyLedger::add(std::string name, std::string category, std::uint64_t count) {
  if (count == 0) throw std::invalid_argument("EnergyLedger::add: count must be >= 1 for " + name);
  components_.push_back(Component{.name = std::move(name), .category = std::move(category), .count = count,
                                  .power_uw = 0, .seen = start_, .last = start_, .energy = 0});
  return static_cast<ComponentId>(components_.size() - 1);
}

EnergyLedger::EnergyUwPs EnergyLedger::accrue(const Component& c, Time until) {
  if (until < c.seen) throw std::logic_error("EnergyLedger: time before the component's last update: " + c.name);
  EnergyUwPs per_unit = 0, all = 0, sum = 0;
  if (__builtin_mul_overflow(static_cast<EnergyUwPs>(c.power_uw), static_cast<EnergyUwPs>(until - c.last), &per_unit) ||
      __builtin_mul_overflow(per_unit, static_cast<EnergyUwPs>(c.count), &all) ||
      __builtin_add_overflow(c.energy, all, &sum)) {
    overflow();
  }
  return sum;
}

void EnergyLedger::set_power(ComponentId id, double watts, Time now) {
  Component& c = components_.at(id);
  if (!(watts >= 0) || !std::isfinite(watts) || watts * 1e6 >= 9.2e18) {
    throw std::invalid_argument("EnergyLedger::set_power: watts must be finite and >= 0 for " + c.name);
  }
  if (now < c.seen) throw std::logic_error("EnergyLedger: time before the component's last update: " + c.name);
  c.seen = now;
  const std::int64_t uw = std::llround(watts * 1e6);
  // An unchanged draw keeps accruing from the last change: the same integer energy, without the work.
  if (uw == c.power_uw) return;
  c.energy = accrue(c, now);
  c.last = now;
  c.power_uw = uw;
}

double EnergyLedger::power_w(ComponentId id) const {
  const Component& c = components_.at(id);
  return static_cast<double>(c.power_uw) * 1e-6 * static_cast<double>(c.count);
}

double EnergyLedger::total_power_w() const {
  double p = 0.0;
  for (ComponentId i = 0; i < components_.size(); ++i) p += power_w(i);
  return p;
}

EnergyLedger::EnergyUwPs EnergyLedger::energy_uw_ps(ComponentId id, Time until) const {
  return accrue(components_.at(id), until);
}

EnergyLedger::EnergyUwPs EnergyLedger::category_energy_uw_ps(std::string_view category, Time until) const {
  EnergyUwPs e = 0;
  for (const Component& c : components_) {
    if (c.category == category && __builtin_add_overflow(e, accrue(c, until), &e)) overflow();
  }
  return e;
}

EnergyLedger::EnergyUwPs EnergyLedger::total_energy_uw_ps(Time until) const {
  EnergyUwPs e = 0;
  for (const Component& c : components_) {
    if (__builtin_add_overflow(e, accrue(c, until), &e)) overflow();
  }
  return e;
}

std::vector<std::string> EnergyLedger::categories() const {
  std::vector<std::string> out;
  for (const Component& c : components_) {
    if (std::find(out.begin(), out.end(), c.category) == out.end()) out.push_back(c.category);
  }
  return out;
}

double EnergyLedger::to_joules(EnergyUwPs e) {
  // Whole joules and the remainder separately: exact up to 2^53 J, then one rounding.
  const EnergyUwPs whole = e / kUwPerJoulePs;
  const EnergyUwPs rest = e % kUwPerJoulePs;
  return static_cast<double>(whole) + static_cast<double>(rest) / 1e18;
}

double EnergyLedger::average_power_w(Time until) const {
  return average_power_w(0, start_, total_energy_uw_ps(until), until);
}

double EnergyLedger::average_power_w(EnergyUwPs at_from, Time from, EnergyUwPs at_until, Time until) {
  if (until <= from) return 0.0;
  // J / s = (uW*ps / 1e18) / (ps / 1e12)
  return to_joules(at_until - at_from) / to_seconds(until - from);
}

}  // namespace dcsim::sim
