// Where requests come from: open-loop arrival processes (Poisson; gamma with a coefficient of variation for
// bursts; a trace file), offline (every request at t = 0, MLPerf Offline) and closed loop (N users, each sending
// its next request a think time after its last one finished). Lengths come from LengthDist draws unless the trace
// gives them. Each draw uses its own named stream (arrivals, input_lengths, output_lengths, think_time, classes),
// so changing one distribution does not move the others (DESIGN.md §3). A request's class is drawn by the
// classes' shares (from the classes stream, and only when there are two or more classes, so that a one-class
// workload draws exactly what a workload without classes draws) unless a trace names it; its lengths then come
// from that class's distributions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "sim/random.hpp"
#include "workloads/serving/serving_workload.hpp"
#include "workloads/serving/trace_source.hpp"

namespace dcsim::wl::serving {

// Draws integer lengths from a LengthDist (rounded to nearest, clamped to [min, max]).
class LengthSampler {
 public:
  explicit LengthSampler(const LengthDist& d);
  std::int64_t sample(sim::RandomStream& r) const;
  double mean_estimate() const;  // for documentation and tests: the unclamped mean

 private:
  LengthDist d_;
  sim::EmpiricalCdf cdf_;
};

class RequestSource {
 public:
  RequestSource(const ServingWorkload& w, std::uint64_t seed);

  // Open loop (poisson, gamma, trace, offline): the next request in arrival order, or nullopt when the source
  // is exhausted (past duration_s, or `requests` reached, or the trace ended).
  std::optional<NewRequest> next();
  bool closed_loop() const { return a_.kind == ArrivalSpec::Kind::closed_loop; }
  // Closed loop: a request sent at `now` (lengths drawn), and the think time before a user's next one.
  NewRequest draw(double now);
  double think_time();
  std::int64_t issued() const { return issued_; }

 private:
  int draw_class();
  void draw_lengths(NewRequest& r);

  ArrivalSpec a_;
  double duration_s_;
  std::vector<LengthSampler> in_, out_;  // per class
  std::vector<double> cumulative_share_;  // per class, normalised to end at 1
  sim::RandomStream arrivals_, input_, output_, think_, classes_;
  std::unique_ptr<TraceReader> trace_;
  double t_ = 0;
  std::int64_t issued_ = 0;
};

}  // namespace dcsim::wl::serving
