#include "app/scenario.hpp"

#include <cstdint>
#include <cstdio>

#include <algorithm>

#include "app/collective_scenario.hpp"
#include "app/config/override.hpp"
#include "app/errors.hpp"
#include "app/model_catalog.hpp"
#include "app/config/suggest.hpp"
#include "app/metric_directions.hpp"
#include "app/plan.hpp"
#include "app/schema/scenario_keys.hpp"
#include "app/pretraining_scenario.hpp"
#include "app/serving_scenario.hpp"
#include "app/work_budget.hpp"
#include "app/agents_scenario.hpp"
#include "hw/power.hpp"
#include "hw/topology.hpp"

namespace dcsim::app {
namespace {

// FNV-1a 64, as 16 hex digits.
std::string text_hash(const std::string& text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

using schema::Reader;
using schema::Value;

const Choices kOverrideParts = {"system", "gpu", "cpu", "nic", "scale_up_switch", "scale_out_switch", "optics"};

// hardware.overrides: {gpu.hbm_bandwidth: 6 TB/s}: each value lands in the catalog entry's own YAML tree, which
// is then validated as usual; errors point back at the override.
std::vector<std::pair<std::string, ConfigNode>> overrides_for(const std::vector<std::pair<std::string, ConfigNode>>& all,
                                                              std::string_view part) {
  std::vector<std::pair<std::string, ConfigNode>> out;
  for (const auto& [key, node] : all) {
    const auto dot = key.find('.');
    if (key.substr(0, dot) == part) out.emplace_back(key.substr(dot + 1), node);
  }
  return out;
}

template <class Spec, class Parse>
Spec load_with_overrides(const Catalog& catalog, std::string_view kind, const std::string& name,
                         const std::vector<std::pair<std::string, ConfigNode>>& all, std::string_view part,
                         Parse parse) {
  const auto mine = overrides_for(all, part);
  if (mine.empty()) return load_catalog_entry<Spec>(catalog, kind, name, parse);  // parsed once per catalog
  ConfigDocument doc = catalog.document(kind, name);
  for (const auto& [key, node] : mine) {
    const SourceLocation where = node.location();
    apply_override(doc, key, node.yaml(),
                   "hardware.overrides." + std::string(part) + "." + key + " (" + where.to_string() + ")");
  }
  Spec spec = parse(doc.root());
  doc.finish();
  return spec;
}

// Flattens hardware.overrides to (PART.FIELD.PATH, value) leaves: `{gpu.hbm_bandwidth: 6 TB/s}`,
// `{gpu: {hbm_bandwidth: 6 TB/s}}` (what `--set hardware.overrides.gpu.hbm_bandwidth=...` builds) and
// `{gpu.power: {max: 800 W}}` all name the same kind of thing.
void collect_overrides(const ConfigNode& map, const std::string& prefix,
                       std::vector<std::pair<std::string, ConfigNode>>& out) {
  // The keys are catalog field paths, checked where each value lands (the catalog entry's own reader).
  for (const std::string& key : map.keys()) {
    const ConfigNode value = map.child(key);
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (value.is_map()) {
      collect_overrides(value, path, out);
      continue;
    }
    const auto dot = path.find('.');
    if (dot == std::string::npos || dot + 1 == path.size()) {
      value.fail("override keys are PART.FIELD, e.g. gpu.hbm_bandwidth");
    }
    const std::string part = path.substr(0, dot);
    if (std::find(kOverrideParts.begin(), kOverrideParts.end(), part) == kOverrideParts.end()) {
      std::string list;
      for (const auto& p : kOverrideParts) list += (list.empty() ? "" : ", ") + p;
      value.fail("override part '" + part + "' is not one of " + list);
    }
    out.emplace_back(path, value);
  }
}

hw::ClusterSpec parse_hardware(const Reader& h, const Catalog& catalog, std::string& system_name) {
  system_name = h.catalog_name("system", catalog.names("system"));

  std::vector<std::pair<std::string, ConfigNode>> overrides;
  if (auto o = h.value_if("overrides")) {
    if (!o->is_map()) o->node().fail_value("a mapping of catalog field paths to values, e.g. {gpu.hbm_bandwidth: 6 TB/s}");
    collect_overrides(o->node(), "", overrides);
  }

  hw::ClusterSpec c;
  c.system = load_with_overrides<hw::SystemSpec>(catalog, "system", system_name, overrides, "system", parse_system);
  c.systems = static_cast<int>(h.integer("count"));
  c.gpus_per_system =
      static_cast<int>(h.integer_if("gpus", schema::Bounds{1, static_cast<double>(c.system.gpus)}).value_or(c.system.gpus));
  if (c.gpus_per_system < c.system.gpus && c.systems > 1) {
    h.at("gpus").fail("a partial system (gpus < " + std::to_string(c.system.gpus) +
                      ") is only possible with count: 1; use whole systems for a cluster");
  }
  const std::string cpu_name = h.catalog_name_if("cpu", catalog.names("cpu")).value_or(c.system.cpu);
  c.gpu = load_with_overrides<hw::GpuSpec>(catalog, "gpu", c.system.gpu, overrides, "gpu", parse_gpu);
  // A power limit below the maximum lowers the clock: compute slows, HBM does not (docs/power.md).
  hw::apply_power_limit(c.gpu);
  c.cpu = load_with_overrides<hw::CpuSpec>(catalog, "cpu", cpu_name, overrides, "cpu", parse_cpu);
  // The NIC family (InfiniBand, RoCE, SRD) is the system's unless the scenario names another for its fabric.
  const std::optional<Reader> so = h.section_if("scale_out");
  const std::string nic_name = so ? so->catalog_name_if("nic", catalog.names("nic")).value_or(c.system.nic) : c.system.nic;
  c.nic = load_with_overrides<hw::NicSpec>(catalog, "nic", nic_name, overrides, "nic", parse_nic);
  c.scale_up_switch = load_with_overrides<hw::SwitchSpec>(catalog, "switch", c.system.scale_up.switch_name, overrides,
                                                          "scale_up_switch", parse_switch);
  for (const std::string& s : c.system.storage) c.storage.push_back(load_storage(catalog, s));

  c.scale_out.switch_name = c.system.scale_out_switch;
  c.scale_out.optics = c.system.scale_out_optics;
  c.scale_out.nic_bandwidth = c.nic.bandwidth;
  if (so) {
    c.scale_out.topology = so->choice("topology") == "fat-tree" ? hw::ScaleOutTopology::fat_tree
                                                                : hw::ScaleOutTopology::rail_optimized_fat_tree;
    c.scale_out.nic_bandwidth = so->quantity_if("nic_bandwidth").value_or(c.nic.bandwidth);
    c.scale_out.oversubscription = so->number("oversubscription");
    c.scale_out.switch_name = so->catalog_name_if("switch", catalog.names("switch")).value_or(c.scale_out.switch_name);
    if (const auto optics = so->value_if("optics")) {
      c.scale_out.optics = optics->is_null() ? "" : optics->catalog_name(catalog.names("optics"));
    }
    so->finish();
  }
  c.scale_out_switch = load_with_overrides<hw::SwitchSpec>(catalog, "switch", c.scale_out.switch_name, overrides,
                                                           "scale_out_switch", parse_switch);
  if (!c.scale_out.optics.empty()) {
    c.scale_out_optics = load_with_overrides<hw::OpticsSpec>(catalog, "optics", c.scale_out.optics, overrides,
                                                             "optics", parse_optics);
  }
  // The system's default PUE (its cooling; configs/hw/systems) unless the scenario states the facility's.
  c.pue = h.number_if("pue").value_or(c.system.pue);
  // The fabric must be buildable (at most three switch tiers at the switch's radix): found here, not mid-run.
  try {
    (void)hw::build_topology(c);
  } catch (const std::invalid_argument& e) {
    (h.has("count") ? h.at("count") : h.node()).fail(std::string("this cluster's fabric cannot be built: ") + e.what());
  }
  h.finish();
  return c;
}

// token_value: {class: weight, ...}: weights >= 0, every class one the workload produces.
wl::TokenValueWeights parse_token_value(const Value& v, const Scenario& s) {
  const ConfigNode& n = v.node();
  if (!n.is_map()) n.fail_value("a mapping of token class to weight, e.g. {coding: 2, chat: 1}");
  const std::vector<std::string> produced = token_classes(s);
  if (produced.empty()) {
    n.fail("a " + s.workload_kind + " workload produces no tokens; token_value applies to pretraining, serving and "
           "agents workloads");
  }
  std::string list;
  for (const std::string& c : produced) list += (list.empty() ? "" : ", ") + c;
  wl::TokenValueWeights weights;
  for (const auto& [key, value] : v.entries()) {
    const double weight = value.number();
    if (std::find(produced.begin(), produced.end(), key) == produced.end()) {
      n.child(key).fail("this " + s.workload_kind + " workload produces no token class '" + key +
                        "'; its classes are: " + list);
    }
    weights.emplace_back(key, weight);
  }
  return weights;
}

struct Axis {
  std::string key;
  std::vector<ConfigNode> values;
};

// sweep: {DOTTED.KEY: [values...]}: each value is applied as an override and checked where it lands.
std::vector<Axis> sweep_axes_of(const Value& sweep) {
  if (!sweep.is_map()) {
    sweep.node().fail_value("a mapping of dotted keys to lists of values, e.g. {workload.bytes: [1 MiB, 1 GiB]}");
  }
  std::vector<Axis> axes;
  for (const auto& [key, list] : sweep.entries()) {
    if (key == "sweep" || key.rfind("sweep.", 0) == 0) list.node().fail("a sweep cannot sweep itself");
    if (list.is_list() && list.node().items().empty()) list.node().fail_value("a non-empty list of values");
    Axis axis{key, {}};
    for (const Value& v : list.items()) axis.values.push_back(v.node());
    axes.push_back(std::move(axis));
  }
  return axes;
}

// `sweep_checked`: the sweep block's lists were checked already (sweep_axes on the same document); a sweep point
// skips them, so that expanding N points does not read N lists of N values.
// The plan's vary key must be a key the scenario takes, of a type its range's values have: tried with the range's
// low end, an error at that key (a typo makes an unknown key, a number for a time or a choice a type error) is the
// plan's mistake, said at plan.vary. Other errors (the low end does not fit) are left to `dcsim plan`, as misses.
void check_plan_vary(const Reader& plan, const PlanSpec& spec, const ScenarioRequest& request,
                     const Catalog& catalog) {
  ScenarioRequest trial = request;
  trial.plan_trial = true;
  const std::string assignment = spec.vary + "=" + format_plan_value(spec, spec.low);
  trial.sets.push_back(assignment);
  try {
    (void)load_scenario(trial, catalog);
  } catch (const ConfigError& e) {
    const bool at_the_key = e.key_path() == spec.vary && e.got().has_value();
    // The key vary names is unknown, or declared but unused where it stands (`workload.arrivals.users` with poisson
    // arrivals): either way no value of it can change a run.
    const bool from_vary = e.location().origin == "--set " + assignment;
    const bool unknown = from_vary && (e.expected().rfind("unknown key", 0) == 0 ||
                                       e.expected().find("does not apply here") != std::string::npos);
    // A value outside the key's range is the range's fault; a value of the wrong kind (a number for a time, for a
    // choice) or a key that does not exist is vary's. A value the key takes but the configuration cannot (heads
    // that tp does not divide) is a miss for `dcsim plan` to report.
    const std::string& x = e.expected();
    const bool out_of_range = x.find(" from ") != std::string::npos || x.find(" of at least ") != std::string::npos ||
                              x.find(" of at most ") != std::string::npos;
    if (at_the_key && out_of_range) {
      plan.at("range").fail_value("values " + spec.vary + " takes",
                                     std::string("its low end is refused: ") + e.what());
    }
    if (at_the_key || unknown) {
      plan.at("vary").fail_value("a scenario key that takes the plan's range of values (" +
                                    format_plan_value(spec, spec.low) + " to " + format_plan_value(spec, spec.high) +
                                    ")", std::string("with its low end: ") + e.what());
    }
  }
}

Scenario parse_scenario(const ConfigDocument& doc, const ScenarioRequest& request, const Catalog& catalog,
                        bool sweep_checked = false) {
  const Reader root(doc.root(), schema::scenario_keys());
  Scenario s;
  s.file = doc.file();
  s.name = root.text("name");
  s.seed = static_cast<std::uint64_t>(root.integer("seed"));
  if (request.seed) s.seed = *request.seed;
  s.max_events = request.max_events;
  s.cluster = parse_hardware(root.section("hardware"), catalog, s.system_name);
  if (auto net = root.section_if("network")) {
    s.network = net->choice("model") == "flow" ? NetworkModelKind::flow : NetworkModelKind::analytical;
    net->finish();
  }
  if (auto model = root.value_if("model")) {
    // A catalog name (with a did-you-mean over the catalog) or a whole model written inline.
    s.model = model->is_map() ? parse_model(model->node()) : load_model(catalog, model->catalog_name(model_names(catalog)));
  }
  const Reader w = root.section("workload");
  s.workload_kind = w.choice("kind");
  if (s.workload_kind == "collective") s.collective = parse_collective(w, s.cluster);
  if (s.workload_kind == "serving") s.serving = parse_serving(w, s.cluster, s.model, catalog);
  if (s.workload_kind == "pretraining") s.pretraining = parse_pretraining(w, s.cluster, s.model, catalog);
  if (s.workload_kind == "agents") s.agents = parse_agents(w, s.cluster, s.model, catalog);
  check_work_budget(s, w.node(), request.max_events, request.max_memory_bytes);
  if (auto tv = root.value_if("token_value")) s.token_value = parse_token_value(*tv, s);
  if (auto cost = root.section_if("cost")) {
    // An all-in rate, or capital over a life plus energy at a price: one form, not both.
    wl::CostSpec c;
    if (cost->has("tco_per_gpu_hour")) {
      for (const char* key : {"capex_per_gpu", "life_years", "energy_price_per_kwh"}) {
        if (cost->has(key)) cost->at(key).fail("give tco_per_gpu_hour (an all-in rate) or capex_per_gpu, life_years and energy_price_per_kwh, not both");
      }
      c.tco_per_gpu_hour = *cost->number_if("tco_per_gpu_hour");
    } else {
      // Capital: the scenario's, else the system's sourced purchase price per GPU; life: InferenceX's 4 years.
      const double catalog_capex = s.cluster.system.capex_per_gpu;
      if (!cost->has("capex_per_gpu") && catalog_capex <= 0) {
        cost->fail("system " + s.system_name + " has no sourced capex_per_gpu: give capex_per_gpu (USD per GPU), "
                   "or tco_per_gpu_hour");
      }
      c.capex_per_gpu = cost->number_if("capex_per_gpu").value_or(catalog_capex);
      c.life_years = cost->number("life_years");
      const auto price = cost->number_if("energy_price_per_kwh");
      if (!price) (void)cost->at("energy_price_per_kwh");  // "missing required key"
      c.energy_price_per_kwh = *price;
    }
    cost->finish();
    s.cost = c;
  } else if (s.cluster.system.tco_per_gpu_hour > 0) {
    s.cost = wl::CostSpec{s.cluster.system.tco_per_gpu_hour, 0, 0, 0};
  }
  if (auto plan = root.section_if("plan")) {  // checked here, used by `dcsim plan`
    const PlanSpec spec = parse_plan(*plan);
    if (!request.plan_trial && !sweep_checked) check_plan_vary(*plan, spec, request, catalog);
  }
  if (auto sweep = root.value_if("sweep")) {
    s.has_sweep = true;
    if (sweep_checked) {
      (void)sweep->node().yaml();  // marks the block as read
    } else {
      (void)sweep_axes_of(*sweep);
    }
  }
  if (auto f = root.section_if("frontier")) {
    if (!s.has_sweep) f->fail("a frontier is drawn over sweep points: add a `sweep:` block (or remove `frontier`)");
    FrontierSpec spec;
    spec.x = f->text("x");
    spec.y = f->text("y");
    // Checked here, as plan targets are, rather than after every point has run.
    for (const char* axis : {"x", "y"}) {
      const std::string metric = f->text(axis);
      if (!declared_direction(metric))
        f->at(axis).fail_value("a metric a run reports (`dcsim run SCENARIO` lists them)",
                               did_you_mean(metric, declared_metric_names()));
    }
    if (spec.x == spec.y) f->at("y").fail_value("a metric other than x (" + spec.x + ")");
    spec.x_max = f->choice("x_goal") == "max";
    spec.y_max = f->choice("y_goal") == "max";
    f->finish();
    s.frontier = spec;
  }
  root.finish();
  doc.finish();
  return s;
}

std::vector<Axis> sweep_axes(const ConfigDocument& doc) {
  const Reader root(doc.root(), schema::scenario_keys());
  const auto sweep = root.value_if("sweep");
  return sweep ? sweep_axes_of(*sweep) : std::vector<Axis>{};
}

std::string value_text(const ConfigNode& n) {
  if (n.is_scalar()) return n.as_string();
  YAML::Emitter e;
  e.SetMapFormat(YAML::Flow);
  e.SetSeqFormat(YAML::Flow);
  e << n.yaml();
  return e.c_str();
}

}  // namespace

// Blocks that describe a family of runs, not the run: left out of the scenario hash, so that a sweep point's hash is
// that of `dcsim run` with the same values, and expanding N points hashes N scenarios, not N copies of the sweep.
const std::vector<std::string> kFamilyBlocks = {"sweep", "frontier"};

ConfigDocument load_with_sets(const ScenarioRequest& request) {
  ConfigDocument doc = request.text ? ConfigDocument::load_string(*request.text, request.file.string())
                                    : ConfigDocument::load_file(request.file);
  for (const std::string& assignment : request.sets) apply_override(doc, assignment);
  return doc;
}

Scenario load_scenario(const ScenarioRequest& request, const Catalog& catalog) {
  const ConfigDocument doc = load_with_sets(request);
  Scenario s = parse_scenario(doc, request, catalog);
  s.scenario_hash = text_hash(doc.canonical_text(kFamilyBlocks));
  return s;
}

std::vector<SweepPoint> expand_sweep(const ScenarioRequest& request, const Catalog& catalog, bool keep_going) {
  const ConfigDocument base = load_with_sets(request);
  const std::vector<Axis> axes = sweep_axes(base);
  std::size_t total = 1;
  for (const Axis& a : axes) {
    total *= a.values.size();
    if (total > 1'000'000) a.values.front().fail("the sweep has more than 1,000,000 points; narrow it");
  }
  std::vector<SweepPoint> points;
  points.reserve(total);
  std::vector<std::size_t> sizes;
  for (const Axis& a : axes) sizes.push_back(a.values.size());
  // One document for every point: each point overrides every axis key, so the tree after its overrides is the
  // base with that point's values, and the file (whose sweep lists grow with the points) is read once, not once
  // per point (2,000 points took 45 s).
  ConfigDocument doc = load_with_sets(request);
  const std::size_t set_overrides = doc.overrides_applied();
  for (std::size_t p = 0; p < total; ++p) {
    doc.start_pass(set_overrides);  // nothing the points before read or overrode is remembered
    const std::vector<std::size_t> index = product_index(p, sizes);
    SweepPoint point;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      const ConfigNode& v = axes[a].values[index[a]];
      apply_override(doc, axes[a].key, v.yaml(), "sweep." + axes[a].key + " (" + v.location().to_string() + ")");
      point.coordinates.emplace_back(axes[a].key, value_text(v));
    }
    try {
      point.scenario = parse_scenario(doc, request, catalog, true);
      point.scenario.scenario_hash = text_hash(doc.canonical_text(kFamilyBlocks));
    } catch (const ConfigError& e) {
      // An error the point's values cause elsewhere (a pool that no longer fits) points at the base file: say which
      // point it is.
      std::string where;
      for (const auto& [key, value] : point.coordinates) where += (where.empty() ? "" : ", ") + key + "=" + value;
      const std::string note = (e.note().empty() ? "" : e.note() + "; ") + "at sweep point " + std::to_string(p) +
                               (where.empty() ? "" : " (" + where + ")");
      const ConfigError located(e.location(), e.key_path(), e.got(), e.expected(), note);
      // The frontier block is the sweep's, not a point's: its mistake is reported once, not as an error per row.
      if (!keep_going || e.key_path().rfind("frontier", 0) == 0) throw located;
      point.error = located.what();
    }
    points.push_back(std::move(point));
  }
  return points;
}

std::vector<std::string> token_classes(const Scenario& s) {
  if (s.workload_kind == "serving") return s.serving.class_names();
  if (s.workload_kind == "pretraining") return {std::string(wl::kTrainingClass)};
  if (s.workload_kind == "agents") {
    if (!s.agents.populations) return {std::string(wl::kAgentClass)};
    std::vector<std::string> roles;  // one class per population
    for (const wl::AgentRole& r : s.agents.roles) roles.push_back(r.name);
    return roles;
  }
  return {};
}

std::vector<std::size_t> product_index(std::size_t p, const std::vector<std::size_t>& sizes) {
  std::vector<std::size_t> index(sizes.size());
  for (std::size_t a = sizes.size(); a-- > 0;) {  // mixed radix, last axis fastest
    index[a] = p % sizes[a];
    p /= sizes[a];
  }
  return index;
}

RunIdentity identity_of(const Scenario& s) {
  return RunIdentity{s.name, s.seed, s.workload_kind, s.system_name, s.scenario_hash};
}

}  // namespace dcsim::app
