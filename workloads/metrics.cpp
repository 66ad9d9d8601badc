#include "workloads/metrics.hpp"

#include <stdexcept>

namespace dcsim::wl {

void Metrics::set(std::string_view key, double value) {
  for (auto& m : entries_) {
    if (m.key == key) {
      m.value = value;
      return;
    }
  }
  entries_.push_back({std::string(key), value});
}

void Metrics::set_after(std::string_view anchor, std::string_view key, double value) {
  for (auto& m : entries_) {
    if (m.key == key) {
      m.value = value;
      return;
    }
  }
  auto at = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->key == anchor) {
      at = it + 1;
      break;
    }
  }
  entries_.insert(at, Metric{std::string(key), value});
}

std::optional<double> Metrics::get(std::string_view key) const {
  for (const auto& m : entries_) {
    if (m.key == key) return m.value;
  }
  return std::nullopt;
}

double Metrics::at(std::string_view key) const {
  if (auto v = get(key)) return *v;
  throw std::out_of_range("no metric named '" + std::string(key) + "'");
}

void add_value_metrics(Metrics& m, const TokenValueWeights& weights) {
  double value = 0;
  for (const Metric& e : m.entries()) {
    if (!e.key.starts_with(kTokensByClassPrefix)) continue;
    const std::string_view cls = std::string_view(e.key).substr(kTokensByClassPrefix.size());
    double weight = 1;
    for (const auto& [name, w] : weights) {
      if (name == cls) weight = w;
    }
    value += weight * e.value;
  }
  const double it = m.get("energy_j").value_or(0);
  const double facility = m.get("energy_facility_j").value_or(0);
  m.set_after("tokens_per_joule_facility", "value_tokens", value);
  m.set_after("value_tokens", "value_tokens_per_joule", it > 0 ? value / it : 0.0);
  m.set_after("value_tokens_per_joule", "value_tokens_per_joule_facility", facility > 0 ? value / facility : 0.0);
}

}  // namespace dcsim::wl
