#include "app/validation/fit.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "app/config/node.hpp"

namespace dcsim::app::validation {
namespace {

struct DimensionName {
  const char* name;
  Dimension dim;
  const char* si_unit;  // what set_text appends
};
constexpr DimensionName kDimensions[] = {
    {"dimensionless", Dimension::dimensionless, ""}, {"time", Dimension::time, "s"},
    {"data", Dimension::data, "B"},                  {"data_rate", Dimension::data_rate, "B/s"},
    {"compute_rate", Dimension::compute_rate, "FLOP/s"}, {"power", Dimension::power, "W"},
    {"energy_per_bit", Dimension::energy_per_bit, "J/bit"}};

const DimensionName& info(Dimension d) {
  for (const auto& n : kDimensions) {
    if (n.dim == d) return n;
  }
  return kDimensions[0];
}

Choices dimension_choices() {
  Choices c;
  for (const auto& n : kDimensions) c.push_back(n.name);
  return c;
}

Dimension dimension_of(const std::string& name) {
  for (const auto& n : kDimensions) {
    if (name == n.name) return n.dim;
  }
  return Dimension::dimensionless;
}

double read_value(const ConfigNode& node, Dimension dim) {
  return dim == Dimension::dimensionless ? node.as_number() : node.as_quantity(dim);
}

FitParameter read_parameter(const ConfigNode& p) {
  FitParameter out;
  out.name = p.get_string("name");
  out.set_key = p.get_string("set");
  out.dimension = dimension_of(p.get_enum_or("dimension", dimension_choices(), "dimensionless"));
  const ConfigNode initial = p.child("initial");
  out.initial = read_value(initial, out.dimension);
  if (!(out.initial > 0)) initial.fail_value("a positive starting value (steps are relative to it)");
  const ConfigNode bounds = p.child("bounds");
  const auto b = bounds.items();
  if (b.size() != 2) bounds.fail_value("[low, high]");
  out.low = read_value(b[0], out.dimension);
  out.high = read_value(b[1], out.dimension);
  if (!(out.low < out.high) || out.initial < out.low || out.initial > out.high) {
    bounds.fail_value("low < high, with the initial value between them");
  }
  const ConfigNode catalog = p.child("catalog");
  out.catalog_field = catalog.get_string("field");
  for (const ConfigNode& f : catalog.get_list("files")) out.catalog_files.push_back(f.as_string());
  catalog.finish();
  p.finish();
  return out;
}

}  // namespace

std::string set_text(double value_si, Dimension dim) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", value_si);
  std::string unit = info(dim).si_unit;
  return unit.empty() ? std::string(buf) : std::string(buf) + " " + unit;
}

std::vector<FitSpec> load_fits(const std::filesystem::path& file, const Suite& suite) {
  const ConfigDocument doc = ConfigDocument::load_file(file);
  const ConfigNode root = doc.root();
  std::map<std::string, const Case*> by_id;
  for (const Case& c : suite.cases) by_id[c.id] = &c;
  std::map<std::string, std::string> used_by;

  std::vector<FitSpec> fits;
  for (const ConfigNode& f : root.get_list("fits")) {
    FitSpec spec;
    spec.location = f.location();
    spec.name = f.get_string("name");
    spec.doc = f.get_string("doc");
    for (const ConfigNode& id : f.get_list("cases")) {
      const std::string name = id.as_string();
      const auto it = by_id.find(name);
      if (it == by_id.end()) id.fail_value("the id of a case in configs/validation/");
      if (it->second->role != Role::fit) id.fail_value("a case with role: fit", "check cases never set constants");
      if (!it->second->retired.empty()) id.fail_value("an active case", "this one is retired");
      if (auto [u, fresh] = used_by.emplace(name, spec.name); !fresh) {
        id.fail_value("a case no other fit uses", "fit '" + u->second + "' uses it already");
      }
      spec.cases.push_back(name);
    }
    if (spec.cases.empty()) f.child("cases").fail_value("at least one case");
    for (const ConfigNode& p : f.get_list("parameters")) spec.parameters.push_back(read_parameter(p));
    if (spec.parameters.empty()) f.child("parameters").fail_value("at least one parameter");
    if (spec.parameters.size() > spec.cases.size()) {
      f.child("parameters").fail("more parameters than cases: the fit would be underdetermined");
    }
    f.finish();
    fits.push_back(std::move(spec));
  }
  root.finish();
  doc.finish();
  return fits;
}

