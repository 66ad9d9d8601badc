// The result contract (DESIGN.md §7): JSON with schema "dcsim.result/1", a flat CSV row, and a terminal table.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "workloads/metrics.hpp"

namespace dcsim::app {

inline constexpr const char* kResultSchema = "dcsim.result/1";

struct RunIdentity {
  std::string scenario;
  std::uint64_t seed = 1;
  std::string workload;  // workload kind, e.g. "collective"
  std::string system;    // hardware.system
  std::string scenario_hash;  // Scenario::scenario_hash: the scenario text as read
};

// What built and fed a result: dcsim's version and the commit it was built from ("unknown" outside a git
// checkout), written as the result's "provenance" with the scenario hash.
inline constexpr const char* kDcsimVersion = DCSIM_VERSION;
inline constexpr const char* kDcsimCommit = DCSIM_COMMIT;

// Sets root["a"]["b"]["c"] for the key "a.b.c", making the intermediate objects.
void insert_dotted(nlohmann::ordered_json& root, const std::string& key, nlohmann::ordered_json value);

nlohmann::ordered_json result_to_json(const RunIdentity& id, const wl::RunResult& result);

// Dotted-key view of a result document's metrics ("ttft_s.p99" -> value), in document order.
std::vector<std::pair<std::string, double>> flatten_metrics(const nlohmann::ordered_json& result);

// A terminal table: one metric a line, values with readable units chosen from the key's suffix.
std::string format_table(const RunIdentity& id, const wl::RunResult& result);

// The key segment whose name carries the unit and direction: the last one with a known suffix
// ("by_size.1024.busbw_gbs" -> "busbw_gbs", "ttft_s.p99" -> "ttft_s"), else the first.
std::string unit_segment(const std::string& dotted_key);

// A value with the unit its key implies ("time_s" -> "1.25 ms", "busbw_gbs" -> "367 GB/s").
std::string format_metric(const std::string& key, double value);
// The quantity a metric's key names, as the report's axes take it: "fraction", "s", "J", "W", "B", or "" (a count
// or a rate whose unit format_metric writes out).
std::string metric_unit_kind(const std::string& key);
// A count or rate without its unit: 4 significant digits, whole numbers from 10,000, SI prefixes from 100,000
// ("624.6 k"); format_metric writes rates with it and the report's axes their ticks.
std::string format_number(double value);

}  // namespace dcsim::app
