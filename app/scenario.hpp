// A scenario file (DESIGN.md §7) read into plain structs, with every catalog name resolved into hardware specs.
// This is where `--set`, `hardware.overrides` and sweep points are applied: all of them edit the YAML tree before
// it is read, so they get exactly the validation that the file gets.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/catalog.hpp"
#include "app/config/node.hpp"
#include "app/result_io.hpp"
#include "hw/spec.hpp"
#include "workloads/collective_workload.hpp"
#include "workloads/cost.hpp"
#include "workloads/model.hpp"
#include "workloads/agents/agents_workload.hpp"
#include "workloads/pretraining/pretraining.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::app {

// Events one simulation of a run may execute unless --max-events says otherwise (docs/cli.md, "Work budget"): a
// minute or two of the slowest workloads (~3 million events/s), 25x the largest bundled scenario (9 million).
inline constexpr std::uint64_t kDefaultMaxEvents = 250'000'000;
// Memory a run may plan for unless --max-memory says otherwise: a third of CI's 24 GiB.
inline constexpr double kDefaultMaxMemoryBytes = 8.0 * (1ull << 30);

struct ScenarioRequest {
  std::filesystem::path file;
  std::vector<std::string> sets;       // "--set dotted.key=value", applied in order
  std::optional<std::uint64_t> seed;   // --seed, overrides the file's seed
  std::uint64_t max_events = kDefaultMaxEvents;  // --max-events: the work budget (app/work_budget.hpp)
  double max_memory_bytes = kDefaultMaxMemoryBytes;  // --max-memory
  // The scenario's text, when it is not read from `file` (which then only names it in messages): the fuzzers.
  std::optional<std::string> text = std::nullopt;
  // Internal: this load is the trial of a plan's vary key (app/scenario.cpp), which must not try it again.
  bool plan_trial = false;
};

enum class NetworkModelKind { analytical, flow };

// `frontier: {x: METRIC, y: METRIC}` beside a sweep block: `dcsim sweep` marks the points no other point beats on
// both metrics (the Pareto frontier; both maximized unless x_goal / y_goal is `min`).
struct FrontierSpec {
  std::string x, y;
  bool x_max = true, y_max = true;
};

struct Scenario {
  std::string name;
  std::string file;
  std::uint64_t seed = 1;
  std::string system_name;
  hw::ClusterSpec cluster;
  NetworkModelKind network = NetworkModelKind::analytical;
  std::optional<wl::ModelSpec> model;  // `model:` a catalog name or an inline mapping; required by model workloads
  std::string workload_kind;       // "collective"
  wl::CollectiveWorkload collective;
  wl::ServingWorkload serving;
  wl::PretrainingWorkload pretraining;
  wl::AgentsWorkload agents;
  std::optional<wl::TokenValueWeights> token_value;  // `token_value: {class: weight}`: adds value_tokens metrics
  // `cost:` in the file, else the system's sourced tco_per_gpu_hour; none: no cost metrics (docs/power.md "Cost").
  std::optional<wl::CostSpec> cost;
  bool has_sweep = false;
  std::optional<FrontierSpec> frontier;
  // FNV-1a 64 of the scenario as read (after --set, overrides and sweep values; comments and layout dropped), as
  // 16 hex digits: two results with the same hash ran the same scenario text.
  std::string scenario_hash;
  // The work budget: refused at load when the estimate is over it, stopped at run time when a simulation reaches it.
  std::uint64_t max_events = kDefaultMaxEvents;
};

// The scenario file's YAML tree with the --set overrides applied, not yet read.
ConfigDocument load_with_sets(const ScenarioRequest& request);

// One run: the file with the --set overrides applied; the sweep block, if any, is checked and left out.
Scenario load_scenario(const ScenarioRequest& request, const Catalog& catalog);

struct SweepPoint {
  std::vector<std::pair<std::string, std::string>> coordinates;  // (dotted key, value as written), in axis order
  Scenario scenario;
  std::string error;  // with keep_going: why the point is not a valid scenario (it is not run)
};

// Every point of the Cartesian product of the sweep block (first axis slowest), each fully validated before any
// runs; a scenario without a sweep block gives one point with no coordinates.
// `keep_going`: a point whose values make an invalid scenario keeps its error (SweepPoint::error) instead of
// stopping the expansion; errors of the sweep block itself always stop it.
std::vector<SweepPoint> expand_sweep(const ScenarioRequest& request, const Catalog& catalog, bool keep_going = false);

// Point p of a Cartesian product of axes of the given sizes: each axis's index, the first axis slowest (the order of
// sweep points and of plan grids).
std::vector<std::size_t> product_index(std::size_t p, const std::vector<std::size_t>& sizes);

RunIdentity identity_of(const Scenario& s);

// The token classes a scenario's workload produces (tokens_by_class.<class>): serving its declared classes or
// "chat", pretraining "training", agents "agent", collective none.
std::vector<std::string> token_classes(const Scenario& s);

}  // namespace dcsim::app
