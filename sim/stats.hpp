// Statistics collectors. All plain, deterministic, single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <limits>
#include <optional>
#include <vector>

#include "sim/quantile_sketch.hpp"
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

// A distribution of samples: quantiles, mean, variance, min, max, in memory that does not grow with the count.
//
// Up to exact_limit samples (kExactSamples, 1,048,576, unless the constructor says otherwise) every sample is kept
// and quantiles are exact. quantile(q) uses linear interpolation between closest ranks, the default of
// numpy.quantile ("linear", Hyndman & Fan type 7): with the samples sorted x[0] <= ... <= x[n-1], h = (n - 1) q,
// result = x[floor h] + (h - floor h) * (x[floor h + 1] - x[floor h]). quantile_nearest_rank(q) is the classic
// nearest-rank value x[ceil(q n) - 1] (x[0] for q = 0).
//
// Past the limit the samples move into a QuantileSketch (relative accuracy kSketchAccuracy, 0.1%) and are
// freed: the same rules then read each order statistic from the sketch, so every quantile is within 0.1% of the
// exact one (a convex combination of two values each within 0.1%), and the extremes (q = 0 and 1) stay exact.
// count, sum, mean, min and max stay exact; the variance is then Welford's running value (the exact two-pass sum
// before). On an empty set every statistic except count() returns NaN. A run of a day of a 1,000 request/s fleet
// (86 M requests) keeps a few MB per distribution instead of 690 MB.
class SampleSet {
 public:
  static constexpr std::size_t kExactSamples = 1u << 20;
  static constexpr double kSketchAccuracy = 0.001;

  explicit SampleSet(std::size_t exact_limit = kExactSamples) : exact_limit_(exact_limit) {}

  void add(double x);  // x must be finite (std::invalid_argument otherwise)
  void reserve(std::size_t n) { samples_.reserve(std::min(n, exact_limit_)); }
  void clear();
  // Adds every sample of `other` (its sketch's counts once it has one): the result answers as if one set had seen
  // both. Exact while the two together stay within this set's limit.
  void merge(const SampleSet& other);

  std::size_t count() const { return count_; }
  bool exact() const { return !sketch_; }  // false once the samples went into the sketch
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

 private:
  void sort() const;
  void to_sketch();
  double order_statistic(std::size_t k) const;  // 0-based, k < count()

  std::size_t exact_limit_;
  mutable std::vector<double> samples_;
  mutable bool sorted_ = true;
  std::optional<QuantileSketch> sketch_;
  std::size_t count_ = 0;
  double sum_ = 0.0;
  double welford_mean_ = 0.0, welford_m2_ = 0.0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

using Percentiles = SampleSet;

}  // namespace dcsim::sim
