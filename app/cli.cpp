#include "app/cli.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <iterator>
#include <utility>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/catalog.hpp"
#include "app/compare.hpp"
#include "app/nccl_table.hpp"
#include "app/config/error.hpp"
#include "app/config/units.hpp"
#include "app/limits.hpp"
#include "app/request_csv.hpp"
#include "app/errors.hpp"
#include "app/mpi_shard.hpp"
#include "app/output_file.hpp"
#include "app/result_io.hpp"
#include "app/runner.hpp"
#include "app/scenario.hpp"
#include "app/schema_commands.hpp"
#include "app/plan.hpp"
#include "app/report_html.hpp"
#include "app/show.hpp"
#include "app/sweep.hpp"
#include "app/sweep_report.hpp"
#include "app/validation/commands.hpp"

namespace dcsim::app {
namespace {

nlohmann::ordered_json read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw BadInput(path + ": cannot open file");
  try {
    return nlohmann::ordered_json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw BadInput(path + ": not valid JSON: " + e.what());
  }
}

struct RunOptions {
  std::string scenario;
  std::vector<std::string> sets;
  std::string seed;  // as typed: checked by request_of (CLI11 would clamp an out-of-range number silently)
  std::string max_events;  // as typed: "2.5e8" is a whole number CLI11's integer parsing refuses
  double max_memory_gib = kDefaultMaxMemoryBytes / (1ull << 30);
  std::string json_path, csv_path, trace_path, report_path, requests_path, trace_window;
};

void add_scenario_options(CLI::App& cmd, RunOptions& o) {
  cmd.add_option("scenario", o.scenario, "Scenario YAML file")->required();
  cmd.add_option("--set", o.sets,
                 "Override a scenario key: --set workload.bytes='1 GiB' (repeatable; `dcsim explain KEY` says what a "
                 "key takes, docs/reference.md lists them all)");
  cmd.add_option("--seed", o.seed, "Override the scenario's seed (an integer from 0 to 2^64-1)");
  cmd.add_option("--max-events", o.max_events,
                 "Work budget: events one simulation may run (default 2.5e8, a minute or two); over it is exit 2");
  cmd.add_option("--max-memory", o.max_memory_gib, "Work budget: GiB of memory a run may plan for (default 8)")
      ->check(CLI::Range(0.001, 1e6));
}

ScenarioRequest request_of(const RunOptions& o) {
  ScenarioRequest r;
  r.file = o.scenario;
  r.sets = o.sets;
  if (!o.seed.empty()) {
    std::uint64_t v = 0;
    const char* end = o.seed.data() + o.seed.size();
    const auto [ptr, ec] = std::from_chars(o.seed.data(), end, v);
    if (ec != std::errc() || ptr != end) {
      throw BadInput("--seed: got '" + o.seed + "', expected an integer from 0 to 18446744073709551615 (2^64-1)");
    }
    r.seed = v;
  }
  if (!std::isfinite(o.max_memory_gib)) throw BadInput("--max-memory: got nan, expected GiB from 0.001 to 1000000");
  if (!o.max_events.empty()) {
    double v = 0;
    const char* end = o.max_events.data() + o.max_events.size();
    const auto [ptr, ec] = std::from_chars(o.max_events.data(), end, v);
    if (ec != std::errc() || ptr != end || !(v >= 1) || v > 9e18 || v != std::floor(v)) {
      throw BadInput("--max-events: got '" + o.max_events + "', expected a whole number of events from 1 to 9e18 "
                     "(e.g. 1000000 or 2.5e8)");
    }
    r.max_events = static_cast<std::uint64_t>(v);
  }
  r.max_memory_bytes = o.max_memory_gib * (1ull << 30);
  return r;
}

// "--trace-window START:END": simulated times with units ("10 s:20 s", "0:90 min"; a bare number is seconds).
std::pair<sim::Time, sim::Time> parse_trace_window(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    throw BadInput("--trace-window: got '" + text + "', expected START:END in simulated time, e.g. '10 s:20 s' (" +
                   why + ")");
  };
  const auto colon = text.find(':');
  if (colon == std::string::npos) bad("no ':' between start and end");
  const auto time_of = [&](std::string part) {
    if (part.find_first_not_of("0123456789.eE+- ") == std::string::npos) part += " s";
    try {
      const double s = parse_quantity(part, Dimension::time);
      if (!(s >= 0) || s > kMaxScenarioTime) bad("a time from 0 to 30 days");
      return sim::from_seconds(s);
    } catch (const UnitError& e) {
      bad(e.detail());
    }
    return sim::Time{0};
  };
  const sim::Time start = time_of(text.substr(0, colon)), end = time_of(text.substr(colon + 1));
  if (end <= start) bad("the end must come after the start");
  return {start, end};
}

