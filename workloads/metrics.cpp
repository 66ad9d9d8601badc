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

namespace {
double weight_of(const TokenValueWeights& weights, std::string_view cls) {
  for (const auto& [name, w] : weights) {
    if (name == cls) return w;
  }
  return 1.0;
}
}  // namespace

void add_value_metrics(Metrics& m, const TokenValueWeights& weights) {
  double value = 0;
  for (const Metric& e : m.entries()) {
    if (!e.key.starts_with(kTokensByClassPrefix)) continue;
    const std::string_view cls = std::string_view(e.key).substr(kTokensByClassPrefix.size());
    value += weight_of(weights, cls) * e.value;
  }
  const double it = m.get("energy_j").value_or(0);
  const double facility = m.get("energy_facility_j").value_or(0);
  m.set_after("tokens_per_joule_facility", "value_tokens", value);
  m.set_after("value_tokens", "value_tokens_per_joule", it > 0 ? value / it : 0.0);
  m.set_after("value_tokens_per_joule", "value_tokens_per_joule_facility", facility > 0 ? value / facility : 0.0);
  // Agents: the value of the work, weight x reference tokens (tokens / token efficiency, which a token-efficiency
  // what-if does not shrink), per joule and per task, over all tasks and per population (each its own class).
  const auto reference = m.get("reference_tokens_per_joule");
  const auto joules_per_task = m.get("joules_per_task");
  if (!reference || !joules_per_task) return;
  std::vector<std::string> roles;  // "role.<name>." of each population with a reference figure
  for (const Metric& e : m.entries()) {
    constexpr std::string_view suffix = ".reference_tokens_per_joule";
    if (!e.key.starts_with("role.") || !e.key.ends_with(suffix)) continue;
    roles.push_back(e.key.substr(0, e.key.size() - suffix.size() + 1));
  }
  double per_joule = roles.empty() ? weight_of(weights, kAgentClass) * *reference : 0.0;
  for (const std::string& role : roles) {
    const double w = weight_of(weights, std::string_view(role).substr(5, role.size() - 6));
    const double ref = m.at(role + "reference_tokens_per_joule");
    per_joule += w * ref * m.get(role + "gpu_share").value_or(0.0);  // the role's share of the energy
    m.set(role + "value_per_joule", w * ref);
    if (const auto j = m.get(role + "joules_per_task")) m.set(role + "value_per_task", w * ref * *j);
  }
  m.set("value_per_joule", per_joule);
  m.set("value_per_task", per_joule * *joules_per_task);
}

}  // namespace dcsim::wl
