// `dcsim validation` and `dcsim fit`: the front end of the validation suite (docs/validation.md).
#pragma once

#include <string>
#include <vector>

#include "app/validation/suite.hpp"

namespace dcsim::app::validation {

struct ValidationOptions {
  std::string group;      // empty: all
  std::string role;       // empty: both
  std::vector<std::string> case_ids;  // empty: all
  std::string json_path;  // --json PATH|-
  std::string markdown_path;  // --markdown PATH|-: the generated section of docs/validation.md
  std::string update_doc;     // --update-doc PATH: splice the generated section into PATH
};

// Exit 0 when every case ran is within its tolerance, 1 otherwise; bad cases throw (exit 2).
int cmd_validation(const ValidationOptions& o);

// Runs the named fits (all when empty) and prints their values and residuals; exit 0.
int cmd_fit(const std::vector<std::string>& names);

}  // namespace dcsim::app::validation
