// Token classes and value-weighted tokens per joule (DESIGN.md §6): serving request classes (draw shares,
// determinism, one declared class bit-identical to none, per-class token counts summing to the total, the trace
// `class` column), the value metric by hand, value = plain with every weight 1 for serving, pretraining and
// agents, and the configuration errors.
#include <gtest/gtest.h>

#include "tests/support/scenario_text.hpp"

#include <array>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/catalog.hpp"
#include "app/runner.hpp"
#include "app/scenario.hpp"
#include "workloads/metrics.hpp"
#include "workloads/serving/request_source.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::wl {
namespace {

const std::filesystem::path kSource = DCSIM_SOURCE_DIR;

app::Catalog catalog() { return app::Catalog(kSource / "configs"); }

// Loads a scenario from YAML text, with optional --set assignments.
app::Scenario scenario(const std::string& yaml, std::vector<std::string> sets = {}) {
  return dcsim::testing::scenario_from_text(yaml, std::move(sets), "dcsim_token_classes");
}

// The error message loading the scenario gives ("" when it loads).
std::string error_of(const std::string& yaml) {
  try {
    (void)scenario(yaml);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

RunResult run(const app::Scenario& s) {
  app::RunArtifacts artifacts;
  return app::run_scenario(s, artifacts);
}

RequestClass fixed_class(const std::string& name, double share, double input, double output) {
  RequestClass c;
  c.name = name;
  c.share = share;
  c.input.value = input;
  c.output.value = output;
  return c;
}

// --- the value metric, by hand ---------------------------------------------------------------------------------

TEST(TokenValue, WeightsTimesClassTokensOverTheSameEnergy) {
  Metrics m;
  m.set("tokens", 400);
  m.set("tokens_by_class.chat", 100);
  m.set("tokens_by_class.coding", 300);
  m.set("energy_j", 50);
  m.set("energy_facility_j", 60);
  m.set("tokens_per_joule", 8);
  m.set("tokens_per_joule_facility", 400.0 / 60);
  m.set("mfu", 0.5);
  add_value_metrics(m, {{"chat", 0.5}, {"coding", 2}});
  EXPECT_EQ(m.at("value_tokens"), 0.5 * 100 + 2 * 300);  // 650
  EXPECT_DOUBLE_EQ(m.at("value_tokens_per_joule"), 650.0 / 50);
  EXPECT_DOUBLE_EQ(m.at("value_tokens_per_joule_facility"), 650.0 / 60);
  // Placed beside the plain figure, before the keys that followed it.
  std::vector<std::string> keys;
  for (const auto& e : m.entries()) keys.push_back(e.key);
  const std::vector<std::string> want = {"tokens", "tokens_by_class.chat", "tokens_by_class.coding", "energy_j",
                                         "energy_facility_j", "tokens_per_joule", "tokens_per_joule_facility",
                                         "value_tokens", "value_tokens_per_joule", "value_tokens_per_joule_facility",
                                         "mfu"};
  EXPECT_EQ(keys, want);

  // A class not listed weighs 1.
  Metrics n = m;
  add_value_metrics(n, {{"coding", 0}});
  EXPECT_EQ(n.at("value_tokens"), 100);
}

TEST(TokenValue, AgentsWorkValuePerJoulePerTaskAndPerPopulation) {
  // An economy of two populations: the merchant (weight 3) draws 40% of the energy at 6 reference tokens/J and 8 J
  // a task, the consumer (not listed: weight 1) 60% at 9 and 2 J. Value per joule 3 x 6 x 0.4 + 9 x 0.6 = 12.6;
  // 5 J a task: 63 a task; the merchant's 18 per joule and 144 a task, the consumer's 9 and 18.
  Metrics m;
  m.set("tokens_by_class.merchant", 100);
  m.set("tokens_by_class.consumer", 300);
  m.set("energy_j", 50);
  m.set("tokens_per_joule_facility", 0);
  m.set("joules_per_task", 5);
  m.set("reference_tokens_per_joule", 7.8);
  m.set("role.merchant.gpu_share", 0.4);
  m.set("role.merchant.reference_tokens_per_joule", 6);
  m.set("role.merchant.joules_per_task", 8);
  m.set("role.consumer.gpu_share", 0.6);
  m.set("role.consumer.reference_tokens_per_joule", 9);
  m.set("role.consumer.joules_per_task", 2);
  add_value_metrics(m, {{"merchant", 3}});
  EXPECT_DOUBLE_EQ(m.at("value_tokens"), 3 * 100 + 300);
  EXPECT_DOUBLE_EQ(m.at("value_per_joule"), 12.6);
  EXPECT_DOUBLE_EQ(m.at("value_per_task"), 63);
  EXPECT_DOUBLE_EQ(m.at("role.merchant.value_per_joule"), 18);
  EXPECT_DOUBLE_EQ(m.at("role.merchant.value_per_task"), 144);
  EXPECT_DOUBLE_EQ(m.at("role.consumer.value_per_joule"), 9);
  EXPECT_DOUBLE_EQ(m.at("role.consumer.value_per_task"), 18);
  // One class (no populations): the agent class's weight times the reference figure.
  Metrics a;
  a.set("tokens_by_class.agent", 10);
  a.set("energy_j", 5);
  a.set("tokens_per_joule_facility", 0);
  a.set("joules_per_task", 4);
  a.set("reference_tokens_per_joule", 4);  // a token efficiency of 0.5: twice the 2 tokens/J
  add_value_metrics(a, {{"agent", 2}});
  EXPECT_DOUBLE_EQ(a.at("value_tokens_per_joule"), 4);
  EXPECT_DOUBLE_EQ(a.at("value_per_joule"), 8);
  EXPECT_DOUBLE_EQ(a.at("value_per_task"), 32);
  // Serving and pretraining (no tasks): no value of work.
  Metrics s;
  s.set("tokens_by_class.chat", 10);
  s.set("energy_j", 5);
  s.set("tokens_per_joule_facility", 0);
  add_value_metrics(s, {});
  EXPECT_FALSE(s.get("value_per_task").has_value());
}

// --- request classes in the source -----------------------------------------------------------------------------

TEST(RequestClasses, DrawsConvergeToTheSharesAndLengthsFollowTheClass) {
  ServingWorkload w;
  w.arrivals.kind = ArrivalSpec::Kind::offline;
  w.arrivals.requests = 10000;
  w.classes = {fixed_class("chat", 0.6, 100, 10), fixed_class("coding", 0.3, 4000, 300),
               fixed_class("summarise", 0.1, 2000, 50)};
  serving::RequestSource s(w, 11);
  std::array<int, 3> count{0, 0, 0};
  while (auto r = s.next()) {
    ASSERT_GE(r->cls, 0);
    ASSERT_LT(r->cls, 3);
    ++count[static_cast<std::size_t>(r->cls)];
    const RequestClass& c = w.classes[static_cast<std::size_t>(r->cls)];
    EXPECT_EQ(r->input, static_cast<std::int64_t>(c.input.value));
    EXPECT_EQ(r->output, static_cast<std::int64_t>(c.output.value));
  }
  EXPECT_EQ(count[0] + count[1] + count[2], 10000);
  EXPECT_NEAR(count[0] / 10000.0, 0.6, 0.02);
  EXPECT_NEAR(count[1] / 10000.0, 0.3, 0.02);
  EXPECT_NEAR(count[2] / 10000.0, 0.1, 0.02);
}

const char* kOneClass = R"(name: t
hardware: {system: h100-hgx, count: 1}
model: llama3-8b
workload:
  kind: serving
  arrivals: {process: poisson, rate: 20}
  input: {dist: lognormal, median: 400, sigma: 0.8, max: 4096}
  output: {dist: uniform, low: 20, high: 200}
  instance: {count: 2, tp: 1, max_batch: 64, token_budget: 2048}
  duration: 30 s
)";

const char* kOneDeclaredClass = R"(name: t
hardware: {system: h100-hgx, count: 1}
model: llama3-8b
workload:
  kind: serving
  arrivals: {process: poisson, rate: 20}
  classes:
    - name: chat
      share: 1
      input: {dist: lognormal, median: 400, sigma: 0.8, max: 4096}
      output: {dist: uniform, low: 20, high: 200}
  instance: {count: 2, tp: 1, max_batch: 64, token_budget: 2048}
  duration: 30 s
)";

const char* kTwoClasses = R"(name: t
hardware: {system: h100-hgx, count: 1}
model: llama3-8b
workload:
  kind: serving
  arrivals: {process: poisson, rate: 20}
  classes:
    - {name: chat, share: 0.75, input: {dist: lognormal, median: 400, sigma: 0.8, max: 4096}, output: 120}
    - {name: coding, share: 0.25, input: {dist: uniform, low: 6000, high: 8000}, output: 300}
  instance: {count: 2, tp: 1, max_batch: 64, token_budget: 2048}
  duration: 30 s
)";

