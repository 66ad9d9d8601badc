// Statistics collectors. All plain, deterministic, single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "sim/time.hpp"

namespace dcsim::sim {

// A monotone count (requests served, bytes sent).
class Counter {
 public:
  void add(std::uint64_t n = 1) { value_ += n; }
  std::uint64_t value() const { return value_; }
  void reset() { value_ = 0; }

 private:
  std::uint64_t value_ = 0;
};

// The mean over time of a value that is piecewise constant in time (queue length, busy servers, power).
// set(t, v) says the value is v from t on; mean(until) = integral over [start, until] / (until - start).
// Times passed must not decrease (std::logic_error otherwise).
class TimeWeightedAverage {
 public:
  explicit TimeWeightedAverage(Time start = 0, double initial = 0.0);

  void set(Time t, double value);
  void add(Time t, double delta) { set(t, value_ + delta); }
  double value() const { return value_; }
  Time start() const { return start_; }

  // Integral of the value over [start, until] (value x picoseconds). until >= the last set() time.
  double integral(Time until) const;
  // Mean over [start, until]; the current value when until == start.
  double mean(Time until) const;
  // Extremes of the value since start (including the initial value).
  double min() const { return min_; }
  double max() const { return max_; }

  // Restarts the window at t, keeping the current value (e.g. to drop a warm-up period).
  void reset(Time t);

 private:
  Time start_;
  Time last_;
  double value_;
  double area_ = 0.0;  // value x ps, accumulated up to last_
  double min_;
  double max_;
};

// Stores every sample: exact quantiles, mean, variance, min, max.
//
// quantile(q) uses linear interpolation between closest ranks, the default of numpy.quantile ("linear", Hyndman &
// Fan type 7): with the samples sorted x[0] <= ... <= x[n-1], h = (n - 1) q, result = x[floor h] + (h - floor h) *
// (x[floor h + 1] - x[floor h]). quantile_nearest_rank(q) is the classic nearest-rank value x[ceil(q n) - 1]
// (x[0] for q = 0). On an empty set every statistic except count() returns NaN.
class SampleSet {
 public:
  void add(double x);
  void reserve(std::size_t n) { samples_.reserve(n); }
  void clear();

  std::size_t count() const { return samples_.size(); }
  double sum() const { return sum_; }
  double mean() const;
  // Unbiased sample variance (divides by n - 1); 0 for one sample.
  double variance() const;
  double stddev() const;
  double min() const;
  double max() const;

  double quantile(double q) const;  // q in [0, 1]; std::invalid_argument otherwise
  double quantile_nearest_rank(double q) const;
  double p50() const { return quantile(0.50); }
  double p90() const { return quantile(0.90); }
  double p99() const { return quantile(0.99); }

  const std::vector<double>& samples() const { return samples_; }  // in insertion order until a quantile is asked

 private:
  void sort() const;

  mutable std::vector<double> samples_;
  mutable bool sorted_ = true;
  double sum_ = 0.0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

using Percentiles = SampleSet;

}  // namespace dcsim::sim
