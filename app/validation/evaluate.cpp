#include "app/validation/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include "app/errors.hpp"
#include "app/plan.hpp"
#include "app/runner.hpp"
#include "app/scenario.hpp"

namespace dcsim::app::validation {
namespace {

// Several cases often read different metrics of one run (the same scenario with the same settings): a run is
// deterministic, so its metrics are kept and shared. Bounded, so that a long `dcsim fit` does not grow it forever.
struct KeptRun {
  std::string workload_kind;
  wl::Metrics metrics;
};

class RunMemo {
 public:
  std::optional<KeptRun> find(const std::string& key) {
    const std::lock_guard<std::mutex> hold(lock_);
    const auto it = runs_.find(key);
    if (it == runs_.end()) return std::nullopt;
    return it->second;
  }
  void keep(const std::string& key, KeptRun run) {
    const std::lock_guard<std::mutex> hold(lock_);
    if (runs_.size() >= kMaxRuns) runs_.clear();
    runs_.emplace(key, std::move(run));
  }

 private:
  static constexpr std::size_t kMaxRuns = 64;
  std::mutex lock_;
  std::map<std::string, KeptRun> runs_;
};

RunMemo& memo() {
  static RunMemo m;
  return m;
}

std::string run_key(const ScenarioRequest& r) {
  std::string key = r.file.string();
  for (const std::string& s : r.sets) key += '\n' + s;
  return key;
}

}  // namespace

bool Outcome::within_tolerance() const { return std::abs(error) <= c.tolerance; }

Outcome evaluate(const Case& c, const Catalog& catalog, const std::vector<std::string>& extra_sets) {
  ScenarioRequest request;
  request.file = catalog.root() / "scenarios" / (c.scenario + ".yaml");
  if (!std::filesystem::is_regular_file(request.file)) {
    throw BadInput(c.location.to_string() + ": case " + c.id + ": scenario '" + c.scenario +
                   "' is not a bundled scenario (configs/scenarios/" + c.scenario + ".yaml)");
  }
  request.sets = c.sets;
  request.sets.insert(request.sets.end(), extra_sets.begin(), extra_sets.end());
  Scenario scenario;
  wl::RunResult result;
  const std::string key = run_key(request);
  std::optional<KeptRun> kept = c.plan ? std::nullopt : memo().find(key);
  if (kept) {
    scenario.workload_kind = std::move(kept->workload_kind);
    result.metrics = std::move(kept->metrics);
  } else if (c.plan) {
    // The published figure is a search's answer: the plan's chosen point supplies the metric.
    std::ostringstream quiet;
    PlanOutcome outcome = run_plan(request, catalog, quiet);
    if (!outcome.chosen) {
      throw BadInput(c.location.to_string() + ": case " + c.id + ": no value of " + outcome.spec.vary +
                     " in the plan's range meets its targets; widen plan.range of scenario " + c.scenario);
    }
    scenario = std::move(outcome.scenario);
    result = std::move(outcome.result);
  } else {
    scenario = load_scenario(request, catalog);
    RunArtifacts artifacts;
    result = run_scenario(scenario, artifacts);
    memo().keep(key, KeptRun{scenario.workload_kind, result.metrics});
  }
  const auto value = result.metrics.get(c.metric);
  if (!value) {
    throw BadInput(c.location.to_string() + ": case " + c.id + ": metric '" + c.metric + "' is not among the " +
                   scenario.workload_kind + " run's metrics (see `dcsim run " + c.scenario + " --json -`)");
  }
  Outcome o{c, *value * c.scale, 0};
  o.error = o.simulated / c.published - 1;
  return o;
}

Target target_of(const std::string& group, Role role) {
  if (role == Role::fit) return {kFitTarget, kFitTarget};
  return {group == "agents" ? kAgentsCheckMedianTarget : kCheckMedianTarget, kCheckMaxTarget};
}

bool GroupSummary::meets_target() const {
  const Target t = target_of(group, role);
  return median_abs_error <= t.median && max_abs_error <= t.max;
}

std::vector<GroupSummary> summarize(const std::vector<Outcome>& outcomes) {
  std::vector<GroupSummary> out;
  for (const std::string& group : kGroups) {
    for (Role role : {Role::fit, Role::check}) {
      std::vector<double> abs_errors;
      GroupSummary s;
      s.group = group;
      s.role = role;
      for (const Outcome& o : outcomes) {
        if (o.c.group != group || o.c.role != role) continue;
        const double e = std::abs(o.error);
        abs_errors.push_back(e);
        if (!o.within_tolerance()) ++s.outside_tolerance;
        if (e >= s.max_abs_error) {
          s.max_abs_error = e;
          s.worst_case = o.c.id;
        }
      }
      if (abs_errors.empty()) continue;
      std::sort(abs_errors.begin(), abs_errors.end());
      const std::size_t n = abs_errors.size();
      s.cases = static_cast<int>(n);
      s.median_abs_error = n % 2 ? abs_errors[n / 2] : 0.5 * (abs_errors[n / 2 - 1] + abs_errors[n / 2]);
      out.push_back(s);
    }
  }
  return out;
}

}  // namespace dcsim::app::validation