TEST(RequestClasses, OneDeclaredClassIsBitIdenticalToNone) {
  const RunResult plain = run(scenario(kOneClass));
  const RunResult declared = run(scenario(kOneDeclaredClass));
  EXPECT_EQ(plain.engine.fingerprint, declared.engine.fingerprint);
  EXPECT_EQ(plain.engine.events, declared.engine.events);
  // Every metric of the plain run, bit for bit, in the same order; the declared run adds by_class.* only.
  std::vector<Metric> extra;
  std::size_t i = 0;
  for (const Metric& m : declared.metrics.entries()) {
    if (m.key.starts_with("by_class.")) {
      extra.push_back(m);
      continue;
    }
    ASSERT_LT(i, plain.metrics.entries().size());
    EXPECT_EQ(m.key, plain.metrics.entries()[i].key);
    EXPECT_EQ(m.value, plain.metrics.entries()[i].value) << m.key;
    ++i;
  }
  EXPECT_EQ(i, plain.metrics.entries().size());
  ASSERT_EQ(extra.size(), 4u);
  // One class: its latency percentiles are the whole run's.
  EXPECT_EQ(declared.metrics.at("by_class.chat.ttft_s.p99"), plain.metrics.at("ttft_s.p99"));
  EXPECT_EQ(declared.metrics.at("by_class.chat.tpot_s.p50"), plain.metrics.at("tpot_s.p50"));
  EXPECT_EQ(plain.metrics.at("tokens_by_class.chat"), plain.metrics.at("tokens"));
}

