#include "app/plan.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include "app/errors.hpp"
#include "app/result_io.hpp"
#include "app/runner.hpp"

namespace dcsim::app {
namespace {

// The unit a target bound is written in follows the metric's unit segment (docs/cli.md): "ttft_s.p99" takes a
// time such as '2 s', "power_w.it" a power, fractions and rates plain numbers.
double read_bound(const ConfigNode& target, std::string_view key, const std::string& metric) {
  const std::string unit = unit_segment(metric);
  if (unit.find("_per_") == std::string::npos) {
    if (unit.ends_with("_s")) return target.get_quantity(key, Dimension::time);
    if (unit.ends_with("_w")) return target.get_quantity(key, Dimension::power);
    if (unit.ends_with("_j")) return target.get_quantity(key, Dimension::energy);
  }
  return target.get_number(key);
}

bool meets(const PlanTarget& t, double v) {
  if (t.min && v < *t.min) return false;
  if (t.max && v > *t.max) return false;
  return true;
}

}  // namespace

PlanSpec parse_plan(const ConfigNode& plan) {
  PlanSpec spec;
  spec.vary = plan.get_string("vary");
  if (spec.vary.rfind("plan", 0) == 0 || spec.vary.rfind("sweep", 0) == 0) {
    plan.child("vary").fail_value("a scenario key outside plan: and sweep:, e.g. hardware.count");
  }
  const auto range = plan.get_list("range");
  if (range.size() != 2) plan.child("range").fail_value("[LOW, HIGH], two integers");
  spec.low = range[0].as_int(0, 10'000'000);
  spec.high = range[1].as_int(0, 10'000'000);
  if (spec.high < spec.low) range[1].fail_value("HIGH >= LOW (" + std::to_string(spec.low) + ")");
  for (const ConfigNode& t : plan.get_list("targets")) {
    PlanTarget target;
    target.metric = t.get_string("metric");
    if (t.has("min")) target.min = read_bound(t, "min", target.metric);
    if (t.has("max")) target.max = read_bound(t, "max", target.metric);
    if (!target.min && !target.max) t.fail("a target needs min, max or both");
    t.finish();
    spec.targets.push_back(target);
  }
  if (spec.targets.empty()) plan.child("targets").fail_value("at least one {metric, min | max} target");
  plan.finish();
  return spec;
}

PlanOutcome run_plan(const ScenarioRequest& request, const Catalog& catalog, std::ostream& progress) {
  PlanOutcome out;
  {
    const ConfigDocument doc = load_with_sets(request);
    const auto plan = doc.root().optional_child("plan");
    if (!plan) throw BadInput(request.file.string() + ": no plan: block (see docs/cli.md, plan)");
    out.spec = parse_plan(*plan);
  }
  std::map<std::int64_t, std::size_t> seen;  // value -> index in out.evaluated
  std::map<std::int64_t, std::pair<Scenario, wl::RunResult>> runs;
  auto evaluate = [&](std::int64_t value) -> bool {
    if (auto it = seen.find(value); it != seen.end()) return out.evaluated[it->second].meets;
    ScenarioRequest r = request;
    r.sets.push_back(out.spec.vary + "=" + std::to_string(value));
    Scenario s = load_scenario(r, catalog);
    RunArtifacts artifacts;
    wl::RunResult result = run_scenario(s, artifacts);
    PlanPoint point;
    point.value = value;
    point.meets = true;
    for (const PlanTarget& t : out.spec.targets) {
      const auto v = result.metrics.get(t.metric);
      if (!v) {
        throw BadInput("plan target metric '" + t.metric + "' is not reported by the " + s.workload_kind +
                       " workload (run the scenario to see its metrics)");
      }
      point.observed.emplace_back(t.metric, *v);
      point.meets = point.meets && meets(t, *v);
    }
    progress << "plan: " << out.spec.vary << " = " << value << (point.meets ? "  meets the targets" : "  misses")
             << '\n';
    seen[value] = out.evaluated.size();
    out.evaluated.push_back(point);
    runs[value] = {std::move(s), std::move(result)};
    return point.meets;
  };

  std::int64_t lo = out.spec.low, hi = out.spec.high;
  if (evaluate(hi)) {
    if (evaluate(lo)) {
      out.chosen = lo;
    } else {
      // Invariant: lo misses, hi meets.
      while (hi - lo > 1) {
        const std::int64_t mid = lo + (hi - lo) / 2;
        (evaluate(mid) ? hi : lo) = mid;
      }
      out.chosen = hi;
    }
  }
  const std::int64_t shown = out.chosen ? *out.chosen : out.spec.high;
  out.scenario = runs.at(shown).first;
  out.result = runs.at(shown).second;
  return out;
}

std::string format_plan(const PlanOutcome& o) {
  std::ostringstream out;
  out << "plan  smallest " << o.spec.vary << " in [" << o.spec.low << ", " << o.spec.high
      << "] meeting every target\n";
  std::vector<PlanPoint> points = o.evaluated;
  std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.value < b.value; });
  for (const PlanPoint& p : points) {
    out << "  " << o.spec.vary << " = " << p.value << (p.meets ? "  meets " : "  misses");
    for (const auto& [metric, v] : p.observed) out << "  " << metric << " " << format_metric(metric, v);
    out << '\n';
  }
  if (o.chosen) {
    // GPUs the workload uses when it says (serving instances may leave some idle), else the cluster's.
    const double gpus = o.result.metrics.get("gpus").value_or(o.scenario.cluster.total_gpus());
    out << "chosen  " << o.spec.vary << " = " << *o.chosen << "  (" << gpus << " GPUs in use of "
        << o.scenario.cluster.total_gpus() << ")\n\n";
  } else {
    out << "no value in the range meets every target; the largest (" << o.spec.high << ") is shown\n\n";
  }
  out << format_table(identity_of(o.scenario), o.result);
  return out.str();
}

}  // namespace dcsim::app
