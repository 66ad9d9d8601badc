// The validation suite's machinery on hand-made inputs: the case loader's errors, the group statistics, the
// Markdown splice and the Levenberg-Marquardt solver on problems whose minimum is known in closed form.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "app/config/error.hpp"
#include "app/validation/evaluate.hpp"
#include "app/validation/fit.hpp"
#include "app/validation/report.hpp"
#include "app/validation/suite.hpp"
#include "tests/support/temp_path.hpp"

namespace dcsim::app::validation {
namespace {

namespace fs = std::filesystem;

// A scratch suite folder holding one file with the given text.
struct ScratchSuite {
  fs::path dir = testing::unique_temp_path("dcsim_validation", "");
  explicit ScratchSuite(const std::string& text, const std::string& name = "src.yaml") {
    fs::create_directories(dir);
    std::ofstream(dir / name) << text;
  }
  ~ScratchSuite() { fs::remove_all(dir); }
};

const char* kCase = R"(title: t
citation: "paper, Table 1"
group: collectives
cases:
  - id: a
    where: "row 1"
    configuration: "8 GPUs"
    metric: busbw_gbs
    convention: "nccl-tests busbw"
    published: [100, 110]
    unit: GB/s
    scenario: quickstart-allreduce-h100
    set: ["workload.bytes=1 GiB"]
    tolerance: 0.1
    role: check
)";

TEST(ValidationSuite, ReadsACaseWithItsRangeAndCitation) {
  ScratchSuite s(kCase);
  const Suite suite = load_suite(s.dir);
  ASSERT_EQ(suite.cases.size(), 1u);
  const Case& c = suite.cases[0];
  EXPECT_EQ(c.id, "a");
  EXPECT_EQ(c.group, "collectives");
  EXPECT_EQ(c.source, "src");
  EXPECT_EQ(c.citation, "paper, Table 1");
  EXPECT_EQ(c.where, "row 1");
  EXPECT_DOUBLE_EQ(c.published, 105);  // the range's midpoint
  ASSERT_TRUE(c.range);
  EXPECT_DOUBLE_EQ(c.range->second, 110);
  EXPECT_EQ(c.sets, std::vector<std::string>{"workload.bytes=1 GiB"});
  EXPECT_EQ(c.role, Role::check);
  EXPECT_DOUBLE_EQ(c.scale, 1);
}

void expect_error(const std::string& text, const std::string& fragment) {
  ScratchSuite s(text);
  try {
    load_suite(s.dir);
    ADD_FAILURE() << "no error; expected one mentioning " << fragment;
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
    EXPECT_NE(what.find("src.yaml:"), std::string::npos) << what;  // file and line
  }
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

TEST(ValidationSuite, BadCasesAreErrorsNamingFileLineAndKey) {
  expect_error(replaced(kCase, "role: check", "role: tuned"), "role");
  expect_error(replaced(kCase, "group: collectives", "group: kernels"), "group");
  expect_error(replaced(kCase, "tolerance: 0.1", "tolerance: 0.4"), "miss");  // wide tolerance without a reason
  expect_error(replaced(kCase, "unit: GB/s", "unit: GB/s\n    tolerence: 0.1"), "tolerence");
  expect_error(replaced(kCase, "published: [100, 110]", "published: [100, 110, 120]"), "published");
  expect_error(replaced(kCase, "published: [100, 110]", "published: 0"), "published");
  expect_error(std::string(kCase) + "  " + std::string(kCase).substr(std::string(kCase).find("- id: a")), "id");
}

TEST(ValidationSuite, AWideToleranceIsAcceptedWithItsMechanism) {
  ScratchSuite s(replaced(kCase, "tolerance: 0.1", "tolerance: 0.4\n    miss: \"NIC latency not calibrated\""));
  EXPECT_EQ(load_suite(s.dir).cases.at(0).miss, "NIC latency not calibrated");
}

Outcome outcome(const std::string& group, Role role, double error, const std::string& id) {
  Outcome o;
  o.c.group = group;
  o.c.role = role;
  o.c.id = id;
  o.c.tolerance = 0.1;
  o.error = error;
  return o;
}

TEST(ValidationSummary, MedianAndMaxOfAbsoluteErrorsPerGroupAndRole) {
  const std::vector<Outcome> all = {outcome("training", Role::check, 0.02, "a"),
                                    outcome("training", Role::check, -0.30, "b"),
                                    outcome("training", Role::check, 0.05, "c"),
                                    outcome("training", Role::check, -0.08, "d"),
                                    outcome("training", Role::fit, 0.01, "e"),
                                    outcome("collectives", Role::check, 0.04, "f")};
  const auto s = summarize(all);
  ASSERT_EQ(s.size(), 3u);  // collectives check, then training fit, training check
  EXPECT_EQ(s[0].group, "collectives");
  EXPECT_EQ(s[1].role, Role::fit);
  const GroupSummary& t = s[2];
  EXPECT_EQ(t.cases, 4);
  EXPECT_DOUBLE_EQ(t.median_abs_error, (0.05 + 0.08) / 2);  // |errors| 0.02 0.05 0.08 0.30
  EXPECT_DOUBLE_EQ(t.max_abs_error, 0.30);
  EXPECT_EQ(t.worst_case, "b");
  EXPECT_EQ(t.outside_tolerance, 1);
  EXPECT_FALSE(t.meets_target());  // max 30% > 25%
  EXPECT_TRUE(s[0].meets_target());
}

TEST(ValidationReport, SplicesTheGeneratedSectionBetweenItsMarkers) {
  const std::string doc = std::string("intro\n") + kDocBegin + "\nold\n" + kDocEnd + "\noutro\n";
  EXPECT_EQ(splice_generated(doc, "new\n"), std::string("intro\n") + kDocBegin + "\nnew\n" + kDocEnd + "\noutro\n");
  EXPECT_THROW(splice_generated("no markers", "x"), std::runtime_error);
}

TEST(LevenbergMarquardt, RecoversALineFromExactPoints) {
  // r_i = (a x_i + b) / y_i - 1 with y = 3x + 2: the minimum is a = 3, b = 2 with zero cost.
  const std::vector<double> xs = {1, 2, 5, 10};
  auto r = [&](const Eigen::VectorXd& p) {
    Eigen::VectorXd out(4);
    for (int i = 0; i < 4; ++i) out[i] = (p[0] * xs[i] + p[1]) / (3 * xs[i] + 2) - 1;
    return out;
  };
  const LmReport rep = levenberg_marquardt(r, Eigen::Vector2d(1, 1), Eigen::Vector2d(0, 0), Eigen::Vector2d(10, 10),
                                           Eigen::Vector2d(1, 1));
  EXPECT_NEAR(rep.x[0], 3, 1e-6);
  EXPECT_NEAR(rep.x[1], 2, 1e-5);
  EXPECT_LT(rep.cost, 1e-12);
}

Eigen::VectorXd one(double v) { return Eigen::VectorXd::Constant(1, v); }

TEST(LevenbergMarquardt, FindsTheLeastSquaresCompromiseOfInconsistentPoints) {
  // One parameter k against two "measurements" k/2 = 1.1 and k/2 = 0.9 in relative terms: r = (k/2)/m - 1.
  // d/dk [(k/2.2 - 1)^2 + (k/1.8 - 1)^2] = 0  =>  k = (1/2.2 + 1/1.8) / (1/2.2^2 + 1/1.8^2) = 198/101.
  auto r = [](const Eigen::VectorXd& p) { return Eigen::Vector2d(p[0] / 2.2 - 1, p[0] / 1.8 - 1); };
  const LmReport rep = levenberg_marquardt(r, one(1), one(0.1), one(10), one(1));
  EXPECT_NEAR(rep.x[0], 198.0 / 101.0, 1e-6);
}

TEST(LevenbergMarquardt, StaysInsideItsBounds) {
  // The unconstrained minimum (k = 5) lies above the bound 4: the fit stops at the bound.
  auto r = [](const Eigen::VectorXd& p) { return Eigen::Vector2d(p[0] / 5 - 1, p[0] / 5 - 1); };
  const LmReport rep = levenberg_marquardt(r, one(1), one(0.5), one(4), one(1));
  EXPECT_NEAR(rep.x[0], 4, 1e-9);
}

TEST(FitSetText, WritesSiValuesWithTheirUnit) {
  EXPECT_EQ(set_text(9.06e-8, Dimension::time), "9.06e-08 s");
  EXPECT_EQ(set_text(0.8733, Dimension::dimensionless), "0.8733");
  EXPECT_DOUBLE_EQ(parse_quantity(set_text(4.4e-6, Dimension::time), Dimension::time), 4.4e-6);
}

}  // namespace
}  // namespace dcsim::app::validation
