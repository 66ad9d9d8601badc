#include "app/plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "app/config/error.hpp"
#include "app/config/suggest.hpp"
#include "app/errors.hpp"
#include "app/metric_directions.hpp"
#include "app/result_io.hpp"
#include "app/runner.hpp"
#include "app/schema/reference.hpp"
#include "app/schema/scenario_keys.hpp"

namespace dcsim::app {
namespace {

// The unit a target bound is written in follows the metric's unit segment (docs/cli.md): "ttft_s.p99" takes a
// time such as '2 s', "power_w.it" a power, fractions and rates plain numbers.
double read_bound(const schema::Value& bound, const std::string& metric) {
  const std::string unit = unit_segment(metric);
  if (unit.find("_per_") == std::string::npos) {
    if (unit.ends_with("_s")) return bound.quantity_in(Dimension::time);
    if (unit.ends_with("_w")) return bound.quantity_in(Dimension::power);
    if (unit.ends_with("_j")) return bound.quantity_in(Dimension::energy);
  }
  return bound.number();
}

bool meets(const PlanTarget& t, double v) {
  if (t.min && v < *t.min) return false;
  if (t.max && v > *t.max) return false;
  return true;
}

}  // namespace

PlanSpec parse_plan(const schema::Reader& plan) {
  PlanSpec spec;
  spec.vary = plan.text("vary");
  if (spec.vary.rfind("plan", 0) == 0 || spec.vary.rfind("sweep", 0) == 0) {
    plan.at("vary").fail_value("a scenario key outside plan: and sweep:, e.g. hardware.count");
  }
  spec.largest = plan.choice("goal") == "largest";
  spec.unit = quantity_dimension(spec.vary);
  const auto resolution = plan.value_if("resolution");
  // A quantity's range and resolution are read in the vary key's unit (declared as text: the unit depends on vary).
  const auto in_unit = [&](const schema::Value& v) { return v.node().as_quantity(*spec.unit, 0); };
  if (resolution) spec.resolution = spec.unit ? in_unit(*resolution) : resolution->number();
  const schema::Value range_value = plan.value("range");
  if (!range_value.is_list() || range_value.node().items().size() != 2) {
    range_value.node().fail_value(spec.unit ? "[LOW, HIGH], two " + std::string(dimension_name(*spec.unit)) + "s"
                                  : spec.resolution > 0 ? "[LOW, HIGH], two numbers"
                                                        : "[LOW, HIGH], two integers");
  }
  const auto range = range_value.items();
  if (spec.unit) {
    spec.low = in_unit(range[0]);
    spec.high = in_unit(range[1]);
    // A quantity is a real knob: bisected to a thousandth of its range unless a resolution is given.
    if (spec.resolution <= 0) spec.resolution = (spec.high - spec.low) / 1000;
  } else if (spec.resolution > 0) {
    spec.low = range[0].number();
    spec.high = range[1].number();
  } else {
    spec.low = static_cast<double>(range[0].integer());
    spec.high = static_cast<double>(range[1].integer());
  }
  // A quantity's range must have a width: its resolution is a thousandth of it.
  if (spec.high < spec.low || (spec.unit && spec.high == spec.low)) {
    range[1].node().fail_value(std::string(spec.unit ? "HIGH > LOW (" : "HIGH >= LOW (") +
                               format_plan_value(spec, spec.low) + ")");
  }
  if (spec.resolution > 0 && spec.resolution < (spec.high - spec.low) * 1e-6) {
    plan.at("resolution").fail_value("at least a millionth of the range (" +
                                     format_plan_value(spec, (spec.high - spec.low) * 1e-6) + ")");
  }
  const schema::Value targets = plan.value("targets");
  if (targets.is_list() && targets.node().items().empty()) {
    targets.node().fail_value("at least one {metric, min | max} target");
  }
  for (const schema::Value& entry : targets.items()) {
    const schema::Reader t = entry.section();
    PlanTarget target;
    target.metric = t.text("metric");
    if (!declared_direction(target.metric)) {
      const std::string hint = did_you_mean(target.metric, declared_metric_names());
      t.at("metric").fail_value("a metric a run reports (`dcsim run SCENARIO` lists them)", hint);
    }
    if (const auto min = t.value_if("min")) target.min = read_bound(*min, target.metric);
    if (const auto max = t.value_if("max")) target.max = read_bound(*max, target.metric);
    if (!target.min && !target.max) t.fail("a target needs min, max or both");
    t.finish();
    spec.targets.push_back(target);
  }
  if (const auto grid = plan.value_if("grid")) {
    if (!grid->is_map()) {
      grid->node().fail_value("a mapping of dotted keys to lists of values, e.g. {workload.instance.tp: [4, 8]}");
    }
    std::size_t combinations = 1;
    for (const auto& [key, list] : grid->entries()) {
      if (key == spec.vary) list.node().fail("is plan.vary: the grid holds the other knobs");
      if (key.rfind("plan", 0) == 0 || key.rfind("sweep", 0) == 0)
        list.node().fail("a grid varies scenario keys outside plan: and sweep:");
      if (list.is_list() && list.node().items().empty()) list.node().fail_value("a non-empty list of values");
      std::vector<std::string> values;
      for (const schema::Value& v : list.items()) {
        YAML::Emitter e;  // one line, for --set and for the table
        e.SetMapFormat(YAML::Flow);
        e.SetSeqFormat(YAML::Flow);
        e << v.node().yaml();
        values.emplace_back(e.c_str());
      }
      combinations *= values.size();
      if (combinations > 256) list.node().fail("the grid has more than 256 combinations; narrow it");
      spec.grid.emplace_back(key, std::move(values));
    }
  }
  plan.finish();
  return spec;
}

namespace {

// A miss's reason, with a long --set origin (a grid value that is a whole block) cut to its start.
std::string short_reason(const ConfigError& e) {
  SourceLocation where = e.location();
  if (where.origin.size() > 80) where.origin = where.origin.substr(0, 77) + "...";
  const std::string text = ConfigError::format(where, e.key_path(), e.got(), e.expected(), e.note());
  return text.substr(0, text.find('\n'));
}

// The bisection over plan.vary for one scenario request (the base, or one grid combination).
PlanOutcome search(const ScenarioRequest& request, const Catalog& catalog, std::ostream& progress,
                   const PlanSpec& spec) {
  PlanOutcome out;
  out.spec = spec;
  std::map<double, std::size_t> seen;  // value -> index in out.evaluated
  std::map<double, std::pair<Scenario, wl::RunResult>> runs;
  auto evaluate = [&](double value) -> bool {
    if (auto it = seen.find(value); it != seen.end()) return out.evaluated[it->second].meets;
    ScenarioRequest r = request;
    r.plan_trial = true;  // plan.vary was tried once, at the base load
    r.sets.push_back(out.spec.vary + "=" + format_plan_value(out.spec, value));
    PlanPoint point;
    point.value = value;
    Scenario s;
    try {
      s = load_scenario(r, catalog);
    } catch (const ConfigError& e) {
      // A value the configuration cannot take (the model does not fit, the parallelism does not divide): a miss
      // with its reason, and the search goes on.
      point.reason = short_reason(e);
      progress << "plan: " << out.spec.vary << " = " << format_plan_value(out.spec, value) << "  misses: "
               << point.reason << '\n';
      seen[value] = out.evaluated.size();
      out.evaluated.push_back(point);
      return false;
    }
    RunArtifacts artifacts;
    wl::RunResult result;
    try {
      result = run_scenario(s, artifacts);
    } catch (const BadInput& e) {
      // A value past a limit (the work budget, the time horizon, a call outgrowing the KV cache): a miss with its
      // reason, like a configuration that does not fit; the search goes on.
      point.reason = e.what();
      progress << "plan: " << out.spec.vary << " = " << format_plan_value(out.spec, value) << "  misses: "
               << point.reason << '\n';
      seen[value] = out.evaluated.size();
      out.evaluated.push_back(point);
      return false;
    }
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
    progress << "plan: " << out.spec.vary << " = " << format_plan_value(out.spec, value)
             << (point.meets ? "  meets the targets" : "  misses") << '\n';
    seen[value] = out.evaluated.size();
    out.evaluated.push_back(point);
    runs[value] = {std::move(s), std::move(result)};
    return point.meets;
  };
  // The midpoint of a bracket, and when to stop: integers to adjacent values, reals to the resolution.
  const bool integer = out.spec.resolution <= 0;
  auto narrow_enough = [&](double a, double b) { return integer ? b - a <= 1 : b - a <= out.spec.resolution; };
  // A real midpoint is rounded to what the scenario is given (format_plan_value), so the value run is the value
  // recorded; a midpoint that rounds onto an end ends the search.
  auto midpoint = [&](double a, double b) {
    if (integer) return std::floor(a + (b - a) / 2);
    const std::string text = format_plan_value(out.spec, a + (b - a) / 2);
    return out.spec.unit ? parse_quantity(text, *out.spec.unit) : std::stod(text);
  };

  // The end where the targets are easiest is tried first: if it misses, nothing in the range meets them. Then the
  // other end, then bisection between the value that meets (`good`) and the one that misses (`bad`): the smallest
  // good value, or with goal: largest the largest.
  const double easiest = out.spec.largest ? out.spec.low : out.spec.high;
  const double hardest = out.spec.largest ? out.spec.high : out.spec.low;
  if (evaluate(easiest)) {
    double good = easiest, bad = hardest;
    if (evaluate(hardest)) {
      good = hardest;
    } else {
      while (!narrow_enough(std::min(good, bad), std::max(good, bad))) {
        const double mid = midpoint(std::min(good, bad), std::max(good, bad));
        if (mid == good || mid == bad) break;
        (evaluate(mid) ? good : bad) = mid;
      }
    }
    out.chosen = good;
  }
  const double shown = out.chosen ? *out.chosen : easiest;
  if (!runs.count(shown)) {
    throw BadInput("plan: " + out.spec.vary + " = " + format_plan_value(out.spec, shown) +
                   " could not run: " + out.evaluated.back().reason);
  }
  out.scenario = runs.at(shown).first;
  out.result = runs.at(shown).second;
  // Power, energy and tokens per joule of the answer count only the hardware it uses: when a serving or agents
  // point leaves whole systems without an instance, it is run again on the systems it uses (the instances take
  // the same GPUs, so every other metric is unchanged).
  const int per_system = std::max(1, out.scenario.cluster.gpus_per_system);
  const double gpus_used = out.result.metrics.get("gpus").value_or(out.scenario.cluster.total_gpus());
  const int needed = static_cast<int>(std::ceil(gpus_used / per_system));
  const bool model_workload = out.scenario.workload_kind == "serving" || out.scenario.workload_kind == "agents";
  if (out.chosen && model_workload && needed < out.scenario.cluster.systems &&
      out.spec.vary.rfind("hardware.", 0) != 0) {
    ScenarioRequest r = request;
    r.plan_trial = true;  // plan.vary was tried once, at the base load
    r.sets.push_back(out.spec.vary + "=" + format_plan_value(out.spec, *out.chosen));
    r.sets.push_back("hardware.count=" + std::to_string(needed));
    Scenario s = load_scenario(r, catalog);
    RunArtifacts artifacts;
    out.result = run_scenario(s, artifacts);
    out.scenario = std::move(s);
    out.systems_in_use = needed;
  }
  return out;
}

}  // namespace

PlanOutcome run_plan(const ScenarioRequest& request, const Catalog& catalog, std::ostream& progress) {
  PlanSpec spec;
  {
    const ConfigDocument doc = load_with_sets(request);
    const auto plan = schema::Reader(doc.root(), schema::scenario_keys()).section_if("plan");
    if (!plan) throw BadInput(request.file.string() + ": no plan: block (see docs/cli.md, plan)");
    spec = parse_plan(*plan);
  }
  // The base scenario's checks, as `validate` makes them (its plan.vary tried with the range's low end among them):
  // a typo in the plan is exit 2 here, not a miss at every point.
  (void)load_scenario(request, catalog);
  if (spec.grid.empty()) return search(request, catalog, progress, spec);

  // Every combination of the grid (first key slowest), each searched; the best is the answer.
  std::vector<PlanGridResult> grid;
  std::optional<PlanOutcome> best;
  std::size_t total = 1;
  std::vector<std::size_t> sizes;
  for (const auto& axis : spec.grid) {
    sizes.push_back(axis.second.size());
    total *= axis.second.size();
  }
  for (std::size_t c = 0; c < total; ++c) {
    PlanGridResult g;
    ScenarioRequest r = request;
    const std::vector<std::size_t> index = product_index(c, sizes);
    std::string label;
    for (std::size_t a = 0; a < spec.grid.size(); ++a) {
      const auto& [key, values] = spec.grid[a];
      g.values.emplace_back(key, values[index[a]]);
      r.sets.push_back(key + "=" + values[index[a]]);
      label += (label.empty() ? "" : ", ") + key + "=" + values[index[a]];
    }
    progress << "plan: grid " << (c + 1) << " of " << total << " (" << label << ")\n";
    try {
      PlanOutcome o = search(r, catalog, progress, spec);
      g.chosen = o.chosen;
      if (o.chosen) g.tokens_per_joule = o.result.metrics.get("tokens_per_joule").value_or(0);
      if (!o.chosen) g.reason = "no value in the range meets every target";
      const bool better = [&] {
        if (!o.chosen) return false;
        if (!best || !best->chosen) return true;
        if (*o.chosen != *best->chosen) return spec.largest ? *o.chosen > *best->chosen : *o.chosen < *best->chosen;
        return g.tokens_per_joule > grid[best->grid_chosen].tokens_per_joule;
      }();
      if (better || !best) {
        best = std::move(o);
        best->grid_chosen = grid.size();
      }
    } catch (const ConfigError& e) {  // the combination is one the scenario cannot take: a miss with its reason
      g.reason = e.what();
    } catch (const BadInput& e) {
      g.reason = e.what();
    }
    grid.push_back(std::move(g));
  }
  if (!best) throw BadInput("plan: no grid combination could run: " + grid.front().reason);
  best->grid = std::move(grid);
  best->spec = spec;
  return std::move(*best);
}

std::string format_plan_value(const PlanSpec& spec, double value) {
  if (spec.resolution <= 0 && !spec.unit) return std::to_string(static_cast<std::int64_t>(std::llround(value)));
  if (spec.unit) return format_quantity_precise(value, *spec.unit);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", value);
  return buf;
}

std::optional<Dimension> quantity_dimension(const std::string& dotted_key) {
  std::optional<Dimension> dim;
  for (const schema::Key* k : schema::declarations_of(schema::scenario_keys(), dotted_key)) {
    const auto it = std::find_if(k->forms.begin(), k->forms.end(),
                                 [](const schema::Type& t) { return t.kind == schema::Kind::quantity; });
    if (it == k->forms.end() || (dim && *dim != it->dim)) return std::nullopt;
    dim = it->dim;
  }
  return dim;
}

std::string format_plan(const PlanOutcome& o) {
  std::ostringstream out;
  const auto fmt = [&](double v) { return format_plan_value(o.spec, v); };
  out << "plan  " << (o.spec.largest ? "largest " : "smallest ") << o.spec.vary << " in [" << fmt(o.spec.low)
      << ", " << fmt(o.spec.high) << "] meeting every target";
  if (o.spec.resolution > 0) out << " (to " << fmt(o.spec.resolution) << ")";
  out << '\n';
  if (!o.grid.empty()) {
    out << "grid  " << o.grid.size() << " combinations, each searched; the best: the "
        << (o.spec.largest ? "largest" : "smallest") << " value, then the most tokens per joule\n";
    for (std::size_t c = 0; c < o.grid.size(); ++c) {
      const PlanGridResult& g = o.grid[c];
      out << (c == o.grid_chosen && o.chosen ? "  * " : "    ");
      for (std::size_t a = 0; a < g.values.size(); ++a) {
        // A whole block is long: its first 60 characters tell the alternatives apart (the JSON has them whole).
        const std::string& v = g.values[a].second;
        out << (a ? ", " : "") << g.values[a].first << "=" << (v.size() > 60 ? v.substr(0, 57) + "..." : v);
      }
      if (g.chosen) {
        out << "  ->  " << o.spec.vary << " = " << fmt(*g.chosen) << "  tokens_per_joule "
            << format_metric("tokens_per_joule", g.tokens_per_joule);
      } else {
        out << "  ->  " << g.reason.substr(0, g.reason.find('\n'));
      }
      out << '\n';
    }
    out << "points of the best combination:\n";
  }
  std::vector<PlanPoint> points = o.evaluated;
  std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.value < b.value; });
  for (const PlanPoint& p : points) {
    out << "  " << o.spec.vary << " = " << fmt(p.value) << (p.meets ? "  meets " : "  misses");
    for (const auto& [metric, v] : p.observed) out << "  " << metric << " " << format_metric(metric, v);
    if (!p.reason.empty()) out << "  (" << p.reason << ")";
    out << '\n';
  }
  if (o.chosen) {
    // GPUs the workload uses when it says (serving instances may leave some idle), else the cluster's.
    const double gpus = o.result.metrics.get("gpus").value_or(o.scenario.cluster.total_gpus());
    // Systems (nodes, or racks for a rack-scale system) as well as GPUs: what a capacity planner buys.
    const int per_system = std::max(1, o.scenario.cluster.gpus_per_system);
    const auto systems_used = static_cast<long long>(std::ceil(gpus / per_system));
    out << "chosen  " << o.spec.vary << " = " << fmt(*o.chosen) << "  (" << gpus << " GPUs in use";
    if (o.systems_in_use > 0) {
      out << " on " << o.systems_in_use << " " << o.scenario.system_name
          << " systems; its result below counts only them: hardware.count = " << o.systems_in_use << ")\n\n";
    } else {
      out << " of " << o.scenario.cluster.total_gpus() << "; " << systems_used << " of " << o.scenario.cluster.systems
          << " " << o.scenario.system_name << " systems)\n\n";
    }
  } else {
    const double easiest = o.spec.largest ? o.spec.low : o.spec.high;
    out << "no value in the range meets every target; the " << (o.spec.largest ? "smallest" : "largest") << " ("
        << fmt(easiest) << ") is shown\n\n";
  }
  out << format_table(identity_of(o.scenario), o.result);
  return out.str();
}

}  // namespace dcsim::app