LmReport levenberg_marquardt(const Residuals& residuals, Eigen::VectorXd x0, const Eigen::VectorXd& low,
                             const Eigen::VectorXd& high, const Eigen::VectorXd& scale) {
  const Eigen::Index n = x0.size();
  LmReport rep;
  auto clip = [&](Eigen::VectorXd x) { return x.cwiseMax(low).cwiseMin(high); };
  Eigen::VectorXd x = clip(std::move(x0));
  Eigen::VectorXd r = residuals(x);
  ++rep.evaluations;
  double cost = r.squaredNorm();
  double lambda = 1e-3;
  constexpr int kMaxIterations = 100;
  for (rep.iterations = 0; rep.iterations < kMaxIterations; ++rep.iterations) {
    // Jacobian by forward differences, each step 1e-4 of the parameter's scale (backwards at an upper bound).
    Eigen::MatrixXd J(r.size(), n);
    for (Eigen::Index j = 0; j < n; ++j) {
      Eigen::VectorXd xj = x;
      double h = 1e-4 * scale[j];
      if (xj[j] + h > high[j]) h = -h;
      xj[j] += h;
      J.col(j) = (residuals(xj) - r) / h;
      ++rep.evaluations;
    }
    const Eigen::MatrixXd JtJ = J.transpose() * J;
    const Eigen::VectorXd g = J.transpose() * r;
    // Raise the damping until a step lowers the cost; stop when none does or the gain becomes negligible.
    constexpr double kMaxLambda = 1e12;
    bool improved = false, converged = false;
    for (; lambda < kMaxLambda && !improved; lambda *= 10) {
      Eigen::MatrixXd A = JtJ;
      for (Eigen::Index j = 0; j < n; ++j) A(j, j) += lambda * std::max(JtJ(j, j), 1e-12);
      const Eigen::VectorXd candidate = clip(x + A.ldlt().solve(-g));
      const Eigen::VectorXd rc = residuals(candidate);
      ++rep.evaluations;
      const double c = rc.squaredNorm();
      if (c >= cost) continue;
      const double gain = cost - c;
      const double moved = ((candidate - x).array() / scale.array()).matrix().norm();
      converged = gain <= 1e-14 * std::max(c, 1e-30) || moved < 1e-9;
      x = candidate;
      r = rc;
      cost = c;
      improved = true;
    }
    if (!improved || converged) break;
    lambda = std::max(lambda / 100, 1e-12);  // the loop's last *10 included: a successful step relaxes damping 10x
  }
  rep.x = x;
  rep.cost = cost;
  return rep;
}

