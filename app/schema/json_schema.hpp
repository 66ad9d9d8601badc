// The declarations as a JSON Schema (draft 2020-12), for editors: a YAML language server given it completes keys
// and catalog names and flags wrong types, unknown keys and out-of-range numbers while a user types. Ranges of
// quantities ("400 Gb/s") are left to dcsim: the schema checks their form (a number and a unit of the right kind).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/schema/schema.hpp"

namespace dcsim::app::schema {

// `catalog_names(kind)`: the names a catalog reference of that kind takes ("system", "gpu", "model", ...).
nlohmann::json json_schema(const SectionPtr& root,
                           const std::function<std::vector<std::string>(const std::string&)>& catalog_names);

// The schema of one section alone (a model catalog file is the `model` section).
nlohmann::json json_schema_of_section(const SectionPtr& section,
                                      const std::function<std::vector<std::string>(const std::string&)>& catalog_names);

}  // namespace dcsim::app::schema
