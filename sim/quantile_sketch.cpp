#include "sim/quantile_sketch.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace dcsim::sim {

QuantileSketch::QuantileSketch(double relative_accuracy) : accuracy_(relative_accuracy) {
  if (!(relative_accuracy > 0 && relative_accuracy <= 0.5)) {
    throw std::invalid_argument("QuantileSketch: relative accuracy " + std::to_string(relative_accuracy) +
                                " not in (0, 0.5]");
  }
  gamma_ = (1 + accuracy_) / (1 - accuracy_);
  log_gamma_ = std::log(gamma_);
}

std::int64_t QuantileSketch::index_of(double magnitude) const {
  return static_cast<std::int64_t>(std::ceil(std::log(magnitude) / log_gamma_));
}

double QuantileSketch::value_of(std::int64_t index) const {
  return 2 * std::exp(static_cast<double>(index) * log_gamma_) / (gamma_ + 1);
}

void QuantileSketch::Store::add(std::int64_t index, std::uint64_t n) {
  if (counts.empty()) {
    counts.assign(1, 0);
    offset = index;
  } else if (index < offset) {
    // Grow down to at most kMaxBuckets; below that, values fold into the lowest bucket kept (the collapsing store:
    // the same buckets whatever the order the values came in).
    const std::int64_t lowest = std::max(index, offset + static_cast<std::int64_t>(counts.size()) -
                                                    static_cast<std::int64_t>(kMaxBuckets));
    if (lowest < offset) {
      counts.insert(counts.begin(), static_cast<std::size_t>(offset - lowest), 0);
      offset = lowest;
    }
    index = std::max(index, offset);
  } else if (index >= offset + static_cast<std::int64_t>(counts.size())) {
    const auto need = static_cast<std::size_t>(index - offset) + 1;
    if (need > kMaxBuckets) {  // keep the highest kMaxBuckets: fold the lowest into the new lowest
      const std::size_t drop = need - kMaxBuckets;
      std::uint64_t folded = 0;
      for (std::size_t i = 0; i < std::min(drop, counts.size()); ++i) folded += counts[i];
      counts.erase(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(std::min(drop, counts.size())));
      offset += static_cast<std::int64_t>(drop);
      if (counts.empty()) counts.assign(1, 0);
      counts.front() += folded;
    }
    counts.resize(static_cast<std::size_t>(index - offset) + 1, 0);
  }
  counts[static_cast<std::size_t>(index - offset)] += n;
}

void QuantileSketch::add(double x, std::uint64_t count) {
  if (!std::isfinite(x)) throw std::invalid_argument("QuantileSketch: a value must be finite, got " + std::to_string(x));
  if (count == 0) return;
  const double m = std::fabs(x);
  if (m < std::numeric_limits<double>::min()) {
    zeros_ += count;
  } else if (x > 0) {
    positive_.add(index_of(m), count);
  } else {
    negative_.add(index_of(m), count);
  }
  count_ += count;
}

void QuantileSketch::merge(const QuantileSketch& other) {
  if (other.accuracy_ != accuracy_) throw std::invalid_argument("QuantileSketch: merging sketches of different accuracy");
  for (std::size_t i = 0; i < other.positive_.counts.size(); ++i) {
    if (other.positive_.counts[i] != 0) {
      positive_.add(other.positive_.offset + static_cast<std::int64_t>(i), other.positive_.counts[i]);
    }
  }
  for (std::size_t i = 0; i < other.negative_.counts.size(); ++i) {
    if (other.negative_.counts[i] != 0) {
      negative_.add(other.negative_.offset + static_cast<std::int64_t>(i), other.negative_.counts[i]);
    }
  }
  zeros_ += other.zeros_;
  count_ += other.count_;
}

double QuantileSketch::order_statistic(std::uint64_t k) const {
  if (k >= count_) {
    throw std::out_of_range("QuantileSketch: order statistic " + std::to_string(k) + " of " + std::to_string(count_));
  }
  std::uint64_t seen = 0;
  // Most negative first: the negative store's highest magnitudes.
  for (std::size_t i = negative_.counts.size(); i-- > 0;) {
    seen += negative_.counts[i];
    if (k < seen) return -value_of(negative_.offset + static_cast<std::int64_t>(i));
  }
  seen += zeros_;
  if (k < seen) return 0.0;
  for (std::size_t i = 0; i < positive_.counts.size(); ++i) {
    seen += positive_.counts[i];
    if (k < seen) return value_of(positive_.offset + static_cast<std::int64_t>(i));
  }
  return value_of(positive_.offset + static_cast<std::int64_t>(positive_.counts.size()) - 1);  // unreachable
}

}  // namespace dcsim::sim
