// The flow and analytical network models agree on an idle fabric, through the bundled scenario and the catalog as
// a user runs them. The published collective figures are cases of the validation suite (configs/validation/,
// tests/validation/).
#include <gtest/gtest.h>

#include <filesystem>

#include "app/catalog.hpp"
#include "app/runner.hpp"
#include "app/scenario.hpp"

namespace dcsim::app {
namespace {

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
