// A quantity over simulated time, kept in at most `max_bins` equal bins from t = 0, for plots of a whole run.
//
// Two kinds: a level (piecewise constant: queue length, batch size, power), whose bin value is its time-weighted
// mean over the bin, and a rate (amounts at instants: tokens emitted), whose bin value is the amount per second.
// When time passes the last bin, neighbouring bins merge in pairs and the width doubles, so memory stays bounded
// however long the run is and the bins always cover [0, now] with between max_bins / 2 and max_bins of them.
// Merging sums exact integrals, so a bin's value is the same as if it had been that wide from the start.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "sim/time.hpp"

namespace dcsim::sim {

class BinnedSeries {
 public:
  enum class Kind { level, rate };

  // initial_width > 0; max_bins >= 2 and even.
  BinnedSeries(Kind kind, Time initial_width, std::size_t max_bins = 512);

  // level: the value is `value` from t on (t must not decrease; std::logic_error otherwise).
  void set(Time t, double value);
  void add_level(Time t, double delta) { set(t, value_ + delta); }
  double value() const { return value_; }
  // rate: `amount` happens at t (any order of t >= 0).
  void add(Time t, double amount);

  // (bin centre in seconds, value) for the bins that cover [0, end]; the last bin is measured over its covered
  // part (a rate's, when that is under half a bin, joins the bin before it). A level is integrated up to `end`
  // first (end >= the last set()).
  std::vector<std::pair<double, double>> points(Time end) const;
  Time width() const { return width_; }

 private:
  void cover(Time t);  // grows (and merges) the bins until t lies in one
  void integrate(Time until);

  Kind kind_;
  Time width_;
  std::size_t max_bins_;
  std::vector<double> area_;  // level: value x ps; rate: amounts
  Time last_ = 0;
  double value_ = 0;
};

}  // namespace dcsim::sim