TEST(RequestClasses, DeterministicAndPerClassTokensSumToTheTotal) {
  const app::Scenario s = scenario(kTwoClasses);
  const RunResult a = run(s), b = run(s);
  EXPECT_EQ(a.engine.fingerprint, b.engine.fingerprint);
  ASSERT_EQ(a.metrics.entries().size(), b.metrics.entries().size());
  for (std::size_t i = 0; i < a.metrics.entries().size(); ++i) {
    EXPECT_EQ(a.metrics.entries()[i].value, b.metrics.entries()[i].value) << a.metrics.entries()[i].key;
  }
  const Metrics& m = a.metrics;
  EXPECT_GT(m.at("tokens_by_class.chat"), 0);
  EXPECT_GT(m.at("tokens_by_class.coding"), 0);
  EXPECT_EQ(m.at("tokens_by_class.chat") + m.at("tokens_by_class.coding"), m.at("tokens"));
  // Coding prompts are 15-20x longer: their first token takes longer.
  EXPECT_GT(m.at("by_class.coding.ttft_s.p50"), m.at("by_class.chat.ttft_s.p50"));
  EXPECT_LE(m.at("by_class.chat.ttft_s.p50"), m.at("by_class.chat.ttft_s.p99"));
  // The class draw is its own stream: arrival times are those of the one-class workload, draw for draw.
  serving::RequestSource one(scenario(kOneClass).serving, s.seed), two(s.serving, s.seed);
  int n = 0;
  for (auto x = one.next(), y = two.next(); x || y; x = one.next(), y = two.next(), ++n) {
    ASSERT_TRUE(x && y);
    ASSERT_EQ(x->arrival_s, y->arrival_s) << "request " << n;
  }
  EXPECT_GT(n, 500);
  app::Scenario other = s;
  other.seed = 2;
  EXPECT_NE(run(other).engine.fingerprint, a.engine.fingerprint);
}

