#include "app/runner.hpp"

#include <chrono>
#include <sstream>

#include "app/csv.hpp"
#include "app/errors.hpp"
#include "sim/event_budget.hpp"
#include "sim/trace.hpp"
#include "workloads/agents/agents_workload.hpp"
#include "workloads/collective_workload.hpp"
#include "workloads/pretraining/pretraining.hpp"
#include "workloads/serving/serving_workload.hpp"
#include "workloads/cluster_power.hpp"
#include "workloads/input_error.hpp"
#include "workloads/run_invariants.hpp"

namespace dcsim::app {

namespace {

wl::RunResult simulate(const Scenario& scenario, RunArtifacts& artifacts) {
  const bool tracing = artifacts.trace_out != nullptr;
  sim::TraceRecorder trace(tracing);
  if (tracing) {
    trace.set_window(artifacts.trace_start, artifacts.trace_end);
    trace.stream_to(*artifacts.trace_out);
  }
  const auto start = std::chrono::steady_clock::now();
  wl::RunResult result;
  const auto fidelity =
      scenario.network == NetworkModelKind::flow ? wl::NetworkFidelity::flow : wl::NetworkFidelity::analytical;
  if (scenario.workload_kind == "collective") {
    result = wl::run_collective(scenario.collective, scenario.cluster, fidelity, tracing ? &trace : nullptr);
  }
  if (scenario.workload_kind == "serving") {
    result = wl::run_serving(scenario.serving, *scenario.model, scenario.cluster,
                             fidelity == wl::NetworkFidelity::flow, tracing ? &trace : nullptr, scenario.seed,
                             wl::RunOutputs{artifacts.requests, artifacts.observe});
  }
  if (scenario.workload_kind == "agents") {
    result = wl::run_agents(scenario.agents, *scenario.model, scenario.cluster, tracing ? &trace : nullptr,
                            scenario.seed, wl::RunOutputs{artifacts.requests, artifacts.observe});
  }
  if (scenario.workload_kind == "pretraining") {
    result = wl::run_pretraining(scenario.pretraining, *scenario.model, scenario.cluster, scenario.seed,
                                 tracing ? &trace : nullptr, fidelity == wl::NetworkFidelity::flow);
  }
  // Value-weighted tokens (DESIGN.md §6) from the tokens_by_class.<class> counts every token workload reports.
  if (scenario.token_value) wl::add_value_metrics(result.metrics, *scenario.token_value);
  // What the run costs: per GPU-hour, per hour and year of the GPUs it uses, per million tokens.
  if (scenario.cost) wl::add_cost_metrics(result.metrics, *scenario.cost);
  // What the watts behind tokens per joule are spent on (docs/power.md, "Reported metrics").
  if (const std::string d = wl::dominant_power_part(result.metrics); !d.empty()) {
    result.info.emplace_back("power_dominated_by", d);
  }
  // A result that breaks a relation every result obeys is a bug, not a number to report: exit 3 (#18).
  wl::check_run_invariants(result.metrics);
  result.engine.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  trace.finish();
  return result;
}

}  // namespace

wl::RunResult run_scenario(const Scenario& scenario, RunArtifacts& artifacts) {
  // The limits a long or large scenario can reach are bad input that names what to change, not internal errors.
  const sim::EventBudgetScope budget(scenario.max_events);
  try {
    return simulate(scenario, artifacts);
  } catch (const sim::EventBudgetExceeded& e) {
    throw BadInput(scenario.file + ": " + e.what() +
                   " (the work budget, --max-events; the estimate at load was lower): make the run smaller "
                   "(duration, rate, tasks, steps, iterations) or raise --max-events");
  } catch (const sim::TimeHorizonExceeded& e) {
    throw BadInput(scenario.file + ": the run passes the simulated-time horizon of 106 days (" + e.what() +
                   "): shorten it (duration, iterations, message sizes, tool and think times, arrival spacing)");
  } catch (const wl::InputError& e) {
    throw BadInput(scenario.file + ": workload." + e.key() + ": " + e.what());
  }
}

std::string single_run_csv(const RunIdentity& id, const wl::RunResult& result) {
  std::ostringstream out;
  std::vector<std::string> header = {"scenario", "seed"};
  std::vector<std::string> row = {id.scenario, std::to_string(id.seed)};
  for (const auto& m : result.metrics.entries()) {
    header.push_back(m.key);
    row.push_back(csv_number(m.value));
  }
  out << csv_line(header) << csv_line(row);
  return out.str();
}

}  // namespace dcsim::app
