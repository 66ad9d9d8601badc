#include "sim/binned_series.hpp"

#include <algorithm>
#include <stdexcept>

namespace dcsim::sim {

BinnedSeries::BinnedSeries(Kind kind, Time initial_width, std::size_t max_bins)
    : kind_(kind), width_(initial_width), max_bins_(max_bins) {
  if (initial_width <= 0) throw std::invalid_argument("BinnedSeries: the bin width must be positive");
  if (max_bins < 2 || max_bins % 2 != 0) throw std::invalid_argument("BinnedSeries: max_bins must be even, >= 2");
  area_.assign(1, 0.0);
}

void BinnedSeries::cover(Time t) {
  while (t >= width_ * static_cast<Time>(max_bins_)) {
    area_.resize(max_bins_, 0.0);
    for (std::size_t i = 0; i < max_bins_ / 2; ++i) area_[i] = area_[2 * i] + area_[2 * i + 1];
    area_.resize(max_bins_ / 2);
    width_ *= 2;
  }
  const auto need = static_cast<std::size_t>(t / width_) + 1;
  if (area_.size() < need) area_.resize(need, 0.0);
}

void BinnedSeries::integrate(Time until) {
  if (until < last_) throw std::logic_error("BinnedSeries: time went backwards");
  cover(until);
  Time t = last_;
  while (t < until) {
    const auto bin = static_cast<std::size_t>(t / width_);
    const Time edge = std::min(until, static_cast<Time>(bin + 1) * width_);
    area_[bin] += value_ * static_cast<double>(edge - t);
    t = edge;
  }
  last_ = until;
}

void BinnedSeries::set(Time t, double value) {
  if (kind_ != Kind::level) throw std::logic_error("BinnedSeries: set() on a rate series");
  integrate(t);
  value_ = value;
}

void BinnedSeries::add(Time t, double amount) {
  if (kind_ != Kind::rate) throw std::logic_error("BinnedSeries: add() on a level series");
  if (t < 0) throw std::invalid_argument("BinnedSeries: negative time");
  cover(t);
  area_[static_cast<std::size_t>(t / width_)] += amount;
  last_ = std::max(last_, t);
}

std::vector<std::pair<double, double>> BinnedSeries::points(Time end) const {
  BinnedSeries s = *this;
  if (kind_ == Kind::level) s.integrate(std::max(end, last_));
  else s.cover(std::max(end, last_));
  std::vector<std::pair<double, double>> out;
  const Time stop = std::max(end, s.last_);
  // Bins that start before the end (at least one). An amount recorded exactly at the end of a run that ends on a bin
  // edge sits in the next bin: it joins the last one rather than being lost.
  std::size_t n = 1;
  while (n < s.area_.size() && static_cast<Time>(n) * s.width_ < stop) ++n;
  std::vector<double> area(s.area_.begin(), s.area_.begin() + static_cast<std::ptrdiff_t>(n));
  for (std::size_t i = n; i < s.area_.size(); ++i) area.back() += s.area_[i];
  // A rate's last bin measured over a sliver of its width would turn one step's tokens into a spike: one that covers
  // less than half its width joins the bin before, the two measured over their span together.
  if (kind_ == Kind::rate && n > 1 && 2 * (stop - static_cast<Time>(n - 1) * s.width_) < s.width_) {
    area[n - 2] += area[n - 1];
    area.pop_back();
    --n;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const Time lo = static_cast<Time>(i) * s.width_;
    const Time hi = i + 1 < n ? lo + s.width_ : std::max(stop, lo + 1);
    const double span_ps = static_cast<double>(hi - lo);
    const double v = kind_ == Kind::level ? area[i] / span_ps : area[i] / (span_ps * 1e-12);
    out.emplace_back(to_seconds(lo + (hi - lo) / 2), v);
  }
  return out;
}

}  // namespace dcsim::sim
