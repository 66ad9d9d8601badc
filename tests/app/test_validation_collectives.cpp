// End-to-end validation of the collective model through the bundled calibration scenarios and the catalog, as a
// user runs them (docs/validation.md, "Collectives"). Published figures: ../shared/calibration/microbench.yaml.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>

#include "app/catalog.hpp"
#include "app/runner.hpp"
#include "app/scenario.hpp"

namespace dcsim::app {
namespace {

double run_metric(const std::string& scenario, const std::string& metric) {
  const Catalog catalog(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs");
  const Scenario s = load_scenario({catalog.root() / "scenarios" / (scenario + ".yaml"), {}, {}}, catalog);
  RunArtifacts artifacts;
  return run_scenario(s, artifacts).metrics.at(metric);
}

struct Row {
  const char* scenario;
  const char* metric;
  double published;
  double tolerance;  // relative
};

class CollectiveValidation : public ::testing::TestWithParam<Row> {};

TEST_P(CollectiveValidation, WithinTolerance) {
  const Row r = GetParam();
  const double sim = run_metric(r.scenario, r.metric);
  EXPECT_NEAR(sim, r.published, r.published * r.tolerance)
      << r.scenario << ": simulated " << sim << " vs published " << r.published;
}

INSTANTIATE_TEST_SUITE_P(
    Microbench, CollectiveValidation,
    ::testing::Values(Row{"calib-allreduce-h100-hgx-ring", "busbw_gbs", 367, 0.02},     // stas00 ml-engineering
                      Row{"calib-allreduce-h100-hgx-nvls", "busbw_gbs", 477.5, 0.05},   // 473-482
                      Row{"calib-allreduce-b200-hgx-ring", "busbw_gbs", 688.5, 0.02},   // 682-695
                      Row{"calib-allreduce-b200-hgx-nvls", "busbw_gbs", 842, 0.05},     // 838-846
                      Row{"calib-allreduce-latency-h200", "time_s", 18e-6, 0.05}),     // 32 KiB, ~18 us
    [](const ::testing::TestParamInfo<Row>& row_info) {
      std::string name = row_info.param.scenario;
      for (char& ch : name) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      return name;
    });

TEST(CollectiveValidation, FlowAndAnalyticalAgreeOnAnIdleMultiNodeNetwork) {
  const Catalog catalog(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs");
  const auto file = catalog.root() / "scenarios" / "allreduce-128gpu-h100-flow.yaml";
  for (const char* algo : {"ring", "hierarchical", "tree", "auto"}) {
    RunArtifacts a;
    const double flow = run_scenario(load_scenario({file, {std::string("workload.algorithm=") + algo}, {}}, catalog), a)
                            .metrics.at("busbw_gbs");
    const double analytical =
        run_scenario(load_scenario({file, {std::string("workload.algorithm=") + algo, "network.model=analytical"}, {}},
                                   catalog),
                     a)
            .metrics.at("busbw_gbs");
    EXPECT_NEAR(flow, analytical, 0.01 * analytical) << algo;
  }
}

}  // namespace
}  // namespace dcsim::app