FitResult run_fit(const FitSpec& spec, const Suite& suite, const Catalog& catalog) {
  std::vector<Case> cases;
  for (const std::string& id : spec.cases) {
    for (const Case& c : suite.cases) {
      if (c.id == id) cases.push_back(c);
    }
  }
  const auto n = static_cast<Eigen::Index>(spec.parameters.size());
  Eigen::VectorXd x0(n), low(n), high(n), scale(n);
  for (Eigen::Index j = 0; j < n; ++j) {
    const FitParameter& p = spec.parameters[static_cast<std::size_t>(j)];
    x0[j] = p.initial;
    low[j] = p.low;
    high[j] = p.high;
    scale[j] = p.initial;
  }
  auto sets_for = [&spec](const Eigen::VectorXd& x) {
    std::vector<std::string> sets;
    for (std::size_t j = 0; j < spec.parameters.size(); ++j) {
      const FitParameter& p = spec.parameters[j];
      sets.push_back(p.set_key + "=" + set_text(x[static_cast<Eigen::Index>(j)], p.dimension));
    }
    return sets;
  };
  int runs = 0;
  auto residuals = [&](const Eigen::VectorXd& x) {
    const auto sets = sets_for(x);
    Eigen::VectorXd r(static_cast<Eigen::Index>(cases.size()));
    for (std::size_t i = 0; i < cases.size(); ++i) {
      r[static_cast<Eigen::Index>(i)] = evaluate(cases[i], catalog, sets).error;
      ++runs;
    }
    return r;
  };
  const LmReport rep = levenberg_marquardt(residuals, x0, low, high, scale);

  FitResult out;
  out.name = spec.name;
  out.values.assign(rep.x.data(), rep.x.data() + rep.x.size());
  const auto sets = sets_for(rep.x);
  for (const Case& c : cases) out.residuals.push_back(evaluate(c, catalog, sets));
  out.cost = rep.cost;
  out.iterations = rep.iterations;
  out.evaluations = runs / static_cast<int>(cases.size());
  return out;
}

std::string format_fit(const FitSpec& spec, const FitResult& result) {
  std::ostringstream o;
  o << "fit " << spec.name << ": " << spec.doc << "\n"
    << "  " << result.iterations << " Levenberg-Marquardt iterations, " << result.evaluations
    << " evaluations of " << spec.cases.size() << " cases, sum of squared relative errors " << result.cost << "\n";
  char line[512];
  for (std::size_t j = 0; j < spec.parameters.size(); ++j) {
    const FitParameter& p = spec.parameters[j];
    std::snprintf(line, sizeof line, "  %-24s = %-14s (%s; catalog field %s)\n", p.name.c_str(),
                  (p.dimension == Dimension::dimensionless ? set_text(result.values[j], p.dimension)
                                                           : format_quantity(result.values[j], p.dimension))
                      .c_str(),
                  p.set_key.c_str(), p.catalog_field.c_str());
    o << line;
  }
  o << "  residuals (simulated / published - 1):\n";
  for (const Outcome& r : result.residuals) {
    std::snprintf(line, sizeof line, "    %-44s published %-12.6g simulated %-12.6g error %+.2f%%\n", r.c.id.c_str(),
                  r.c.published, r.simulated, 100 * r.error);
    o << line;
  }
  return o.str();
}

std::vector<double> catalog_values(const FitParameter& p, const Catalog& catalog) {
  std::vector<double> out;
  for (const std::string& file : p.catalog_files) {
    const ConfigDocument doc = ConfigDocument::load_file(catalog.root() / file);
    std::optional<ConfigNode> node(doc.root());  // emplaced, not assigned (ConfigNode has no assignment)
    std::string rest = p.catalog_field;
    for (auto dot = rest.find('.'); dot != std::string::npos; dot = rest.find('.')) {
      node.emplace(node->child(rest.substr(0, dot)));
      rest = rest.substr(dot + 1);
    }
    out.push_back(p.dimension == Dimension::dimensionless ? node->get_number(rest)
                                                          : node->get_quantity(rest, p.dimension));
  }
  return out;
}

std::vector<CatalogDrift> catalog_drift(const FitSpec& spec, const FitResult& result, const Catalog& catalog) {
  std::vector<CatalogDrift> out;
  for (std::size_t j = 0; j < spec.parameters.size(); ++j) {
    const FitParameter& p = spec.parameters[j];
    const auto held = catalog_values(p, catalog);
    for (std::size_t k = 0; k < held.size(); ++k) {
      if (std::abs(held[k] / result.values[j] - 1) > kCatalogFitTolerance) {
        out.push_back({p.catalog_files[k], p.catalog_field, held[k], result.values[j]});
      }
    }
  }
  return out;
}

}  // namespace dcsim::app::validation
