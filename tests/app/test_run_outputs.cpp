// What `dcsim run` writes beside the metrics (#16): the observations a report draws, checked against the metrics
// they must agree with; --requests rows, checked against the run's totals and percentiles; the streamed trace
// (valid JSON, every request one async span, the window); and that none of them changes the run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/report_html.hpp"
#include "app/request_csv.hpp"
#include "app/runner.hpp"
#include "app/scenario.hpp"
#include "sim/stats.hpp"
#include "tests/support/scenario_text.hpp"

namespace dcsim::app {
namespace {

const char* kServing = R"(name: outputs
hardware: {system: h100-hgx, count: 1}
model: llama3-8b
workload:
  kind: serving
  arrivals: {process: offline, requests: 300}
  input: {dist: lognormal, median: 400, sigma: 0.8, max: 4096}
  output: {dist: uniform, low: 20, high: 200}
  instance: {count: 2, tp: 1, max_batch: 64, token_budget: 2048}
)";

const char* kAgents = R"(name: outputs-agents
hardware: {system: h100-hgx, count: 1}
model: llama3-8b
workload:
  kind: agents
  arrivals: {process: closed-loop, concurrency: 4}
  tasks: 12
  instance: {tp: 1}
)";

Scenario load(const char* yaml, std::vector<std::string> sets = {}) {
  return dcsim::testing::scenario_from_text(yaml, std::move(sets), "dcsim_run_outputs");
}

// Rows of a CSV without quoted fields (what the request log writes for these scenarios), by column name.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::size_t col(const std::string& name) const {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  }
  double num(std::size_t row, const std::string& name) const { return std::stod(rows[row][col(name)]); }
};

Table parse(const std::string& csv) {
  Table t;
  std::istringstream in(csv);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream l(line);
    while (std::getline(l, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    if (first) t.header = cells;
    else t.rows.push_back(cells);
    first = false;
  }
  return t;
}

// Integral of a binned series: every bin but the last is one width wide; the last covers up to `end`.
double integral(const wl::ObservedSeries& s, double end) {
  double sum = 0;
  const auto& p = s.points;
  const double width = p.size() > 1 ? p[1].first - p[0].first : 2 * p[0].first;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double lo = static_cast<double>(i) * width;
    const double hi = i + 1 < p.size() ? lo + width : end;
    sum += p[i].second * (hi - lo);
  }
  return sum;
}

const wl::ObservedSeries& series(const wl::RunResult& r, const std::string& name) {
  for (const auto& s : r.observed.series) {
    if (s.name == name) return s;
  }
  throw std::runtime_error("no series " + name);
}

TEST(RunOutputs, ServingSeriesAgreeWithTheMetrics) {
  RunArtifacts a;
  a.observe = true;
  const wl::RunResult r = run_scenario(load(kServing), a);
  const double end = r.metrics.at("run_s");
  // Offline with no warm-up: the window is the whole run, so every emitted token is counted and the power is the
  // run's mean.
  EXPECT_NEAR(integral(series(r, "output throughput"), end), r.metrics.at("tokens"), 1e-6 * r.metrics.at("tokens"));
  EXPECT_NEAR(integral(series(r, "IT power"), end) / end, r.metrics.at("power_w.it"), 1e-6 * r.metrics.at("power_w.it"));
  for (const auto& s : r.observed.series) EXPECT_LE(s.points.size(), 512u) << s.name;
  const auto& kv = series(r, "KV-cache occupancy");
  for (const auto& [t, v] : kv.points) {
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 1.0);
  }
  ASSERT_EQ(r.observed.distributions.size(), 3u);
  const wl::ObservedDistribution& ttft = r.observed.distributions[0];
  EXPECT_EQ(ttft.name, "TTFT");
  ASSERT_EQ(ttft.quantiles.size(), 101u);
  EXPECT_NEAR(ttft.quantiles[50], r.metrics.at("ttft_s.p50"), 1e-12);
  EXPECT_NEAR(ttft.quantiles[99], r.metrics.at("ttft_s.p99"), 1e-12);
  EXPECT_TRUE(std::is_sorted(ttft.quantiles.begin(), ttft.quantiles.end()));
}

