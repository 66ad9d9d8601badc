// What a run observed over time and across requests, for pictures (the HTML report): time series, distributions
// and a timeline. Bounded in size whatever the run's length (series are binned, distributions kept as quantiles),
// and not part of the result contract's metrics (DESIGN.md §7): the numbers a CI compares stay in Metrics.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dcsim::wl {

struct ObservedSeries {  // a quantity over simulated time
  std::string name;      // "throughput", "KV occupancy"
  std::string unit;      // "tokens/s", "fraction", "W", "requests"
  std::vector<std::pair<double, double>> points;  // (time s, value)
};

struct ObservedDistribution {  // a latency's distribution as quantiles
  std::string name;            // "TTFT"
  std::string unit;            // "s"
  std::size_t count = 0;       // samples behind it
  std::vector<double> quantiles;  // value at q = i / (n - 1), i = 0..n-1 (a CDF read sideways)
};

struct TimelineSpan {
  int lane = 0;
  double start_s = 0, end_s = 0;
  std::string kind;  // "forward", "backward", "wgrad", "comm", "optimizer": one colour each
};

struct Timeline {  // one pipeline step: lanes are stages
  std::vector<std::string> lanes;
  std::vector<TimelineSpan> spans;
};

struct SizeCurve {  // a metric against message size (collectives)
  std::string name, unit;
  std::vector<std::pair<double, double>> points;  // (bytes, value)
};

struct Observations {
  std::vector<ObservedSeries> series;
  std::vector<ObservedDistribution> distributions;
  Timeline timeline;
  std::vector<SizeCurve> size_curves;
};

}  // namespace dcsim::wl
