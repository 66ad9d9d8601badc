// The validation suite's outputs: the terminal table, the JSON document and the Markdown tables that
// docs/validation.md carries between its generated-section markers (a test fails when the doc is stale).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/validation/evaluate.hpp"

namespace dcsim::app::validation {

std::string format_table(const std::vector<Outcome>& outcomes);
nlohmann::ordered_json to_json(const std::vector<Outcome>& outcomes, const Suite& suite);
// The generated section: a summary table (group, role, cases, median and max |error|, target) and one case table
// per group. Deterministic for a given suite and code (no times, no paths).
std::string format_markdown(const std::vector<Outcome>& outcomes, const Suite& suite);

inline constexpr const char* kDocBegin = "<!-- BEGIN GENERATED: dcsim validation --markdown -->";
inline constexpr const char* kDocEnd = "<!-- END GENERATED -->";
// `doc` with the text between the markers replaced by `generated`; throws std::runtime_error when a marker is absent.
std::string splice_generated(const std::string& doc, const std::string& generated);

}  // namespace dcsim::app::validation