TEST(RunOutputs, RequestRowsAddUpToTheRun) {
  std::ostringstream csv;
  CsvRequestLog log(csv);
  RunArtifacts a;
  a.requests = &log;
  const wl::RunResult r = run_scenario(load(kServing), a);
  const Table t = parse(csv.str());
  ASSERT_EQ(t.rows.size(), 300u);
  EXPECT_EQ(t.header.front(), "request");
  double output = 0;
  sim::SampleSet ttft;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    EXPECT_EQ(t.rows[i][t.col("status")], "finished");
    output += t.num(i, "output_tokens");
    EXPECT_NEAR(t.num(i, "ttft_s"), t.num(i, "first_token_s") - t.num(i, "arrival_s"), 1e-12);
    EXPECT_NEAR(t.num(i, "e2e_s"), t.num(i, "finish_s") - t.num(i, "arrival_s"), 1e-12);
    EXPECT_LE(t.num(i, "finish_s"), r.metrics.at("run_s"));
    ttft.add(t.num(i, "ttft_s"));
  }
  EXPECT_DOUBLE_EQ(output, r.metrics.at("tokens"));
  EXPECT_NEAR(ttft.p99(), r.metrics.at("ttft_s.p99"), 1e-9);
}

TEST(RunOutputs, TaskRowsAddUpToTheAgentsRun) {
  std::ostringstream csv;
  CsvRequestLog log(csv);
  RunArtifacts a;
  a.requests = &log;
  a.observe = true;
  const wl::RunResult r = run_scenario(load(kAgents), a);
  const Table t = parse(csv.str());
  ASSERT_EQ(static_cast<double>(t.rows.size()), r.metrics.at("tasks"));
  double latency = 0, agents = 0;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    latency += t.num(i, "latency_s");
    agents += t.num(i, "agents");
    EXPECT_EQ(t.rows[i][t.col("role")], "agent");  // no populations: the one role
    EXPECT_EQ(t.num(i, "call_depth"), 0);
  }
  EXPECT_NEAR(latency / t.rows.size(), r.metrics.at("task_latency_s.mean"), 1e-9);
  EXPECT_DOUBLE_EQ(agents, r.metrics.at("agents"));
  EXPECT_FALSE(r.observed.distributions.empty());
  EXPECT_EQ(r.observed.distributions.front().name, "task latency");
}

TEST(RunOutputs, StreamedTraceIsOneJsonDocumentWithARequestSpanEach) {
  std::ostringstream trace;
  RunArtifacts a;
  a.trace_out = &trace;
  (void)run_scenario(load(kServing), a);
  const nlohmann::json doc = nlohmann::json::parse(trace.str());
  std::map<std::string, int> phases;
  std::map<std::string, int> names;
  for (const auto& e : doc["traceEvents"]) {
    ++phases[e["ph"].get<std::string>()];
    if (e["ph"] == "M") ++names[e["args"]["name"].get<std::string>()];
  }
  // Each request: one span from arrival to its last token, one until its first token.
  EXPECT_EQ(phases["b"], 600);
  EXPECT_EQ(phases["e"], 600);
  EXPECT_GT(phases["C"], 0);
  EXPECT_GT(phases["X"], 0);
  EXPECT_EQ(names.count("serving instances (steps, collectives)"), 1u);
  EXPECT_EQ(names.count("instance 0"), 1u);
}

