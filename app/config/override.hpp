// Overrides: `--set dotted.key=value` on the command line, sweep points, and catalog overrides. An override only
// edits the tree; the normal reader validates the result, so an overridden value gets exactly the checks a value in
// the file gets, and its errors name the override ("--set workload.bytes=1 GHz: workload.bytes: got ...").
#pragma once

#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "app/config/node.hpp"

namespace dcsim::app {

// `assignment` is "KEY=VALUE", split at the first '='. KEY is a dotted path of mapping keys; missing mappings on
// the way are created. VALUE is read as YAML flow ("7", "1 GiB", "[1 MiB, 1 GiB]", "{model: flow}"). Errors
// (ConfigError, located at the assignment): no '=', an empty key or key segment, an empty value, a YAML error in
// the value, a list index in the path (lists are replaced whole), or a path through a value that is not a mapping.
void apply_override(ConfigDocument& doc, std::string_view assignment);

// The same with a value already parsed. `origin` is what errors on the new subtree say instead of a file position
// (e.g. "sweep point 3: workload.bytes=1 MiB"). A key of an existing mapping that itself contains dots
// (hardware.overrides has "gpu.hbm_bandwidth") is matched whole before the path is split further.
void apply_override(ConfigDocument& doc, std::string_view dotted_key, const YAML::Node& value, std::string origin);

}  // namespace dcsim::app
