// The numbers a run reports, by dotted name ("ttft_s.p99", "power_w.gpu"), in SI units, in the order the
// workload set them. The result contract (DESIGN.md §7) nests them by their dots in JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dcsim::wl {

struct Metric {
  std::string key;
  double value = 0;
};

class Metrics {
 public:
  // Sets a metric, replacing an earlier value of the same key in place (order is that of the first set).
  void set(std::string_view key, double value);
  std::optional<double> get(std::string_view key) const;
  double at(std::string_view key) const;  // throws std::out_of_range naming the key
  const std::vector<Metric>& entries() const { return entries_; }

 private:
  std::vector<Metric> entries_;
};

struct EngineStats {
  std::uint64_t events = 0;
  double wall_s = 0;
  std::uint64_t fingerprint = 0;  // hash of the executed event sequence: catches unintended behaviour changes
};

struct RunResult {
  Metrics metrics;
  // Descriptive facts that are not numbers (the algorithm a collective used, a plan's layout), in order.
  std::vector<std::pair<std::string, std::string>> info;
  EngineStats engine;
};

}  // namespace dcsim::wl