TEST(RunOutputs, TraceWindowKeepsOnlyEventsThatOverlapIt) {
  std::ostringstream all, part;
  RunArtifacts a, b;
  a.trace_out = &all;
  b.trace_out = &part;
  b.trace_start = sim::from_seconds(1.0);
  b.trace_end = sim::from_seconds(2.0);
  (void)run_scenario(load(kServing), a);
  (void)run_scenario(load(kServing), b);
  const nlohmann::json whole = nlohmann::json::parse(all.str()), window = nlohmann::json::parse(part.str());
  std::size_t expected = 0;
  for (const auto& e : whole["traceEvents"]) {
    if (e["ph"] != "X") continue;
    const double ts = e["ts"].get<double>(), dur = e["dur"].get<double>();
    expected += (ts + dur > 1e6 || (dur == 0 && ts >= 1e6)) && ts < 2e6;
  }
  std::size_t kept = 0;
  for (const auto& e : window["traceEvents"]) {
    if (e["ph"] != "X") continue;
    ++kept;
    EXPECT_GT(e["ts"].get<double>() + e["dur"].get<double>(), 1e6);
    EXPECT_LT(e["ts"].get<double>(), 2e6);
  }
  EXPECT_GT(kept, 0u);
  EXPECT_EQ(kept, expected);
}

TEST(RunOutputs, TracesAndRequestRowsDoNotChangeTheRun) {
  for (const char* yaml : {kServing, kAgents}) {
  const Scenario s = load(yaml);
  RunArtifacts plain;
  const wl::RunResult a = run_scenario(s, plain);
  std::ostringstream trace, csv;
  CsvRequestLog log(csv);
  RunArtifacts with;
  with.trace_out = &trace;
  with.requests = &log;
  with.observe = true;
  const wl::RunResult b = run_scenario(s, with);
  EXPECT_EQ(a.engine.fingerprint, b.engine.fingerprint);
  EXPECT_TRUE(a.observed.series.empty());  // nobody asked for pictures
  EXPECT_FALSE(b.observed.series.empty());
  ASSERT_EQ(a.metrics.entries().size(), b.metrics.entries().size());
  for (std::size_t i = 0; i < a.metrics.entries().size(); ++i) {
    EXPECT_EQ(a.metrics.entries()[i].value, b.metrics.entries()[i].value) << a.metrics.entries()[i].key;
  }
  }
}

TEST(RunOutputs, DisaggregatedTraceHasAKvTransferSpanPerFlowOnNamedTracks) {
  const Scenario s = load(R"(name: kv
hardware: {system: h100-hgx, count: 1}
model: llama3-8b
workload:
  kind: serving
  mode: disaggregated
  arrivals: {process: offline, requests: 5}
  input: 1000
  output: 50
  prefill: {count: 1, tp: 4}
  decode: {count: 1, tp: 4}
  kv_transfer_groups: 2
)");
  std::ostringstream trace;
  RunArtifacts a;
  a.trace_out = &trace;
  (void)run_scenario(s, a);
  const nlohmann::json doc = nlohmann::json::parse(trace.str());
  int transfers = 0;
  bool named = false;
  for (const auto& e : doc["traceEvents"]) {
    if (e["ph"] == "X" && e["name"] == "KV transfer") {
      ++transfers;
      EXPECT_EQ(e["pid"], 2);
      EXPECT_EQ(e["tid"], 1);  // the decode instance
    }
    if (e["ph"] == "M" && e["pid"] == 2 && e["tid"] == 1 && e["name"] == "thread_name") named = true;
  }
  EXPECT_EQ(transfers, 5 * 2 * 4);  // each request's KV in 2 groups, each over the 4 TP GPU pairs
  EXPECT_TRUE(named);
}

TEST(RunOutputs, PretrainingTimelineHasEveryPassOfTheStep) {
  const Scenario s = load(R"(name: tl
hardware: {system: h100-hgx, count: 2}
model: llama3-8b
workload: {kind: pretraining, parallelism: {tp: 2, pp: 4, dp: 2}, micro_batch: 1, global_batch: 16, seq_len: 2048}
)");
  RunArtifacts a;
  const wl::RunResult r = run_scenario(s, a);
  const wl::Timeline& t = r.observed.timeline;
  ASSERT_EQ(t.lanes.size(), 4u);
  // 8 micro-batches per replica (16 / dp 2): a forward and a backward on each of 4 stages.
  EXPECT_EQ(std::count_if(t.spans.begin(), t.spans.end(), [](const auto& sp) { return sp.kind == "forward"; }), 32);
  EXPECT_EQ(std::count_if(t.spans.begin(), t.spans.end(), [](const auto& sp) { return sp.kind == "backward"; }), 32);
  EXPECT_EQ(std::count_if(t.spans.begin(), t.spans.end(), [](const auto& sp) { return sp.kind == "optimizer"; }), 4);
  // Activations leave stages 0-2, gradients stages 1-3: 3 x 8 each way.
  EXPECT_EQ(std::count_if(t.spans.begin(), t.spans.end(), [](const auto& sp) { return sp.kind == "PP send"; }), 48);
  double end = 0;
  for (const auto& sp : t.spans) end = std::max(end, sp.end_s);
  EXPECT_NEAR(end, r.metrics.at("step_time_s"), 1e-9 * end);
}

