// The bundled serving scenarios against published figures (docs/validation.md, "## Serving") and the issue-5
// thesis: DeepSeek-R1 disaggregated on one GB200 NVL72 runs its decode pool at low MFU and still gives several
// times the tokens per joule of HGX H100 nodes at the same load and interactivity target.
#include <gtest/gtest.h>

#include <filesystem>

#include "app/catalog.hpp"
#include "app/scenario.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::wl {
namespace {

RunResult run_bundled(const std::string& name) {
  const app::Catalog catalog(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs");
  const app::Scenario s = app::load_scenario({catalog.root() / "scenarios" / (name + ".yaml"), {}, {}}, catalog);
  return run_serving(s.serving, *s.model, s.cluster, s.network == app::NetworkModelKind::flow, nullptr, s.seed);
}

struct Published {
  const char* scenario;
  double tokens_per_s;
  double tolerance;
  bool server;
};

class MlperfLlama2 : public ::testing::TestWithParam<Published> {};

TEST_P(MlperfLlama2, WithinToleranceOfPublished) {
  const Published p = GetParam();
  const RunResult r = run_bundled(p.scenario);
  const double sim = r.metrics.at("tokens_per_s");
  EXPECT_NEAR(sim / p.tokens_per_s, 1.0, p.tolerance) << p.scenario << ": " << sim << " vs " << p.tokens_per_s;
  if (p.server) {
    // MLPerf Server: the published rate is the highest that meets TTFT p99 <= 2 s and TPOT p99 <= 200 ms, so the
    // published run sits at the TTFT limit; dcsim at that rate must not be overloaded (a queue that grows gives
    // TTFT p99 many times the limit), and lands within 5% of the limit.
    EXPECT_LE(r.metrics.at("ttft_s.p99"), 2.0 * 1.05) << p.scenario;
    EXPECT_LE(r.metrics.at("tpot_s.p99"), 0.2) << p.scenario;
  }
}

INSTANTIATE_TEST_SUITE_P(Serving, MlperfLlama2,
                         ::testing::Values(Published{"mlperf-llama2-70b-offline-h200", 32124, 0.15, false},
                                           Published{"mlperf-llama2-70b-server-h200", 29739, 0.15, true},
                                           // B200 (W4A8): dcsim's capacity is 15-18% under the published one;
                                           // the Server scenario runs at the rate `dcsim plan` finds, 32.27 q/s.
                                           Published{"mlperf-llama2-70b-offline-b200", 11264, 0.20, false},
                                           Published{"mlperf-llama2-70b-server-b200", 10755, 0.20, true}));

TEST(ServingThesis, Nvl72DisaggregatedLeadsOnTokensPerJouleAtLowMfu) {
  const RunResult nvl = run_bundled("serve-deepseek-r1-disagg-gb200-nvl72");
  const RunResult h100 = run_bundled("serve-deepseek-r1-h100-hgx");
  // Same load served by both, within the same interactivity target.
  EXPECT_NEAR(nvl.metrics.at("tokens_per_s") / h100.metrics.at("tokens_per_s"), 1.0, 0.05);
  EXPECT_GE(nvl.metrics.at("slo_attainment"), 0.99);
  EXPECT_GE(h100.metrics.at("slo_attainment"), 0.99);
  // The decode pool is memory-bound: low MFU.
  EXPECT_LT(nvl.metrics.at("mfu_decode_pool"), 0.15);
  EXPECT_LT(nvl.metrics.at("mfu"), 0.15);
  // And yet several times the tokens per joule, IT and facility scope, and per MW (InferenceX convention).
  EXPECT_GT(nvl.metrics.at("tokens_per_joule") / h100.metrics.at("tokens_per_joule"), 3.0);
  EXPECT_GT(nvl.metrics.at("tokens_per_s_per_mw") / h100.metrics.at("tokens_per_s_per_mw"), 3.0);
}

}  // namespace
}  // namespace dcsim::wl
