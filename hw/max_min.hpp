// Max-min fair bandwidth shares by progressive filling ("water-filling").
//
// All unfrozen flows grow at the same rate until some link saturates; the flows crossing it freeze at that link's
// fair share (remaining capacity / unfrozen flows on it); repeat until every flow is frozen. The result is the
// unique allocation in which no flow can gain without taking from a flow that has no more (Bertsekas & Gallager,
// Data Networks, 6.5.2). Links whose fair share ties the minimum saturate in the same round, so a symmetric
// collective (thousands of identical flows) is solved in one or a few rounds.
// Complexity: O(rounds x links + sum of path lengths); rounds <= number of distinct bottleneck levels.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace dcsim::hw {

class MaxMinSolver {
 public:
  // capacity[l]: bytes/s of local link l. Flow f crosses links[offsets[f] .. offsets[f+1]) (local indices, each link
  // at most once per flow). Writes rates[f] (size offsets.size() - 1); a flow crossing no link gets +infinity.
  void solve(std::span<const double> capacity, std::span<const std::uint32_t> offsets,
             std::span<const std::uint32_t> links, std::span<double> rates);

 private:
  std::vector<double> remaining_;
  std::vector<std::uint32_t> count_;
  std::vector<std::uint32_t> lf_offsets_, lf_flows_;
  std::vector<std::uint32_t> active_;
  std::vector<char> frozen_;
};

// Convenience form for tests and one-off use: flows as lists of link indices.
std::vector<double> max_min_rates(const std::vector<double>& capacity,
                                  const std::vector<std::vector<std::uint32_t>>& flows);

}  // namespace dcsim::hw
