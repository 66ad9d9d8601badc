// Scenario loading: catalog resolution, overrides, sweeps, and errors that name the line and key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "app/catalog.hpp"
#include "app/config/error.hpp"
#include "app/scenario.hpp"

namespace dcsim::app {
namespace {

Catalog repo_catalog() { return Catalog(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs"); }

class ScenarioFile : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("dcsim_scenario_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".yaml");
    std::ofstream(path_) << text;
    return path_;
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string error_of(const ScenarioRequest& r) {
    try {
      expand_sweep(r, repo_catalog());
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  }
  std::filesystem::path path_;
};

const char* kBase = R"(name: t
hardware:
  system: h100-hgx
  count: 2
workload:
  kind: collective
  op: all_reduce
  bytes: [1 GiB, 1 MiB]
)";

TEST_F(ScenarioFile, ResolvesTheClusterFromTheCatalog) {
  const Scenario s = load_scenario({write(kBase), {}, {}}, repo_catalog());
  EXPECT_EQ(s.name, "t");
  EXPECT_EQ(s.seed, 1u);
  EXPECT_EQ(s.cluster.total_gpus(), 16);
  EXPECT_EQ(s.cluster.gpu.name, "h100-sxm");
  EXPECT_EQ(s.cluster.cpu.name, "x86-host");
  EXPECT_DOUBLE_EQ(s.cluster.scale_out.nic_bandwidth, s.cluster.nic.bandwidth);
  ASSERT_EQ(s.collective.bytes.size(), 2u);
  EXPECT_DOUBLE_EQ(s.collective.bytes[0], 1048576.0);  // sorted ascending
  EXPECT_EQ(s.collective.gpus, 16);
  EXPECT_EQ(s.collective.algorithm, "auto");
}

TEST_F(ScenarioFile, HardwareOverridesAndCpuSwapReachTheSpecs) {
  const auto file = write(std::string(R"(name: t
hardware:
  system: h100-hgx
  cpu: vera
  overrides: {gpu.hbm_bandwidth: 6 TB/s, system.scale_up.bandwidth_per_gpu: 900 GB/s}
workload: {kind: collective, op: all_gather, bytes: 1 GiB}
)"));
  const Scenario s = load_scenario({file, {}, {}}, repo_catalog());
  EXPECT_DOUBLE_EQ(s.cluster.gpu.hbm_bandwidth, 6e12);
  EXPECT_DOUBLE_EQ(s.cluster.system.scale_up.bandwidth_per_gpu, 900e9);
  EXPECT_EQ(s.cluster.cpu.name, "vera");
}

TEST_F(ScenarioFile, SetOverridesAndSeed) {
  const Scenario s = load_scenario({write(kBase), {"workload.algorithm=ring", "seed=9"}, {}}, repo_catalog());
  EXPECT_EQ(s.collective.algorithm, "ring");
  EXPECT_EQ(s.seed, 9u);
  EXPECT_EQ(load_scenario({write(kBase), {"seed=9"}, 3}, repo_catalog()).seed, 3u);  // --seed wins
}

TEST_F(ScenarioFile, SweepIsTheCartesianProductLastAxisFastest) {
  const auto file = write(std::string(kBase) + "sweep:\n  workload.algorithm: [ring, tree]\n  hardware.count: [1, 2, 4]\n");
  const auto points = expand_sweep({file, {}, {}}, repo_catalog());
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(points[0].coordinates[0].second, "ring");
  EXPECT_EQ(points[0].coordinates[1].second, "1");
  EXPECT_EQ(points[1].coordinates[1].second, "2");
  EXPECT_EQ(points[3].coordinates[0].second, "tree");
  EXPECT_EQ(points[5].scenario.cluster.total_gpus(), 32);
  EXPECT_EQ(points[4].scenario.collective.algorithm, "tree");
}

TEST_F(ScenarioFile, SweepPointsAreEachRunWithTheSameHashAndTheSameChecks) {
  // The hash leaves the sweep block out: point 1 (tree, 2 systems) is `run --set` with those values.
  const auto file = write(std::string(kBase) + "sweep:\n  workload.algorithm: [ring, tree]\n  hardware.count: [1, 2]\n");
  const auto points = expand_sweep({file, {}, {}}, repo_catalog());
  ASSERT_EQ(points.size(), 4u);
  const Scenario run = load_scenario({file, {"workload.algorithm=tree", "hardware.count=2"}, {}}, repo_catalog());
  EXPECT_EQ(points[3].scenario.scenario_hash, run.scenario_hash);
  EXPECT_NE(points[2].scenario.scenario_hash, run.scenario_hash);
  // One document serves every point: each point overrides every axis, so no value leaks from the point before.
  EXPECT_EQ(points[2].scenario.cluster.systems, 1);
  EXPECT_EQ(points[2].scenario.collective.algorithm, "tree");
  EXPECT_EQ(points[1].scenario.collective.algorithm, "ring");
}

TEST_F(ScenarioFile, ASweepPointIsCheckedAsIfItWereAloneWhateverThePointsBefore) {
  // One document serves every point: what the poisson point read (its `rate`) must not make `rate` acceptable to
  // the offline point after it. Either order refuses the offline point, as `run --set` would.
  const std::string base = R"(name: t
hardware: {system: h100-hgx, count: 1}
model: llama3-8b
workload:
  kind: serving
  arrivals: {process: poisson, rate: 5, requests: 10}
  input: 128
  output: 16
  instance: {count: 1, tp: 1}
  duration: 2 s
)";
  for (const char* order : {"[poisson, offline]", "[offline, poisson]"}) {
    const auto points = expand_sweep({write(base + "sweep:\n  workload.arrivals.process: " + order + "\n"), {}, {}},
                                     repo_catalog(), true);
    ASSERT_EQ(points.size(), 2u);
    for (const SweepPoint& p : points) {
      const bool offline = p.coordinates[0].second == "offline";
      EXPECT_EQ(p.error.find("key 'rate' does not apply here") != std::string::npos, offline) << order << ": " << p.error;
    }
  }
}

TEST_F(ScenarioFile, CostComesFromTheSystemOrTheFile) {
  // h100-hgx carries InferenceX's $1.30 per GPU-hour; a cost: block replaces it, in one of its two forms.
  EXPECT_DOUBLE_EQ(load_scenario({write(kBase), {}, {}}, repo_catalog()).cost->tco_per_gpu_hour, 1.30);
  const Scenario c = load_scenario({write(std::string(kBase) + "cost: {capex_per_gpu: 30000, life_years: 4, "
                                                               "energy_price_per_kwh: 0.08}\n"),
                                    {}, {}},
                                   repo_catalog());
  EXPECT_DOUBLE_EQ(c.cost->capex_per_gpu, 30000);
  const std::string both = error_of({write(std::string(kBase) + "cost: {tco_per_gpu_hour: 2, life_years: 4}\n"), {}, {}});
  EXPECT_NE(both.find("cost.life_years"), std::string::npos) << both;
  EXPECT_NE(both.find("not both"), std::string::npos) << both;
  // Capital defaults to the system's sourced purchase price per GPU (h100-hgx: DGX H100 ~$270,000 / 8 = $33,750),
  // amortised over InferenceX's 4 years.
  const Scenario d = load_scenario({write(std::string(kBase) + "cost: {energy_price_per_kwh: 0.08}\n"), {}, {}},
                                   repo_catalog());
  EXPECT_DOUBLE_EQ(d.cost->capex_per_gpu, 33750);
  EXPECT_DOUBLE_EQ(d.cost->life_years, 4);
  // A system without a sourced price needs the scenario's.
  std::string h800 = kBase;
  h800.replace(h800.find("h100-hgx"), 8, "h800-hgx");
  const std::string none = error_of({write(h800 + "cost: {energy_price_per_kwh: 0.08}\n"), {}, {}});
  EXPECT_NE(none.find("system h800-hgx has no sourced capex_per_gpu"), std::string::npos) << none;
}

TEST_F(ScenarioFile, UnknownSystemSuggestsTheNearestName) {
  std::string text = kBase;
  text.replace(text.find("h100-hgx"), 8, "h100-hgz");
  const std::string msg = error_of({write(text), {}, {}});
  EXPECT_NE(msg.find(":3:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hardware.system"), std::string::npos) << msg;
  EXPECT_NE(msg.find("h100-hgx"), std::string::npos) << msg;
}

TEST_F(ScenarioFile, BadSweepValueNamesTheSweepKey) {
  const auto file = write(std::string(kBase) + "sweep:\n  hardware.count: [1, -2]\n");
  const std::string msg = error_of({file, {}, {}});
  EXPECT_NE(msg.find("sweep.hardware.count"), std::string::npos) << msg;
  EXPECT_NE(msg.find("-2"), std::string::npos) << msg;
}

TEST_F(ScenarioFile, OverrideOfAnUnknownFieldPointsAtTheOverride) {
  const auto file = write(R"(name: t
hardware:
  system: h100-hgx
  overrides:
    gpu.hbm_bandwith: 6 TB/s
workload: {kind: collective, op: all_reduce, bytes: 1 GiB}
)");
  const std::string msg = error_of({file, {}, {}});
  EXPECT_NE(msg.find("hardware.overrides.gpu.hbm_bandwith"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hbm_bandwidth"), std::string::npos) << msg;  // did you mean
}

TEST_F(ScenarioFile, PartialSystemsOnlyAlone) {
  std::string text = kBase;
  text.replace(text.find("  count: 2"), 10, "  count: 2\n  gpus: 4");
  const std::string msg = error_of({write(text), {}, {}});
  EXPECT_NE(msg.find("hardware.gpus"), std::string::npos) << msg;
}

TEST_F(ScenarioFile, CollectiveGroupCannotExceedTheCluster) {
  const std::string msg = error_of({write(kBase), {"workload.gpus=17"}, {}});
  EXPECT_NE(msg.find("workload.gpus"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--set"), std::string::npos) << msg;
}

TEST(BundledScenarios, EveryOneValidates) {
  const Catalog c = repo_catalog();
  int n = 0;
  for (const auto& file : c.scenario_files()) {
    EXPECT_NO_THROW(expand_sweep({file, {}, {}}, c)) << file;
    ++n;
  }
  EXPECT_GE(n, 7);
}

}  // namespace
}  // namespace dcsim::app
