// The Pareto frontier of a sweep: hand cases for the front itself, the `frontier:` block's checks, and the CSV
// column and stderr listing `dcsim sweep` writes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "app/catalog.hpp"
#include "app/config/error.hpp"
#include "app/errors.hpp"
#include "app/frontier.hpp"
#include "app/scenario.hpp"
#include "app/sweep.hpp"

namespace dcsim::app {
namespace {

TEST(Frontier, ParetoFrontKeepsTheUndominatedPoints) {
  // (1, 9) (2, 8) (2, 5) (3, 3) (1, 2) (3, 3): (2, 5) is beaten by (2, 8), (1, 2) by everything, and the two
  // equal (3, 3) both stay.
  const std::vector<double> x = {1, 2, 2, 3, 1, 3}, y = {9, 8, 5, 3, 2, 3};
  EXPECT_EQ(pareto_front(x, y, true, true), (std::vector<bool>{true, true, false, true, false, true}));
  // Minimizing x instead (latency against throughput): (1, 9) beats everything else.
  EXPECT_EQ(pareto_front(x, y, false, true), (std::vector<bool>{true, false, false, false, false, false}));
  // Both minimized: (1, 2) alone.
  EXPECT_EQ(pareto_front(x, y, false, false), (std::vector<bool>{false, false, false, false, true, false}));
  EXPECT_TRUE(pareto_front({}, {}, true, true).empty());
}

class FrontierScenario : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("dcsim_frontier_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".yaml");
    std::ofstream(path_) << text;
    return path_;
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_;
  Catalog catalog{std::filesystem::path(DCSIM_SOURCE_DIR) / "configs"};
};

const std::string kSweep = R"(name: t
hardware: {system: h100-hgx, count: 1}
workload: {kind: collective, op: all_reduce, bytes: 1 MiB}
sweep:
  workload.bytes: [1 MiB, 64 MiB, 1 GiB]
)";

TEST_F(FrontierScenario, CsvMarksTheFrontierAndTheListingNamesIt) {
  const auto points = expand_sweep({write(kSweep + "frontier: {x: time_s, y: busbw_gbs, x_goal: min}\n"), {}, {}}, catalog);
  ASSERT_EQ(points.size(), 3u);
  std::vector<wl::Metrics> metrics(3);
  const double a[] = {1, 2, 3}, b[] = {5, 4, 6};  // point 2 has the most b; point 0 the least a
  for (int i = 0; i < 3; ++i) {
    metrics[static_cast<std::size_t>(i)].set("time_s", a[i]);
    metrics[static_cast<std::size_t>(i)].set("busbw_gbs", b[i]);
  }
  const std::string csv = sweep_csv(points, metrics);
  // The swept value as written and as an SI number, the frontier mark, then the metrics.
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "point,workload.bytes,workload.bytes_si,frontier,time_s,busbw_gbs");
  EXPECT_NE(csv.find("\n0,1 MiB,1048576,1,1,5\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\n1,64 MiB,67108864,0,2,4\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\n2,1 GiB,1073741824,1,3,6\n"), std::string::npos) << csv;
  const FrontierSpec& spec = *points.front().scenario.frontier;
  const std::string listing = frontier_summary(spec, points, metrics, sweep_frontier(spec, points, metrics));
  EXPECT_NE(listing.find("2 of 3 points"), std::string::npos) << listing;
  EXPECT_LT(listing.find("workload.bytes=1 MiB"), listing.find("workload.bytes=1 GiB")) << listing;
  // A metric the results lack is bad input that names the key and the point.
  metrics[1] = wl::Metrics{};
  metrics[1].set("time_s", 2);
  try {
    (void)sweep_csv(points, metrics);
    FAIL() << "expected BadInput";
  } catch (const BadInput& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("frontier.y"), std::string::npos) << msg;
    EXPECT_NE(msg.find("sweep point 1"), std::string::npos) << msg;
  }
  // A failed point: its row carries the error in the last column and it is never on the frontier, even where its
  // (missing) metrics would have been best.
  const std::vector<std::string> errors = {"", "error: it did not fit", ""};
  std::vector<wl::Metrics> with_failure = metrics;
  with_failure[1] = wl::Metrics{};
  const std::string failed_csv = sweep_csv(points, with_failure, errors);
  EXPECT_EQ(failed_csv.substr(0, failed_csv.find('\n')), "point,workload.bytes,workload.bytes_si,frontier,time_s,busbw_gbs,error");
  EXPECT_NE(failed_csv.find("\n1,64 MiB,67108864,0,,,error: it did not fit\n"), std::string::npos) << failed_csv;
  EXPECT_EQ(sweep_frontier(spec, points, with_failure, errors), (std::vector<bool>{true, false, true}));
  // A value that is not a number cannot be ordered: bad input, not a hang.
  metrics[1].set("busbw_gbs", std::numeric_limits<double>::quiet_NaN());
  EXPECT_THROW((void)sweep_csv(points, metrics), BadInput);
}

