// The numbers a run reports, by dotted name ("ttft_s.p99", "power_w.gpu"), in SI units, in the order the
// workload set them. The result contract (DESIGN.md §7) nests them by their dots in JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "workloads/observations.hpp"

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
  // Sets a metric placed right after `anchor` (at the end when there is no such key); an existing key keeps its place.
  void set_after(std::string_view anchor, std::string_view key, double value);
  const std::vector<Metric>& entries() const { return entries_; }

 private:
  std::vector<Metric> entries_;
};

// Token classes (DESIGN.md §6; docs/power.md "Value-weighted tokens"). Every workload that counts tokens reports
// `tokens_by_class.<class>` for each class it produces; the entries sum to `tokens`. Without declared classes a
// workload produces one class, named after its kind.
inline constexpr std::string_view kTokensByClassPrefix = "tokens_by_class.";
inline constexpr std::string_view kTrainingClass = "training";  // pretraining: tokens trained
inline constexpr std::string_view kServingClass = "chat";       // serving without workload.classes: output tokens
inline constexpr std::string_view kAgentClass = "agent";        // agents: all generated tokens

// Per-class token value weights (scenario key `token_value`); a class not listed weighs 1.
using TokenValueWeights = std::vector<std::pair<std::string, double>>;

// The one place value-weighted tokens are computed: value_tokens = sum over the tokens_by_class.<c> entries of
// weight(c) x tokens, and value_tokens_per_joule(_facility) = value_tokens / energy_j (energy_facility_j), the
// energy the plain tokens_per_joule(_facility) divides by. The three keys go right after
// tokens_per_joule_facility. With every weight 1 they equal tokens and the plain figures exactly. An agents workload
// (reference_tokens_per_joule, joules_per_task) also gets the value of its work, weight x reference tokens (tokens /
// token efficiency): value_per_joule and value_per_task, and per population role.<r> (class <r>)
// role.<r>.value_per_joule and role.<r>.value_per_task.
void add_value_metrics(Metrics& m, const TokenValueWeights& weights);

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
  Observations observed;  // for pictures; not compared, not in the JSON result
};

}  // namespace dcsim::wl
