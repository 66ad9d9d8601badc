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

}  // namespace dcsim::wl
