// `dcsim schema` (the scenario format as a JSON Schema for editors, or as docs/reference.md) and `dcsim explain KEY`
// (one key's declaration): both print app/schema's declarations.
#pragma once

#include <string>

#include "app/catalog.hpp"

namespace dcsim::app {

// format: "json" (the scenario's schema), "model-json" (a model catalog file's), or "markdown" (docs/reference.md).
// `out`: a path, or "-" / empty for stdout.
int cmd_schema(const Catalog& catalog, const std::string& format, const std::string& out);

// Prints every declaration of the dotted key; unknown keys are bad input with a did-you-mean.
int cmd_explain(const std::string& key);

}  // namespace dcsim::app
