// `dcsim list` and `dcsim show`: the catalog as tables (figures with their units) or JSON (SI numbers).
#pragma once

#include <string>

#include "app/catalog.hpp"

namespace dcsim::app {

std::string format_list(const Catalog& catalog, const std::string& what);  // what: a Catalog::listable_kinds() entry
std::string format_show(const Catalog& catalog, const std::string& kind, const std::string& name, bool json);

}  // namespace dcsim::app
