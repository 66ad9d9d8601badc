#include "sim/stats.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dcsim::sim {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_q(double q) {
  if (!(q >= 0.0 && q <= 1.0)) throw std::invalid_argument("SampleSet: quantile " + std::to_string(q) + " not in [0,1]");
}
}  // namespace

TimeWeightedAverage::TimeWeightedAverage(Time start, double initial)
    : start_(start), last_(start), value_(initial), min_(initial), max_(initial) {}

void TimeWeightedAverage::set(Time t, double value) {
  if (t < last_) throw std::logic_error("TimeWeightedAverage: time went backwards");
  area_ += value_ * static_cast<double>(t - last_);
  last_ = t;
  value_ = value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

double TimeWeightedAverage::integral(Time until) const {
  if (until < last_) throw std::logic_error("TimeWeightedAverage: integral before the last update");
  return area_ + value_ * static_cast<double>(until - last_);
}

double TimeWeightedAverage::mean(Time until) const {
  if (until == start_) return value_;
  return integral(until) / static_cast<double>(until - start_);
}

void TimeWeightedAverage::reset(Time t) {
  if (t < last_) throw std::logic_error("TimeWeightedAverage: reset before the last update");
  start_ = last_ = t;
  area_ = 0.0;
  min_ = max_ = value_;
}

void SampleSet::add(double x) {
  samples_.push_back(x);
  sorted_ = samples_.size() < 2 || (sorted_ && samples_[samples_.size() - 2] <= x);
  sum_ += x;
  min_ = std::min(min_, x);
  max_ = std::max(max_, x);
}

void SampleSet::clear() {
  samples_.clear();
  sorted_ = true;
  sum_ = 0.0;
  min_ = std::numeric_limits<double>::infinity();
  max_ = -std::numeric_limits<double>::infinity();
}

double SampleSet::mean() const { return samples_.empty() ? kNaN : sum_ / static_cast<double>(samples_.size()); }

double SampleSet::variance() const {
  const std::size_t n = samples_.size();
  if (n == 0) return kNaN;
  if (n == 1) return 0.0;
  const double m = mean();
  double ss = 0.0;
  for (double x : samples_) ss += (x - m) * (x - m);
  return ss / static_cast<double>(n - 1);
}

double SampleSet::stddev() const { return std::sqrt(variance()); }
double SampleSet::min() const { return samples_.empty() ? kNaN : min_; }
double SampleSet::max() const { return samples_.empty() ? kNaN : max_; }

void SampleSet::sort() const {
  if (sorted_) return;
  std::sort(samples_.begin(), samples_.end());
  sorted_ = true;
}

double SampleSet::quantile(double q) const {
  check_q(q);
  if (samples_.empty()) return kNaN;
  sort();
  const double h = static_cast<double>(samples_.size() - 1) * q;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= samples_.size()) return samples_.back();
  const double frac = h - static_cast<double>(lo);
  return samples_[lo] + frac * (samples_[lo + 1] - samples_[lo]);
}

double SampleSet::quantile_nearest_rank(double q) const {
  check_q(q);
  if (samples_.empty()) return kNaN;
  sort();
  const double rank = std::ceil(q * static_cast<double>(samples_.size()));
  const std::size_t idx = rank < 1.0 ? 0 : static_cast<std::size_t>(rank) - 1;
  return samples_[std::min(idx, samples_.size() - 1)];
}

}  // namespace dcsim::sim
