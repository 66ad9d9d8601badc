#include "app/schema_commands.hpp"

#include <iostream>

#include "app/cli.hpp"
#include "app/config/suggest.hpp"
#include "app/errors.hpp"
#include "app/model_catalog.hpp"
#include "app/output_file.hpp"
#include "app/schema/json_schema.hpp"
#include "app/schema/reference.hpp"
#include "app/schema/scenario_keys.hpp"

namespace dcsim::app {

int cmd_schema(const Catalog& catalog, const std::string& format, const std::string& out) {
  const auto names = [&](const std::string& kind) {
    return kind == "model" ? model_names(catalog) : catalog.names(kind);
  };
  std::string text;
  if (format == "markdown") {
    text = schema::reference_markdown(schema::scenario_keys());
  } else if (format == "model-json") {
    text = schema::json_schema_of_section(schema::model_keys(), names).dump(2) + "\n";
  } else {
    text = schema::json_schema(schema::scenario_keys(), names).dump(2) + "\n";
  }
  write_output(out.empty() ? "-" : out, text, "--out");
  return kExitOk;
}

int cmd_explain(const std::string& key) {
  const auto entries = schema::explain(schema::scenario_keys(), key);
  if (entries.empty()) {
    const std::string hint = did_you_mean(key, schema::declared_paths(schema::scenario_keys()));
    throw BadInput("explain: no scenario key '" + key + "'" + (hint.empty() ? "" : " (" + hint + ")") +
                   "; docs/reference.md lists them all");
  }
  for (std::size_t i = 0; i < entries.size(); ++i) std::cout << (i ? "\n" : "") << entries[i];
  return kExitOk;
}

}  // namespace dcsim::app
