// Relations every run's result must satisfy, whatever the workload (#18): a result that breaks one is a bug in
// dcsim, not a number to report, so the run fails with exit 3 instead of printing it. Checked after every run;
// they cost one pass over the metrics.
//
//   - every metric is a finite number, and none is negative (times, counts, energies, powers, fractions);
//   - executed model FLOPs (mfu_causal where reported, else mfu) <= hfu <= 1 and mfu_causal <= mfu: the full-
//     attention mfu convention counts FLOPs flash attention never executes, so only it may pass hfu;
//   - power_w.it = gpu + cpu + network + storage + other; power_w.facility = power_w.it x PUE with PUE >= 1, and
//     energy_facility_j = energy_j x the same PUE;
//   - energy = average power x window: energy_j = power_w.it x tokens / tokens_per_s (the window the throughput
//     divides by), tokens_per_joule = tokens / energy_j;
//   - the tokens_by_class.<class> entries sum to tokens; requests are counted whole.
#pragma once

#include <stdexcept>
#include <string>

#include "workloads/metrics.hpp"

namespace dcsim::wl {

class InvariantViolation : public std::logic_error {
 public:
  explicit InvariantViolation(const std::string& what) : std::logic_error("invariant violated: " + what) {}
};

// Throws InvariantViolation naming the first relation that fails and the numbers behind it.
void check_run_invariants(const Metrics& m);

}  // namespace dcsim::wl
