// The model catalog: configs/models/<name>.yaml, one model a file, read and checked like a hardware catalog entry
// (unknown keys, ranges, consistency such as heads % kv_heads == 0), and the `dcsim list models` /
// `dcsim show model NAME` output. docs/models.md documents every key.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "app/catalog.hpp"
#include "app/config/node.hpp"
#include "workloads/model.hpp"

namespace dcsim::app {

// One model from a mapping: a catalog file's root or an inline `model:` block of a scenario. `name` is required,
// `kind: model` optional (catalog files carry it; load_model requires it and name == file stem). Calls finish().
wl::ModelSpec parse_model(const ConfigNode& n);

// configs/models/NAME.yaml under catalog.root(). A missing model is a BadInput naming the folder searched.
wl::ModelSpec load_model(const Catalog& catalog, std::string_view name);
std::filesystem::path model_path(const Catalog& catalog, std::string_view name);

// Names of the catalog's models (file stems), sorted.
std::vector<std::string> model_names(const Catalog& catalog);

// `dcsim show model NAME`: architecture, total / active / per-token-FLOP parameters (with the published figures),
// KV bytes per token at bf16 and fp8, training FLOPs per token at sequence length 4096. As a table, or as JSON
// (SI numbers, nested by the dotted keys of the table).
std::string format_model(const wl::ModelSpec& m, bool json);

// "8.03 B", "671 B", "1.81 T", "37.5 M": a count with 3 significant digits.
std::string format_count(double count);

}  // namespace dcsim::app