TEST_F(FrontierScenario, BlockNeedsASweepAndTwoMetrics) {
  const auto error_of = [&](const std::string& text) -> std::string {
    try {
      (void)expand_sweep({write(text), {}, {}}, catalog);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  };
  const std::string base = R"(name: t
hardware: {system: h100-hgx, count: 1}
workload: {kind: collective, op: all_reduce, bytes: 1 MiB}
)";
  EXPECT_NE(error_of(base + "frontier: {x: time_s, y: busbw_gbs}\n").find("add a `sweep:` block"), std::string::npos);
  EXPECT_NE(error_of(kSweep + "frontier: {x: time_s, y: time_s}\n").find("frontier.y"), std::string::npos);
  // A metric no run reports is found at load, with the nearest name, not after every point has run.
  EXPECT_NE(error_of(kSweep + "frontier: {x: time_s, y: busbw_gb}\n").find("frontier.y: got 'busbw_gb'"),
            std::string::npos);
  EXPECT_NE(error_of(kSweep + "frontier: {x: time_s, y: busbw_gb}\n").find("busbw_gbs"), std::string::npos);
  EXPECT_NE(error_of(kSweep + "frontier: {x: time_s, y: busbw_gbs, x_goal: up}\n").find("frontier.x_goal"), std::string::npos);
}

}  // namespace
}  // namespace dcsim::app

namespace dcsim::app {
namespace {

TEST_F(FrontierScenario, PerSizeColumnsOnlyForPointsThatMeasuredSeveralSizes) {
  // Three points of one size each: their by_size.<bytes>.* repeat the headline, so no per-size column; a point that
  // measured two sizes brings its own (and the other points' cells stay empty where they have no such size).
  const std::string sweep = R"(name: t
hardware: {system: h100-hgx, count: 1}
workload: {kind: collective, op: all_reduce, bytes: 1 MiB}
sweep:
  workload.bytes: [1 MiB, 64 MiB, 1 GiB]
)";
  const auto points = expand_sweep({write(sweep), {}, {}}, catalog);
  ASSERT_EQ(points.size(), 3u);
  std::vector<wl::Metrics> metrics(3);
  const double sizes[] = {1048576, 67108864, 1073741824};
  for (std::size_t i = 0; i < 3; ++i) {
    metrics[i].set("busbw_gbs", 100.0 + static_cast<double>(i));
    metrics[i].set("by_size." + std::to_string(static_cast<long long>(sizes[i])) + ".busbw_gbs", 100.0 + static_cast<double>(i));
  }
  const std::string one = sweep_csv(points, metrics);
  EXPECT_EQ(one.substr(0, one.find('\n')), "point,workload.bytes,workload.bytes_si,busbw_gbs");
  metrics[2].set("by_size.1048576.busbw_gbs", 50);  // point 2 now measured 1 MiB as well
  const std::string two = sweep_csv(points, metrics);
  EXPECT_EQ(two.substr(0, two.find('\n')),
            "point,workload.bytes,workload.bytes_si,busbw_gbs,by_size.1073741824.busbw_gbs,by_size.1048576.busbw_gbs");
  EXPECT_NE(two.find("\n0,1 MiB,1048576,100,,100\n"), std::string::npos) << two;
  EXPECT_NE(two.find("\n2,1 GiB,1073741824,102,102,50\n"), std::string::npos) << two;
}

}  // namespace
}  // namespace dcsim::app
