// Fitting model constants to the `fit` cases of the validation suite, reproducibly (DESIGN.md §9): a fit names
// its cases and its parameters (each a scenario key that overrides a catalog field, e.g.
// hardware.overrides.system.scale_up.collectives.ring_efficiency, and the catalog files that record the value);
// `dcsim fit NAME` minimises the sum of squared relative errors sum_i (simulated_i / published_i - 1)^2 by
// Levenberg-Marquardt (Eigen), with the Jacobian by forward differences through the real simulator, and prints the
// fitted values and the residuals. A test checks that the catalog holds what the fit finds.
#pragma once

#include <functional>
#include <filesystem>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "app/catalog.hpp"
#include "app/config/units.hpp"
#include "app/validation/evaluate.hpp"
#include "app/validation/suite.hpp"

namespace dcsim::app::validation {

struct FitParameter {
  std::string name;          // short, e.g. ring_efficiency
  std::string set_key;       // the scenario key the fitter sets (an override of a catalog field)
  Dimension dimension = Dimension::dimensionless;
  double initial = 1;        // SI, > 0: the search starts here and steps are relative to it
  double low = 0, high = 0;  // SI bounds, low < high
  std::string catalog_field;                 // the field's dotted path inside each catalog file
  std::vector<std::string> catalog_files;    // relative to configs/, e.g. hw/systems/h100-hgx.yaml
};

struct FitSpec {
  std::string name;
  std::string doc;
  std::vector<std::string> cases;  // ids of `fit` cases
  std::vector<FitParameter> parameters;
  SourceLocation location;
};

// Reads configs/validation/fits.yaml; every case it names must exist in `suite`, be active and have role fit, and a
// case may serve one fit only (else ConfigError at the offending key).
std::vector<FitSpec> load_fits(const std::filesystem::path& file, const Suite& suite);

// The text `--set KEY=TEXT` takes for an SI value of this dimension ("9.4e-08 s", "0.873").
std::string set_text(double value_si, Dimension dim);

struct FitResult {
  std::string name;
  std::vector<double> values;        // SI, one per parameter
  std::vector<Outcome> residuals;    // the fit cases at the fitted values
  double cost = 0;                   // sum of squared relative errors
  int iterations = 0;
  int evaluations = 0;               // simulator runs of all cases
};

// Levenberg-Marquardt on r(x) with box bounds (steps are clipped to them), in coordinates scaled by `scale`
// (x_j / scale_j is O(1)). Exposed for tests on functions with known minima.
struct LmReport {
  Eigen::VectorXd x;
  double cost = 0;
  int iterations = 0;
  int evaluations = 0;
};
using Residuals = std::function<Eigen::VectorXd(const Eigen::VectorXd&)>;
LmReport levenberg_marquardt(const Residuals& r, Eigen::VectorXd x0, const Eigen::VectorXd& low,
                             const Eigen::VectorXd& high, const Eigen::VectorXd& scale);

FitResult run_fit(const FitSpec& spec, const Suite& suite, const Catalog& catalog);
std::string format_fit(const FitSpec& spec, const FitResult& result);

// The value each catalog file holds for the parameter now (SI), in catalog_files order.
std::vector<double> catalog_values(const FitParameter& p, const Catalog& catalog);

// The catalog records a fitted value to a few significant digits: within this relative distance it holds the fit.
inline constexpr double kCatalogFitTolerance = 0.005;
struct CatalogDrift {
  std::string file;   // relative to configs/
  std::string field;
  double held = 0;    // SI
  double fitted = 0;  // SI
};
// Every catalog file whose value differs from the fit by more than kCatalogFitTolerance.
std::vector<CatalogDrift> catalog_drift(const FitSpec& spec, const FitResult& result, const Catalog& catalog);

}  // namespace dcsim::app::validation
