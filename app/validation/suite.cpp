#include "app/validation/suite.hpp"

#include <algorithm>
#include <map>

#include "app/config/node.hpp"

namespace dcsim::app::validation {
namespace fs = std::filesystem;

const char* role_name(Role r) { return r == Role::fit ? "fit" : "check"; }

std::vector<Case> Suite::active() const {
  std::vector<Case> out;
  for (const Case& c : cases) {
    if (c.retired.empty()) out.push_back(c);
  }
  return out;
}

namespace {

void read_published(const ConfigNode& node, Case& c) {
  const ConfigNode p = node.child("published");
  if (p.is_sequence()) {
    const auto items = p.items();
    if (items.size() != 2) p.fail_value("a value or a [low, high] range");
    const double low = items[0].as_number(1e-300);
    const double high = items[1].as_number(low);
    c.range = {low, high};
    c.published = 0.5 * (low + high);
  } else {
    c.published = p.as_number(1e-300);
  }
}

Case read_case(const ConfigNode& node, const std::string& group, const std::string& source,
               const std::string& title, const std::string& citation) {
  Case c;
  c.location = node.location();
  c.id = node.get_string("id");
  if (c.id.empty() || c.id.find_first_of(" \t|") != std::string::npos) {
    node.child("id").fail_value("a non-empty id without spaces or '|'");
  }
  c.group = group;
  c.source = source;
  c.title = title;
  c.citation = citation;
  c.where = node.get_string("where");
  c.configuration = node.get_string("configuration");
  c.metric = node.get_string("metric");
  c.convention = node.get_string("convention");
  read_published(node, c);
  c.unit = node.get_string("unit");
  c.scale = node.get_number_or("scale", 1.0, 1e-300);
  c.scenario = node.get_string("scenario");
  if (auto sets = node.optional_child("set")) {
    for (const ConfigNode& s : sets->items()) c.sets.push_back(s.as_string());
  }
  c.plan = node.get_bool_or("plan", false);
  c.tolerance = node.get_number("tolerance", 1e-6, 5.0);
  c.role = node.get_enum("role", {"fit", "check"}) == "fit" ? Role::fit : Role::check;
  c.miss = node.get_string_or("miss", "");
  if (c.tolerance > kCheckMaxTarget && c.miss.empty()) {
    node.child("tolerance").fail_value("at most " + std::to_string(kCheckMaxTarget).substr(0, 4),
                                       "a wider tolerance needs a `miss:` that names the mechanism behind the error");
  }
  c.retired = node.get_string_or("retired", "");
  node.finish();
  return c;
}

}  // namespace

Suite load_suite(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const fs::path& p = entry.path();
    if (entry.is_regular_file() && p.extension() == ".yaml" && p.filename() != "fits.yaml") files.push_back(p);
  }
  std::sort(files.begin(), files.end());

  Suite suite;
  std::map<std::string, SourceLocation> seen;
  for (const fs::path& file : files) {
    const ConfigDocument doc = ConfigDocument::load_file(file);
    const ConfigNode root = doc.root();
    const std::string group = root.get_enum("group", kGroups);
    const std::string citation = root.get_string("citation");
    const std::string title = root.get_string("title");
    for (const ConfigNode& item : root.get_list("cases")) {
      Case c = read_case(item, group, file.stem().string(), title, citation);
      if (auto [it, fresh] = seen.emplace(c.id, c.location); !fresh) {
        item.child("id").fail_value("an id not used before", "also at " + it->second.to_string());
      }
      suite.cases.push_back(std::move(c));
    }
    root.finish();
    doc.finish();
  }
  return suite;
}

}  // namespace dcsim::app::validation
