#include "app/validation/commands.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/catalog.hpp"
#include "app/errors.hpp"
#include "app/output_file.hpp"
#include "app/cli.hpp"
#include "app/validation/evaluate.hpp"
#include "app/validation/fit.hpp"
#include "app/validation/report.hpp"

namespace dcsim::app::validation {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw BadInput("cannot read '" + path + "'");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int cmd_validation(const ValidationOptions& o) {
  check_writable(o.json_path, "--json");
  check_writable(o.markdown_path, "--markdown");
  check_writable(o.update_doc, "--update-doc");
  const Catalog catalog = Catalog::open_default();
  const Suite suite = load_suite(catalog.root() / "validation");
  load_fits(catalog.root() / "validation" / "fits.yaml", suite);  // a broken fit list is a broken suite
  for (const std::string& id : o.case_ids) {
    const bool known = std::any_of(suite.cases.begin(), suite.cases.end(), [&](const Case& c) { return c.id == id; });
    if (!known) throw BadInput("--case " + id + ": no such case in configs/validation/");
  }
  if (!o.update_doc.empty() && (!o.group.empty() || !o.role.empty() || !o.case_ids.empty())) {
    throw BadInput("--update-doc needs the whole suite: drop --group, --role and --case");
  }
  std::vector<Outcome> outcomes;
  for (const Case& c : suite.active()) {
    if (!o.group.empty() && c.group != o.group) continue;
    if (!o.role.empty() && role_name(c.role) != o.role) continue;
    if (!o.case_ids.empty() && std::find(o.case_ids.begin(), o.case_ids.end(), c.id) == o.case_ids.end()) continue;
    outcomes.push_back(evaluate(c, catalog));
  }
  const bool quiet = o.json_path == "-" || o.markdown_path == "-";
  if (!quiet) std::cout << format_table(outcomes);
  try {  // an unwritable output or a doc without its markers is bad input, not an internal error
    if (!o.json_path.empty()) write_output(o.json_path, to_json(outcomes, suite).dump(2) + "\n");
    if (!o.markdown_path.empty()) write_output(o.markdown_path, format_markdown(outcomes, suite));
    if (!o.update_doc.empty()) {
      write_output(o.update_doc, splice_generated(read_text(o.update_doc), format_markdown(outcomes, suite)));
    }
  } catch (const std::runtime_error& e) {
    throw BadInput(e.what());
  }
  const bool all_within = std::all_of(outcomes.begin(), outcomes.end(),
                                      [](const Outcome& r) { return r.within_tolerance(); });
  return all_within ? kExitOk : kExitRegression;
}

int cmd_fit(const std::vector<std::string>& names) {
  const Catalog catalog = Catalog::open_default();
  const Suite suite = load_suite(catalog.root() / "validation");
  const auto fits = load_fits(catalog.root() / "validation" / "fits.yaml", suite);
  for (const std::string& name : names) {
    const bool known = std::any_of(fits.begin(), fits.end(), [&](const FitSpec& f) { return f.name == name; });
    if (!known) throw BadInput("no fit named '" + name + "' in configs/validation/fits.yaml");
  }
  for (const FitSpec& spec : fits) {
    if (!names.empty() && std::find(names.begin(), names.end(), spec.name) == names.end()) continue;
    const FitResult result = run_fit(spec, suite, catalog);
    std::cout << format_fit(spec, result);
    for (const CatalogDrift& d : catalog_drift(spec, result, catalog)) {
      std::cout << "  note: " << d.file << " holds " << d.field << " = " << d.held << " (" << std::showpos
                << 100 * (d.held / d.fitted - 1) << std::noshowpos << "% from the fit): update it\n";
    }
  }
  return kExitOk;
}

}  // namespace dcsim::app::validation
