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
  if (!std::isfinite(x)) throw std::invalid_argument("SampleSet: a sample must be finite, got " + std::to_string(x));
  if (!sketch_ && samples_.size() == exact_limit_) to_sketch();  // before a push that would grow the array
  ++count_;
  sum_ += x;
  const double delta = x - welford_mean_;
  welford_mean_ += delta / static_cast<double>(count_);
  welford_m2_ += delta * (x - welford_mean_);
  min_ = std::min(min_, x);
  max_ = std::max(max_, x);
  if (sketch_) {
    sketch_->add(x);
    return;
  }
  samples_.push_back(x);
  sorted_ = samples_.size() < 2 || (sorted_ && samples_[samples_.size() - 2] <= x);
}

void SampleSet::to_sketch() {
  sketch_.emplace(kSketchAccuracy);
  for (const double v : samples_) sketch_->add(v);
  std::vector<double>().swap(samples_);
  sorted_ = true;
}

void SampleSet::merge(const SampleSet& other) {
  if (other.sketch_) {
    if (!sketch_) to_sketch();
    sketch_->merge(*other.sketch_);
    const std::size_t n = count_ + other.count_;
    const double delta = other.welford_mean_ - welford_mean_;
    welford_m2_ += other.welford_m2_ + delta * delta * static_cast<double>(count_) *
                                           static_cast<double>(other.count_) / static_cast<double>(n);
    welford_mean_ += delta * static_cast<double>(other.count_) / static_cast<double>(n);
    count_ = n;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    return;
  }
  const std::vector<double> copy = other.samples_;  // `other` may be this set
  for (const double v : copy) add(v);
}

void SampleSet::clear() {
  samples_.clear();
  sorted_ = true;
  sketch_.reset();
  count_ = 0;
  sum_ = 0.0;
  welford_mean_ = welford_m2_ = 0.0;
  min_ = std::numeric_limits<double>::infinity();
  max_ = -std::numeric_limits<double>::infinity();
}

double SampleSet::mean() const { return count_ == 0 ? kNaN : sum_ / static_cast<double>(count_); }

double SampleSet::variance() const {
  if (count_ == 0) return kNaN;
  if (count_ == 1) return 0.0;
  if (sketch_) return welford_m2_ / static_cast<double>(count_ - 1);
  const double m = mean();
  double ss = 0.0;
  for (double x : samples_) ss += (x - m) * (x - m);
  return ss / static_cast<double>(count_ - 1);
}

double SampleSet::stddev() const { return std::sqrt(variance()); }
double SampleSet::min() const { return count_ == 0 ? kNaN : min_; }
double SampleSet::max() const { return count_ == 0 ? kNaN : max_; }

void SampleSet::sort() const {
  if (sorted_) return;
  std::sort(samples_.begin(), samples_.end());
  sorted_ = true;
}

double SampleSet::order_statistic(std::size_t k) const {
  if (k == 0) return min_;
  if (k + 1 >= count_) return max_;
  if (!sketch_) {
    sort();
    return samples_[k];
  }
  return std::clamp(sketch_->order_statistic(k), min_, max_);
}

double SampleSet::quantile(double q) const {
  check_q(q);
  if (count_ == 0) return kNaN;
  const double h = static_cast<double>(count_ - 1) * q;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= count_) return order_statistic(count_ - 1);
  const double frac = h - static_cast<double>(lo);
  const double a = order_statistic(lo), b = order_statistic(lo + 1);
  return a + frac * (b - a);
}

double SampleSet::quantile_nearest_rank(double q) const {
  check_q(q);
  if (count_ == 0) return kNaN;
  const double rank = std::ceil(q * static_cast<double>(count_));
  const std::size_t idx = rank < 1.0 ? 0 : static_cast<std::size_t>(rank) - 1;
  return order_statistic(std::min(idx, count_ - 1));
}

}  // namespace dcsim::sim
