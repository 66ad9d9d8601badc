// The whole published-figure suite (configs/validation/), run as `dcsim validation` runs it: every active case within
// its tolerance, the fit share of each group within 40%, docs/validation.md's generated tables up to date, and the
// catalog holding what `dcsim fit` finds. Labelled `validation` (Release only: the sanitizer stage skips it).
#include <gtest/gtest.h>

#include <chrono>
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

struct Run {
  std::vector<Outcome> outcomes;
  std::map<std::string, double> wall_s;
};

const Run& run() {
  static const Run r = [] {
    Run out;
    for (const Case& c : suite().active()) {
      const auto t0 = std::chrono::steady_clock::now();
      out.outcomes.push_back(evaluate(c, catalog()));
      out.wall_s[c.id] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    return out;
  }();
  return r;
}

TEST(ValidationSuite, EveryActiveCaseIsWithinItsTolerance) {
  for (const Outcome& o : run().outcomes) {
    EXPECT_TRUE(o.within_tolerance()) << o.c.id << " (" << o.c.location.to_string() << "): simulated " << o.simulated
                                      << " vs published " << o.c.published << " " << o.c.unit << ", error "
                                      << 100 * o.error << "% > tolerance " << 100 * o.c.tolerance << "%";
  }
}

TEST(ValidationSuite, EachCaseRunsInWellUnderASecond) {
  for (const auto& [id, wall] : run().wall_s) EXPECT_LT(wall, 1.0) << id << " took " << wall << " s";
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

TEST(ValidationSuite, TheDocsTablesAreTheSuitesOwn) {
  const fs::path doc = fs::path(DCSIM_SOURCE_DIR) / "docs" / "validation.md";
  std::ifstream in(doc);
  std::stringstream text;
  text << in.rdbuf();
  const std::string expected = splice_generated(text.str(), format_markdown(run().outcomes, suite()));
  EXPECT_TRUE(text.str() == expected)
      << "docs/validation.md is stale: run `build/dcsim validation --update-doc docs/validation.md`";
}

TEST(ValidationFits, TheCatalogHoldsWhatEachFitFinds) {
  const auto fits = load_fits(catalog().root() / "validation" / "fits.yaml", suite());
  ASSERT_FALSE(fits.empty());
  for (const FitSpec& spec : fits) {
    const FitResult result = run_fit(spec, suite(), catalog());
    for (std::size_t j = 0; j < spec.parameters.size(); ++j) {
      const FitParameter& p = spec.parameters[j];
      const auto held = catalog_values(p, catalog());
      for (std::size_t k = 0; k < held.size(); ++k) {
        EXPECT_NEAR(held[k], result.values[j], 0.005 * result.values[j])
            << p.catalog_files[k] << " " << p.catalog_field << ": rerun `dcsim fit " << spec.name << "`";
        // The catalog line names the command that made its value.
        std::ifstream in(catalog().root() / p.catalog_files[k]);
        const std::string key = p.catalog_field.substr(p.catalog_field.rfind('.') + 1) + ":";
        bool cited = false;
        for (std::string line; std::getline(in, line);) {
          if (line.find(key) != std::string::npos) cited = line.find("dcsim fit " + spec.name) != std::string::npos;
          if (cited) break;
        }
        EXPECT_TRUE(cited) << p.catalog_files[k] << ": the " << key << " line should cite `dcsim fit " << spec.name << "`";
      }
    }
    for (const Outcome& r : result.residuals) {
      EXPECT_LE(std::abs(r.error), 0.05) << spec.name << ": fit case " << r.c.id << " at " << 100 * r.error << "%";
    }
  }
}

}  // namespace
}  // namespace dcsim::app::validation