// What `validate` and `run` both check, alike: the base point (what `run` runs) and every sweep point (what `sweep`
// runs), each read through the same declarations (app/schema). A bad base point throws; bad sweep points are listed.
struct ScenarioCheck {
  Scenario base;
  std::size_t points = 1;
  std::vector<std::string> invalid;  // each invalid sweep point's error, in point order
};

ScenarioCheck check_scenario(const RunOptions& o, const Catalog& catalog) {
  ScenarioCheck check{load_scenario(request_of(o), catalog), 1, {}};
  if (!check.base.has_sweep) return check;
  const std::vector<SweepPoint> points = expand_sweep(request_of(o), catalog, true);
  check.points = points.size();
  for (const SweepPoint& p : points)
    if (!p.error.empty()) check.invalid.push_back(p.error);
  return check;
}

std::string invalid_points_text(const ScenarioCheck& c) {
  return std::to_string(c.invalid.size()) + " of " + std::to_string(c.points) + " sweep point" +
         (c.points == 1 ? "" : "s") + (c.invalid.size() == 1 ? " is" : " are") +
         " invalid (`dcsim sweep` reports each as an error row); the first: " + c.invalid.front();
}

int cmd_run(const RunOptions& o) {
  int to_stdout = 0;
  for (const std::string* p : {&o.json_path, &o.csv_path, &o.trace_path, &o.report_path, &o.requests_path}) {
    to_stdout += *p == "-";
  }
  if (to_stdout > 1) {
    throw BadInput("--json, --csv, --trace, --report and --requests: at most one may write to stdout ('-')");
  }
  {  // two outputs to one file would overwrite each other
    const std::pair<const char*, const std::string*> outs[] = {{"--json", &o.json_path}, {"--csv", &o.csv_path},
                                                               {"--trace", &o.trace_path}, {"--report", &o.report_path},
                                                               {"--requests", &o.requests_path}};
    for (std::size_t i = 0; i < std::size(outs); ++i) {
      for (std::size_t j = i + 1; j < std::size(outs); ++j) {
        const std::string& a = *outs[i].second;
        if (!a.empty() && a != "-" && a == *outs[j].second) {
          throw BadInput(std::string(outs[i].first) + " and " + outs[j].first + " both write '" + a +
                         "'; give each output its own file");
        }
      }
    }
  }
  check_writable(o.json_path, "--json");
  check_writable(o.csv_path, "--csv");
  check_writable(o.trace_path, "--trace");
  check_writable(o.report_path, "--report");
  check_writable(o.requests_path, "--requests");
  if (!o.trace_window.empty() && o.trace_path.empty()) throw BadInput("--trace-window needs --trace PATH");
  const auto window = o.trace_window.empty() ? std::pair<sim::Time, sim::Time>{0, sim::kTimeMax}
                                             : parse_trace_window(o.trace_window);
  const Catalog catalog = Catalog::open_default();
  const ScenarioCheck check = check_scenario(o, catalog);
  const Scenario& scenario = check.base;
  // Invalid sweep points are named, not fatal: `run` runs only the base point, and a sweep may cross infeasible
  // points on purpose (`dcsim sweep` reports them as error rows; `validate` refuses them).
  if (!check.invalid.empty()) std::cerr << "note: " << invalid_points_text(check) << '\n';
  if (!o.requests_path.empty() && scenario.workload_kind != "serving" && scenario.workload_kind != "agents") {
    throw BadInput("--requests: a " + scenario.workload_kind +
                   " run has no requests; it applies to serving (a row per request) and agents (a row per task)");
  }
  RunArtifacts artifacts;
  artifacts.observe = !o.report_path.empty();
  std::optional<OutputStream> trace_file, requests_file;
  std::optional<CsvRequestLog> requests;
  if (!o.trace_path.empty()) {
    trace_file.emplace(o.trace_path, "--trace");
    artifacts.trace_out = &trace_file->stream();
    artifacts.trace_start = window.first;
    artifacts.trace_end = window.second;
  }
  if (!o.requests_path.empty()) {
    requests_file.emplace(o.requests_path, "--requests");
    requests.emplace(requests_file->stream());
    artifacts.requests = &*requests;
  }
  wl::RunResult result;
  try {
    result = run_scenario(scenario, artifacts);
  } catch (...) {
    if (trace_file) trace_file->discard();
    if (requests_file) requests_file->discard();
    throw;
  }
  if (trace_file) trace_file->close();
  if (requests_file) requests_file->close();
  const RunIdentity id = identity_of(scenario);
  const bool json_to_stdout = to_stdout > 0;  // the table would mix with the one output on stdout
  if (!json_to_stdout) {
    if (scenario.workload_kind == "collective") std::cout << format_nccl_tests(scenario.collective, result);
    std::cout << format_table(id, result);
  }
  if (!o.json_path.empty()) write_output(o.json_path, result_to_json(id, result).dump(2) + "\n", "--json");
  if (!o.csv_path.empty()) write_output(o.csv_path, single_run_csv(id, result), "--csv");
  if (!o.report_path.empty()) {
    write_output(o.report_path, render_html_report(id, result, scenario.cluster.total_gpus()), "--report");
  }
  if (scenario.has_sweep && !json_to_stdout) {
    std::cerr << "note: this scenario has a sweep block; `dcsim run` ran its base point, `dcsim sweep` runs them all\n";
  }
  return kExitOk;
}