TEST(RequestClasses, OfflineClassTokensMatchTheDrawnClassesByHand) {
  // Offline: every token is inside the window, so tokens_by_class = requests of the class x its output length.
  const char* yaml = R"(name: t
hardware: {system: h100-hgx, count: 1, gpus: 1}
model: llama3-8b
workload:
  kind: serving
  arrivals: {process: offline, requests: 200}
  classes:
    - {name: chat, share: 0.8, input: 200, output: 10}
    - {name: coding, share: 0.2, input: 2000, output: 40}
  instance: {count: 1, tp: 1}
token_value: {coding: 2, chat: 0.5}
)";
  const app::Scenario s = scenario(yaml);
  serving::RequestSource src(s.serving, s.seed);
  double chat = 0, coding = 0;
  while (auto r = src.next()) (r->cls == 0 ? chat : coding) += 1;
  ASSERT_EQ(chat + coding, 200);
  const RunResult r = run(s);
  const Metrics& m = r.metrics;
  EXPECT_EQ(m.at("tokens_by_class.chat"), chat * 10);
  EXPECT_EQ(m.at("tokens_by_class.coding"), coding * 40);
  EXPECT_EQ(m.at("tokens"), chat * 10 + coding * 40);
  const double value = 0.5 * chat * 10 + 2 * coding * 40;
  EXPECT_EQ(m.at("value_tokens"), value);
  EXPECT_DOUBLE_EQ(m.at("value_tokens_per_joule"), value / m.at("energy_j"));
  EXPECT_DOUBLE_EQ(m.at("value_tokens_per_joule_facility"), value / m.at("energy_facility_j"));
  // Coding tokens are worth 4x chat tokens here and make up more than 1/5 of them, so value > 0.5 x plain.
  EXPECT_NE(m.at("value_tokens_per_joule"), m.at("tokens_per_joule"));
}

TEST(RequestClasses, TraceClassColumnPicksTheClass) {
  const auto trace = dcsim::testing::unique_temp_path("dcsim_token_classes_trace", ".csv");
  std::ofstream(trace) << "arrival_s,input_tokens,output_tokens,class\n"
                          "0.0,100,10,chat\n0.5,3000,40,coding\n1.0,200,7,chat\n";
  const std::string yaml = "name: t\nhardware: {system: h100-hgx, count: 1, gpus: 1}\nmodel: llama3-8b\n"
                           "workload:\n  kind: serving\n  arrivals: {process: trace, file: " + trace.string() +
                           "}\n  classes:\n    - {name: chat, share: 0.5}\n"
                           "    - {name: coding, share: 0.5}\n"
                           "  instance: {count: 1}\n  duration: 100 s\n";
  const RunResult r = run(scenario(yaml));
  EXPECT_EQ(r.metrics.at("requests"), 3);
  EXPECT_EQ(r.metrics.at("tokens_by_class.chat") + r.metrics.at("tokens_by_class.coding"), r.metrics.at("tokens"));
  EXPECT_GT(r.metrics.at("tokens_by_class.coding"), 0);

  // A class the workload does not declare: an error naming the trace line.
  std::ofstream(trace) << "arrival_s,input_tokens,output_tokens,class\n0.0,100,10,chat\n0.5,3000,40,math\n";
  const std::string err = error_of(yaml);
  EXPECT_NE(err.find(":3: class 'math' is not one of the workload's classes (chat, coding)"), std::string::npos)
      << err;
  std::filesystem::remove(trace);
}

// --- value = plain with every weight 1, for each token workload ------------------------------------------------

