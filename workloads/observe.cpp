#include "workloads/observe.hpp"

#include <utility>

namespace dcsim::wl {

ObservedSeries observe_series(std::string name, std::string unit, const sim::BinnedSeries& s, sim::Time end) {
  return ObservedSeries{std::move(name), std::move(unit), s.points(end)};
}

ObservedDistribution observe_distribution(std::string name, std::string unit, const sim::SampleSet& s, int points) {
  ObservedDistribution d{std::move(name), std::move(unit), s.count(), {}};
  if (s.count() == 0 || points < 2) return d;
  d.quantiles.reserve(static_cast<std::size_t>(points));
  for (int i = 0; i < points; ++i) d.quantiles.push_back(s.quantile(static_cast<double>(i) / (points - 1)));
  return d;
}

}  // namespace dcsim::wl