int cmd_validate(const RunOptions& o) {
  const Catalog catalog = Catalog::open_default();
  const ScenarioCheck check = check_scenario(o, catalog);
  if (!check.invalid.empty()) throw BadInput(invalid_points_text(check));
  std::cout << o.scenario << ": ok";
  if (check.points > 1) std::cout << " (" << check.points << " sweep points, each valid)";
  std::cout << '\n';
  return kExitOk;
}

// `sweep --report`: the swept keys (the CSV columns after `point`) and the page.
void write_sweep_report(const std::string& path, const std::vector<SweepPoint>& points, const std::string& csv) {
  if (path.empty() || points.empty()) return;
  std::vector<std::string> swept;
  for (const auto& [key, value] : points.front().coordinates) swept.push_back(key);
  const Scenario& s = points.front().scenario;
  write_output(path, render_sweep_report(s.name, csv, swept, s.frontier), "--report");
}

int cmd_sweep(const RunOptions& o, int jobs, const std::string& out_path, bool fail_fast) {
  check_writable(out_path, "--out");
  check_writable(o.report_path, "--report");
  if (out_path == "-" && o.report_path == "-") throw BadInput("--out and --report: at most one may write to stdout ('-')");
  const Catalog catalog = Catalog::open_default();
  const auto points = expand_sweep(request_of(o), catalog, !fail_fast);
  std::size_t failed = 0;
  const std::string csv = run_sweep_csv(points, jobs, std::cerr, !fail_fast, &failed);
  if (o.report_path != "-") write_output(out_path.empty() ? "-" : out_path, csv, "--out");
  else if (!out_path.empty()) write_output(out_path, csv, "--out");
  write_sweep_report(o.report_path, points, csv);
  // Every point's row is written; a sweep with failed points exits 1 so a script notices.
  return failed > 0 ? kExitRegression : kExitOk;
}