TEST(RunOutputs, ReportDrawsEveryObservationWithData) {
  RunArtifacts a;
  a.observe = true;
  const Scenario s = load(kServing);
  const wl::RunResult r = run_scenario(s, a);
  const std::string html = render_html_report(identity_of(s), r, 8);
  // Three power bars, three CDFs, five series.
  std::size_t plots = 0, empty = 0;
  for (std::size_t at = html.find("class=\"plot\""); at != std::string::npos; at = html.find("class=\"plot\"", at + 1)) {
    ++plots;
    empty += html.compare(at, 28, "class=\"plot\" data-points=\"0\"") == 0;
  }
  EXPECT_EQ(plots, 11u);
  EXPECT_EQ(empty, 0u);
  EXPECT_NE(html.find("TTFT CDF (300 samples)"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // self-contained, no script
}

}  // namespace
}  // namespace dcsim::app

#include "app/sweep_report.hpp"

namespace dcsim::app {
namespace {

TEST(SweepReport, MarksTheFrontierAndLabelsItsPointsByTheirValues) {
  // Four points; (x, y) both maximised: (1, 4) and (3, 3) and (4, 1) are on the frontier, (2, 2) is beaten by (3, 3).
  const std::string csv =
      "point,workload.instance.tp,workload.instance.tp_si,tokens_per_s_per_user,tokens_per_s_per_gpu,error\n"
      "0,1,1,1,4,\n1,2,2,2,2,\n2,4,4,3,3,\n3,8,8,4,1,\n4,16,16,,,\"sweep point 4: <too big>, no fit\"\n";
  const std::string html = render_sweep_report("s", csv, {"workload.instance.tp"}, std::nullopt);
  EXPECT_NE(html.find("5 points, 1 failed"), std::string::npos);
  EXPECT_NE(html.find("Pareto frontier"), std::string::npos);
  EXPECT_NE(html.find("\"frontier\":[true,false,true,true,false]"), std::string::npos);
  EXPECT_NE(html.find("\"labels\":[\"tp=1\",\"tp=2\",\"tp=4\",\"tp=8\",\"tp=16\"]"), std::string::npos);
  // The frontier chart labels its three points; the error text is escaped in the table.
  EXPECT_NE(html.find(">tp=4</text>"), std::string::npos);
  EXPECT_EQ(html.find(">tp=2</text>"), std::string::npos);
  EXPECT_NE(html.find("&lt;too big&gt;"), std::string::npos);
  // The swept key appears once in the explorer, by its SI column.
  EXPECT_NE(html.find("\"columns\":[\"workload.instance.tp_si\",\"tokens_per_s_per_user\",\"tokens_per_s_per_gpu\"]"),
            std::string::npos);
}

TEST(SweepReport, EmbeddedDataCannotCloseItsScriptElement) {
  const std::string csv = "point,workload.name,x_s\n0,</script><b>,1\n";
  const std::string html = render_sweep_report("s", csv, {"workload.name"}, std::nullopt);
  const auto data = html.find("id=\"sweep-data\">");
  ASSERT_NE(data, std::string::npos);
  const auto end = html.find("</script>", data);
  EXPECT_EQ(html.substr(data, end - data).find("<b>"), std::string::npos);
  EXPECT_NE(html.substr(data, end - data).find("\\u003c/script>\\u003cb>"), std::string::npos);
}

}  // namespace
}  // namespace dcsim::app
