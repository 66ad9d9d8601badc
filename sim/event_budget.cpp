#include "sim/event_budget.hpp"

#include <string>

namespace dcsim::sim {

namespace {
thread_local std::uint64_t budget = kUnlimitedEvents;
}

EventBudgetExceeded::EventBudgetExceeded(std::uint64_t limit, Time at)
    : std::runtime_error("the simulation reached its budget of " + std::to_string(limit) + " events at simulated " +
                         std::to_string(to_seconds(at)) + " s"),
      limit_(limit),
      at_(at) {}

std::uint64_t current_event_budget() { return budget; }

EventBudgetScope::EventBudgetScope(std::uint64_t limit) : previous_(budget) { budget = limit; }
EventBudgetScope::~EventBudgetScope() { budget = previous_; }

}  // namespace dcsim::sim