// The exit code and stderr text of whatever a command threw (the one mapping of errors to exit codes).
Failure describe_failure(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const SweepPointError& e) {
    return {e.exit_code(), std::string(e.exit_code() == kExitBadInput ? "error: " : "internal error: ") + e.what()};
  } catch (const ConfigError& e) {
    return {kExitBadInput, std::string("error: ") + e.what()};
  } catch (const BadInput& e) {
    return {kExitBadInput, std::string("error: ") + e.what()};
  } catch (const std::exception& e) {
    return {kExitInternal, std::string("internal error: ") + e.what()};
  } catch (...) {
    return {kExitInternal, "internal error: unknown exception"};
  }
}

// `dcsim sweep` under mpirun (app/mpi_shard.hpp): every rank runs its share, rank 0 alone writes the CSV or the error.
int cmd_sweep_mpi(const RunOptions& o, int jobs, const std::string& out_path, bool fail_fast) {
  check_writable(o.report_path, "--report");
  if (out_path == "-" && o.report_path == "-") throw BadInput("--out and --report: at most one may write to stdout ('-')");
  auto expand = [&o, fail_fast] { return expand_sweep(request_of(o), Catalog::open_default(), !fail_fast); };
  auto write = [&](const std::string& csv) {  // rank 0 only
    if (o.report_path != "-") write_output(out_path.empty() ? "-" : out_path, csv, "--out");
    else if (!out_path.empty()) write_output(out_path, csv, "--out");
    if (!o.report_path.empty()) write_sweep_report(o.report_path, expand(), csv);
  };
  const ShardedSweepOutcome outcome =
      run_sweep_sharded(expand, jobs, std::cerr, write, describe_failure, !fail_fast);
  if (outcome.exit_code != kExitOk) std::cerr << outcome.error << '\n';  // rank 0 only: the others exit 0
  // As in one process: every point's row is written, and failed points make the exit code 1 (rank 0's is the job's).
  if (outcome.exit_code == kExitOk && outcome.failed_points > 0) return kExitRegression;
  return outcome.exit_code;
}

int cmd_plan(const RunOptions& o) {
  check_writable(o.json_path, "--json");
  check_writable(o.report_path, "--report");
  if (o.json_path == "-" && o.report_path == "-") throw BadInput("--json and --report: at most one may write to stdout ('-')");
  const Catalog catalog = Catalog::open_default();
  const PlanOutcome outcome = run_plan(request_of(o), catalog, std::cerr);
  const bool json_to_stdout = o.json_path == "-" || o.report_path == "-";
  if (!json_to_stdout) std::cout << format_plan(outcome);
  if (!o.report_path.empty()) write_output(o.report_path, render_plan_report(outcome), "--report");
  if (!o.json_path.empty()) {
    auto doc = result_to_json(identity_of(outcome.scenario), outcome.result);
    // Every evaluated point with its targets' values, so a CI job or a notebook can redraw the search.
    const auto value_json = [&](double v) {
      return outcome.spec.resolution > 0 ? nlohmann::ordered_json(v)
                                         : nlohmann::ordered_json(static_cast<std::int64_t>(std::llround(v)));
    };
    nlohmann::ordered_json targets = nlohmann::ordered_json::array();
    for (const PlanTarget& t : outcome.spec.targets) {
      nlohmann::ordered_json tj = {{"metric", t.metric}};
      if (t.min) tj["min"] = *t.min;
      if (t.max) tj["max"] = *t.max;
      targets.push_back(tj);
    }
    nlohmann::ordered_json evaluated = nlohmann::ordered_json::array();
    for (const PlanPoint& p : outcome.evaluated) {
      nlohmann::ordered_json observed = nlohmann::ordered_json::object();
      for (const auto& [metric, v] : p.observed) observed[metric] = v;
      nlohmann::ordered_json point = {{"value", value_json(p.value)}, {"meets", p.meets}, {"observed", observed}};
      if (!p.reason.empty()) point["reason"] = p.reason;
      evaluated.push_back(point);
    }
    doc["plan"] = {{"vary", outcome.spec.vary},
                   {"goal", outcome.spec.largest ? "largest" : "smallest"},
                   {"range", {value_json(outcome.spec.low), value_json(outcome.spec.high)}},
                   {"targets", targets},
                   {"evaluated", evaluated},
                   {"chosen", outcome.chosen ? value_json(*outcome.chosen) : nlohmann::ordered_json()},
                   {"systems_in_use", outcome.systems_in_use}};
    if (!outcome.grid.empty()) {  // every combination with its answer; "evaluated" above is the best one's
      nlohmann::ordered_json grid = nlohmann::ordered_json::array();
      for (std::size_t c = 0; c < outcome.grid.size(); ++c) {
        const PlanGridResult& g = outcome.grid[c];
        nlohmann::ordered_json values = nlohmann::ordered_json::object();
        for (const auto& [key, value] : g.values) values[key] = value;
        nlohmann::ordered_json entry = {{"values", values},
                                        {"chosen", g.chosen ? value_json(*g.chosen) : nlohmann::ordered_json()},
                                        {"tokens_per_joule", g.tokens_per_joule},
                                        {"best", outcome.chosen.has_value() && c == outcome.grid_chosen}};
        if (!g.reason.empty()) entry["reason"] = g.reason;
        grid.push_back(entry);
      }
      doc["plan"]["grid"] = grid;
    }
    write_output(o.json_path, doc.dump(2) + "\n", "--json");
  }
  return outcome.chosen ? kExitOk : kExitRegression;
}

