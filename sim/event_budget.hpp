// A bound on the events one simulation may execute, so that no input can keep a run going for hours (#18).
//
// The caller that runs a scenario opens an EventBudgetScope; every Simulator constructed on that thread while the
// scope is open takes its limit, and run(), run_until() and step() throw EventBudgetExceeded instead of executing
// one event more. Without a scope a simulator is unbounded. Per thread, so parallel sweep points each carry their
// own (and a simulator is single-threaded anyway); deterministic, since it counts events, not seconds.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>

#include "sim/time.hpp"

namespace dcsim::sim {

inline constexpr std::uint64_t kUnlimitedEvents = std::numeric_limits<std::uint64_t>::max();

class EventBudgetExceeded : public std::runtime_error {
 public:
  EventBudgetExceeded(std::uint64_t limit, Time at);
  std::uint64_t limit() const { return limit_; }
  Time at() const { return at_; }  // simulated time of the event that would have gone past the limit

 private:
  std::uint64_t limit_;
  Time at_;
};

// The limit simulators constructed now on this thread take.
std::uint64_t current_event_budget();

class EventBudgetScope {
 public:
  explicit EventBudgetScope(std::uint64_t limit);
  ~EventBudgetScope();
  EventBudgetScope(const EventBudgetScope&) = delete;
  EventBudgetScope& operator=(const EventBudgetScope&) = delete;

 private:
  std::uint64_t previous_;
};

}  // namespace dcsim::sim