TEST(TokenValue, AllWeightsOneEqualsThePlainFigureForEveryTokenWorkload) {
  struct Case {
    std::string file;
    std::string set;
  };
  const std::vector<Case> cases = {
      {"", "token_value.chat=1"},  // kSmall serving below
      {"configs/scenarios/narayanan-1.7b-pretrain-a100-32.yaml", "token_value.training=1"},
      {"configs/scenarios/agents-research-vr-nvl72.yaml", "token_value.agent=1"},
  };
  for (const Case& c : cases) {
    app::Scenario s;
    if (c.file.empty()) {
      s = scenario(kOneClass, {c.set});
    } else {
      s = app::load_scenario({kSource / c.file, {c.set}, {}}, catalog());
    }
    ASSERT_TRUE(s.token_value) << c.file;
    const RunResult r = run(s);
    const Metrics& m = r.metrics;
    EXPECT_EQ(m.at("value_tokens"), m.at("tokens")) << c.file;
    EXPECT_EQ(m.at("value_tokens_per_joule"), m.at("tokens_per_joule")) << c.file;
    EXPECT_EQ(m.at("value_tokens_per_joule_facility"), m.at("tokens_per_joule_facility")) << c.file;
    EXPECT_GT(m.at("value_tokens_per_joule"), 0) << c.file;
  }
}

TEST(TokenValue, AbsentWithoutTokenValue) {
  const RunResult r = run(scenario(kOneClass));
  EXPECT_FALSE(r.metrics.get("value_tokens"));
  EXPECT_TRUE(r.metrics.get("tokens_by_class.chat"));
  EXPECT_FALSE(r.metrics.get("by_class.chat.ttft_s.p50"));  // per-class latency only with declared classes
}

// --- configuration errors ---------------------------------------------------------------------------------------

std::string two_classes_with(const std::string& replace_from, const std::string& replace_to) {
  std::string y = kTwoClasses;
  const auto at = y.find(replace_from);
  if (at != std::string::npos) y.replace(at, replace_from.size(), replace_to);
  return y;
}

TEST(TokenClassErrors, SharesMustSumToOne) {
  const std::string err = error_of(two_classes_with("share: 0.25", "share: 0.15"));
  EXPECT_NE(err.find(":8:5: workload.classes"), std::string::npos) << err;  // the list, at its first item
  EXPECT_NE(err.find("workload.classes"), std::string::npos) << err;
  EXPECT_NE(err.find("shares sum to 0.9; they must sum to 1"), std::string::npos) << err;
  EXPECT_EQ(error_of(two_classes_with("share: 0.25", "share: 0.2500000001")), "");  // within the tolerance
}

TEST(TokenClassErrors, BothInputAndClassesSaysWhichToRemove) {
  const std::string err = error_of(two_classes_with("  classes:\n", "  input: 100\n  classes:\n"));
  EXPECT_NE(err.find("workload.input"), std::string::npos) << err;
  EXPECT_NE(err.find("remove `input`"), std::string::npos) << err;
}

TEST(TokenClassErrors, NamesUniqueAndUsableAsMetricKeys) {
  EXPECT_NE(error_of(two_classes_with("name: coding", "name: chat")).find("class 'chat' is declared twice"),
            std::string::npos);
  EXPECT_NE(error_of(two_classes_with("name: coding", "name: co.ding")).find("letters, digits"), std::string::npos);
}

TEST(TokenClassErrors, TokenValueClassMustBeProduced) {
  const std::string err = error_of(std::string(kTwoClasses) + "token_value: {coding: 3, math: 2}\n");
  EXPECT_NE(err.find("token_value.math"), std::string::npos) << err;
  EXPECT_NE(err.find("no token class 'math'; its classes are: chat, coding"), std::string::npos) << err;
  // A plain serving workload produces "chat" only.
  const std::string plain = error_of(std::string(kOneClass) + "token_value: {coding: 3}\n");
  EXPECT_NE(plain.find("its classes are: chat"), std::string::npos) << plain;
  EXPECT_NE(error_of(std::string(kTwoClasses) + "token_value: {coding: -1}\n").find("token_value.coding"),
            std::string::npos);
  const std::string collective = error_of(
      "name: t\nhardware: {system: h100-hgx, count: 1}\n"
      "workload: {kind: collective, op: all_reduce, bytes: 1 MiB}\ntoken_value: {chat: 1}\n");
  EXPECT_NE(collective.find("produces no tokens"), std::string::npos) << collective;
}

}  // namespace
}  // namespace dcsim::wl