int cmd_compare(const std::vector<std::string>& base_paths, const std::vector<std::string>& new_paths,
                double tolerance, bool allow_mismatch, bool summary) {
  // CLI11's range check lets NaN through (every comparison with it is false), and NaN would pass every change.
  if (!std::isfinite(tolerance)) throw BadInput("--tolerance: got nan, expected a percentage from 0 to 1000000");
  std::vector<nlohmann::ordered_json> bases, nexts;
  for (const auto& p : base_paths) bases.push_back(read_json(p));
  for (const auto& p : new_paths) nexts.push_back(read_json(p));
  Comparison c;
  try {
    c = compare_result_sets(bases, nexts, tolerance);
  } catch (const std::invalid_argument& e) {
    throw BadInput(e.what());
  }
  // Results of different runs compare apples with oranges: refuse unless asked, saying what differs. With several
  // seeds a side, every result must be the first BASE's run but for its seed.
  const bool sets = bases.size() > 1 || nexts.size() > 1;
  std::string list;
  for (std::size_t i = 0; i < base_paths.size() + new_paths.size(); ++i) {
    if (i == 0) continue;
    const bool is_base = i < base_paths.size();
    const auto& doc = is_base ? bases[i] : nexts[i - base_paths.size()];
    const std::string& path = is_base ? base_paths[i] : new_paths[i - base_paths.size()];
    for (const std::string& d : run_mismatches(bases.front(), doc, sets)) list += "\n  " + path + ": " + d;
  }
  if (!list.empty()) {
    if (!allow_mismatch) {
      throw BadInput("the results are of different runs (against " + base_paths.front() + "):" + list +
                     "\npass --allow-mismatch to compare them anyway");
    }
    std::cerr << "note: comparing results of different runs (--allow-mismatch):" << list << '\n';
  }
  std::cout << format_comparison(c, tolerance, summary);
  return c.regressions() > 0 ? kExitRegression : kExitOk;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"dcsim: a discrete-event simulator of AI datacenters (training, serving, agents; tokens per watt)"};
  app.set_version_flag("--version", std::string("dcsim ") + DCSIM_VERSION);
  app.require_subcommand(1);

  RunOptions run_opts;
  auto* run = app.add_subcommand("run", "Simulate one scenario and print its result");
  add_scenario_options(*run, run_opts);
  run->add_option("--json", run_opts.json_path, "Write the result JSON (dcsim.result/1) to PATH, or - for stdout");
  run->add_option("--csv", run_opts.csv_path, "Write the metrics as one CSV row to PATH");
  run->add_option("--trace", run_opts.trace_path, "Write a Chrome/Perfetto trace JSON of the run to PATH");
  run->add_option("--report", run_opts.report_path, "Write a self-contained HTML report of the result to PATH");
  run->add_option("--requests", run_opts.requests_path,
                  "Write one CSV row per request (serving) or task (agents) to PATH, streamed as they finish");
  run->add_option("--trace-window", run_opts.trace_window,
                  "Trace only events overlapping START:END of simulated time, e.g. '60 s:70 s' (with --trace)");

  RunOptions val_opts;
  auto* validate = app.add_subcommand("validate", "Check a scenario (and every sweep point) without running it");
  add_scenario_options(*validate, val_opts);

  std::string list_what;
  auto* list = app.add_subcommand("list", "List catalog entries: systems, gpus, cpus, nics, switches, optics, "
                                          "storage, models, scenarios");
  list->add_option("what", list_what, "What to list")
      ->required()
      ->check(CLI::IsMember(Catalog::listable_kinds()));

  std::string show_kind, show_name;
  bool show_json = false;
  auto* show = app.add_subcommand("show", "Show one catalog entry with its figures");
  show->add_option("kind", show_kind, "system, gpu, cpu, nic, switch, optics, storage or model")
      ->required()
      ->check(CLI::IsMember(Catalog::showable_kinds()));
  show->add_option("name", show_name, "Catalog name, e.g. h100-hgx")->required();
  show->add_flag("--json", show_json, "Print JSON instead of a table");

  RunOptions sweep_opts;
  int jobs = 1;
  std::string sweep_out;
  auto* sweep = app.add_subcommand("sweep", "Run the Cartesian product of the scenario's sweep: block, one CSV row "
                                            "per point (identical whatever --jobs)");
  add_scenario_options(*sweep, sweep_opts);
  sweep->add_option("--jobs,-j", jobs, "Points simulated in parallel")->check(CLI::Range(1, 1024));
  sweep->add_option("--out", sweep_out, "CSV output path (default: stdout)");
  sweep->add_option("--report", sweep_opts.report_path,
                    "Write an HTML page of the sweep to PATH: its Pareto frontier, any column against any other, "
                    "the points");
  bool fail_fast = false;
  sweep->add_flag("--fail-fast", fail_fast,
                  "Stop at the first point that is invalid or fails (default: such points become rows with an error)");

  RunOptions plan_opts;
  auto* plan = app.add_subcommand("plan", "Capacity planning: the smallest value of the plan: block's knob that meets "
                                          "every target (exit 1 when none in range does)");
  add_scenario_options(*plan, plan_opts);
  plan->add_option("--json", plan_opts.json_path, "Write the chosen point's result JSON to PATH, or - for stdout");
  plan->add_option("--report", plan_opts.report_path,
                   "Write an HTML page of the search to PATH: each target's metric at every evaluated point");

  std::string base_path, new_path;
  std::vector<std::string> base_set, new_set;
  double tolerance = 1.0;
  auto* compare = app.add_subcommand("compare", "Compare two result JSON files; exit 1 when a metric regressed "
                                                "beyond the tolerance (direction-aware)");
  compare->add_option("base", base_path, "Baseline result JSON");
  compare->add_option("new", new_path, "New result JSON");
  compare->add_option("--base", base_set, "Baseline results of several seeds (repeat; with --new instead of BASE NEW)");
  compare->add_option("--new", new_set, "New results of several seeds (repeat)");
  compare->add_option("--tolerance", tolerance, "Allowed change against the better direction, in percent")
      ->check(CLI::Range(0.0, 1e6));
  bool allow_mismatch = false, summary = false;
  compare->add_flag("--allow-mismatch", allow_mismatch,
                    "Compare results of different runs (scenario, workload, system, seed or settings)");
  compare->add_flag("--summary", summary, "Print only the regressed and improved metrics, with units (CI logs)");

  validation::ValidationOptions vopts;
  auto* validation_cmd = app.add_subcommand(
      "validation", "Run the published-figure suite (configs/validation/): every case's published and simulated "
                    "value, error and role, and per group the fit and check sets' median and max |error|; exit 1 "
                    "when a case is outside its tolerance");
  validation_cmd->add_option("--group", vopts.group, "Only this group")
      ->check(CLI::IsMember(validation::kGroups));
  validation_cmd->add_option("--role", vopts.role, "Only fit or only check cases")->check(CLI::IsMember({"fit", "check"}));
  validation_cmd->add_option("--case", vopts.case_ids, "Only this case (repeatable)");
  validation_cmd->add_option("--json", vopts.json_path, "Write the cases and group statistics as JSON to PATH, or -");
  validation_cmd->add_option("--markdown", vopts.markdown_path,
                             "Write the generated tables of docs/validation.md to PATH, or -");
  validation_cmd->add_option("--update-doc", vopts.update_doc,
                             "Replace the generated section of PATH (docs/validation.md) with the tables");

  std::string schema_format = "json", schema_out;
  auto* schema_cmd = app.add_subcommand(
      "schema", "Write the scenario format as a JSON Schema (for a YAML language server in an editor), a model "
                "file's, or the key reference (docs/reference.md)");
  schema_cmd->add_option("--format", schema_format, "json (scenario), model-json (model catalog file) or markdown")
      ->check(CLI::IsMember({"json", "model-json", "markdown"}));
  schema_cmd->add_option("--out", schema_out, "Output path (default: stdout)");

  std::string explain_key;
  auto* explain_cmd = app.add_subcommand("explain", "Print one scenario key's declaration: type, unit and range, "
                                                    "default, rules and what it does");
  explain_cmd->add_option("key", explain_key, "Dotted key, e.g. workload.parallelism.tp or hardware.scale_out.nic")
      ->required();

  std::vector<std::string> fit_names;
  auto* fit = app.add_subcommand("fit", "Rerun the least-squares fits of configs/validation/fits.yaml (all, or the "
                                        "named ones): fitted constants and residuals");
  fit->add_option("name", fit_names, "Fit names (default: every fit)");

  // Under an MPI launcher every rank parses the same command line; only rank 0 prints help, version and errors.
  const bool mpi = launched_by_mpi();
  const bool quiet = mpi && launcher_rank() != 0;
  std::ostream null_stream(nullptr);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = quiet ? app.exit(e, null_stream, null_stream) : app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  if (mpi && !*sweep) {  // only a sweep has work to share; the others would run N times over
    if (!quiet) {
      std::cerr << "error: `dcsim " << app.get_subcommands().front()->get_name()
                << "` does not run under mpirun; only `dcsim sweep` shares its points among MPI ranks. "
                   "Run it without mpirun.\n";
    }
    return kExitBadInput;
  }

  try {
    if (*run) return cmd_run(run_opts);
    if (*validate) return cmd_validate(val_opts);
    if (*list) {
      std::cout << format_list(Catalog::open_default(), list_what);
      return kExitOk;
    }
    if (*show) {
      std::cout << format_show(Catalog::open_default(), show_kind, show_name, show_json);
      return kExitOk;
    }
    if (*sweep) return mpi ? cmd_sweep_mpi(sweep_opts, jobs, sweep_out, fail_fast) : cmd_sweep(sweep_opts, jobs, sweep_out, fail_fast);
    if (*compare) {
      // Two files, or --base/--new sets of several seeds: one form.
      const bool pair = !base_path.empty() || !new_path.empty(), sets = !base_set.empty() || !new_set.empty();
      if (pair == sets || (pair && (base_path.empty() || new_path.empty())) ||
          (sets && (base_set.empty() || new_set.empty()))) {
        throw BadInput("compare takes BASE.json NEW.json, or --base FILE... --new FILE... (several seeds a side)");
      }
      return pair ? cmd_compare({base_path}, {new_path}, tolerance, allow_mismatch, summary)
                  : cmd_compare(base_set, new_set, tolerance, allow_mismatch, summary);
    }
    if (*plan) return cmd_plan(plan_opts);
    if (*validation_cmd) return validation::cmd_validation(vopts);
    if (*fit) return validation::cmd_fit(fit_names);
    if (*schema_cmd) return cmd_schema(Catalog::open_default(), schema_format, schema_out);
    if (*explain_cmd) return cmd_explain(explain_key);
  } catch (...) {
    const Failure f = describe_failure(std::current_exception());
    std::cerr << f.message << '\n';
    return f.exit_code;
  }
  return kExitInternal;
}

}  // namespace dcsim::app
