// The whole published-figure suite (configs/validation/), run as `dcsim validation` runs it: every active case within
// its tolerance, the fit share of each group within 40%, docs/validation.md's generated tables up to date, and the
// catalog holding what `dcsim fit` finds. Labelled `validation` (Release only: the sanitizer stage skips it).
#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "app/catalog.hpp"
#include "app/validation/evaluate.hpp"
#include "app/validation/fit.hpp"
#include "app/validation/report.hpp"
#include "app/validation/suite.hpp"

namespace dcsim::app::validation {
namespace {

namespace fs = std::filesystem;

const Catalog& catalog() {
  static const Catalog c(fs::path(DCSIM_SOURCE_DIR) / "configs");
  return c;
}

const Suite& suite() {
  static const Suite s = load_suite(catalog().root() / "validation");
  return s;
}

// Each simulation under a second of processor time; a plan case is a search of about eight of them (MLPerf Server),
// so 4 s; an agents case runs a whole population (128 tasks of ~49 LLM calls on the serving engine, ~1M steps:
// 0.8-1.25 s on the 2-core CI class, whose speed varies by half with its neighbours' load), so 2 s.
double budget_s(const Case& c) { return c.plan ? 4.0 : c.group == "agents" ? 2.0 : 1.0; }

struct Run {
  std::vector<Outcome> outcomes;
  std::map<std::string, double> cpu_s;  // processor seconds per case
};

const Run& run() {
  static const Run r = [] {
    Run out;
    for (const Case& c : suite().active()) {
      // Processor time, not wall time: ctest runs other tests beside this one on a 2-core CI machine, and their
      // load must not count against a case (the suite is RUN_SERIAL, but the machine's neighbours still slow it). A
      // case over its budget is timed up to twice more and the shortest taken (the run is deterministic, so only the
      // clock moves).
      const auto timed = [&] {
        const std::clock_t t0 = std::clock();
        Outcome o = evaluate(c, catalog());
        return std::pair{std::move(o), static_cast<double>(std::clock() - t0) / CLOCKS_PER_SEC};
      };
      auto [outcome, seconds] = timed();
      for (int retry = 0; retry < 2 && seconds >= budget_s(c); ++retry) seconds = std::min(seconds, timed().second);
      out.outcomes.push_back(std::move(outcome));
      out.cpu_s[c.id] = seconds;
    }
    return out;
  }();
  return r;
}

// One test runs the suite once (ctest runs each test in a process of its own, so separate tests would run it
// once each): every case within its tolerance and fast, and docs/validation.md's tables its own.
TEST(ValidationSuite, EveryCaseIsWithinItsToleranceFastAndAsTheDocsSay) {
  for (const Outcome& o : run().outcomes) {
    EXPECT_TRUE(o.within_tolerance()) << o.c.id << " (" << o.c.location.to_string() << "): simulated " << o.simulated
                                      << " vs published " << o.c.published << " " << o.c.unit << ", error "
                                      << 100 * o.error << "% > tolerance " << 100 * o.c.tolerance << "%";
  }
  // Each case within budget_s: a simulation 1 s, a plan case 4 s, an agents case 2 s.
  for (const Case& c : suite().active()) {
    const double cpu = run().cpu_s.at(c.id), limit = budget_s(c);
    EXPECT_LT(cpu, limit) << c.id << " took " << cpu << " s of processor time";
  }

  const fs::path doc = fs::path(DCSIM_SOURCE_DIR) / "docs" / "validation.md";
  std::ifstream in(doc);
  std::stringstream text;
  text << in.rdbuf();
  const std::string expected = splice_generated(text.str(), format_markdown(run().outcomes, suite()));
  EXPECT_TRUE(text.str() == expected)
      << "docs/validation.md is stale: run `build/dcsim validation --update-doc docs/validation.md`";
}

TEST(ValidationSuite, AtMostFortyPercentOfEachGroupIsFit) {
  std::map<std::string, std::pair<int, int>> fit_and_all;
  for (const Case& c : suite().active()) {
    auto& [fit, all] = fit_and_all[c.group];
    fit += c.role == Role::fit;
    ++all;
  }
  for (const std::string& group : kGroups) {
    const auto [fit, all] = fit_and_all[group];
    EXPECT_GT(all, 0) << group << " has no case";
    EXPECT_LE(fit, 0.4 * all) << group << ": " << fit << " fit cases of " << all;
  }
}

TEST(ValidationSuite, HoldsAtLeastEightyPublishedFigures) { EXPECT_GE(suite().active().size(), 80u); }

TEST(ValidationFits, TheCatalogHoldsWhatEachFitFinds) {
  const auto fits = load_fits(catalog().root() / "validation" / "fits.yaml", suite());
  ASSERT_FALSE(fits.empty());
  for (const FitSpec& spec : fits) {
    const FitResult result = run_fit(spec, suite(), catalog());
    for (const CatalogDrift& d : catalog_drift(spec, result, catalog())) {
      ADD_FAILURE() << d.file << " " << d.field << " holds " << d.held << ", the fit finds " << d.fitted
                    << ": rerun `dcsim fit " << spec.name << "`";
    }
    for (const FitParameter& p : spec.parameters) {
      for (const std::string& file : p.catalog_files) {  // the catalog line names the command that made its value
        std::ifstream in(catalog().root() / file);
        const std::string key = p.catalog_field.substr(p.catalog_field.rfind('.') + 1) + ":";
        bool cited = false;
        for (std::string line; std::getline(in, line);) {
          if (line.find(key) != std::string::npos) {
            cited = line.find("dcsim fit " + spec.name) != std::string::npos;
            break;
          }
        }
        EXPECT_TRUE(cited) << file << ": the " << key << " line should cite `dcsim fit " << spec.name << "`";
      }
    }
    for (const Outcome& r : result.residuals) {
      EXPECT_LE(std::abs(r.error), kFitTarget) << spec.name << ": fit case " << r.c.id << " at " << 100 * r.error << "%";
    }
  }
}

}  // namespace
}  // namespace dcsim::app::validation
