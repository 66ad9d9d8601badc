// Scenarios written inline in tests: the YAML goes to a per-process scratch file (ctest runs tests in parallel),
// is loaded against the repository's catalog and the file is removed, also when loading throws.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "app/catalog.hpp"
#include "app/scenario.hpp"
#include "tests/support/temp_path.hpp"

namespace dcsim::testing {

inline app::Catalog repo_catalog() { return app::Catalog(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs"); }

inline app::Scenario scenario_from_text(const std::string& yaml, std::vector<std::string> sets = {},
                                        const std::string& stem = "dcsim_test_scenario") {
  const auto file = unique_temp_path(stem, ".yaml");
  {
    std::ofstream out(file);
    out << yaml;
  }
  try {
    auto s = app::load_scenario({file, std::move(sets), {}}, repo_catalog());
    std::filesystem::remove(file);
    return s;
  } catch (...) {
    std::filesystem::remove(file);
    throw;
  }
}

}  // namespace dcsim::testing
