#include "app/validation/report.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace dcsim::app::validation {
namespace {

// Four significant figures, no exponent for the magnitudes the suite holds (1e-3 .. 1e7).
std::string number(double v) {
  char buf[64];
  const double a = std::abs(v);
  if (a != 0 && (a < 1e-3 || a >= 1e7)) {
    std::snprintf(buf, sizeof buf, "%.3e", v);
  } else if (a >= 1000) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", v);
  }
  return buf;
}

// "+3.4%" for errors, "3.4%" (signed = false) for magnitudes and tolerances.
std::string percent(double e, bool signed_ = true) {
  char buf[32];
  std::snprintf(buf, sizeof buf, signed_ ? "%+.1f%%" : "%.1f%%", 100 * e);
  return buf;
}

std::string published_text(const Case& c) {
  if (c.range) return number(c.range->first) + "-" + number(c.range->second);
  return number(c.published);
}

// Markdown table cells may not hold a '|' or a newline.
std::string cell(std::string s) {
  for (char& ch : s) {
    if (ch == '|') ch = '/';
    if (ch == '\n') ch = ' ';
  }
  return s;
}

std::string summary_line(const GroupSummary& s) {
  const Target t = target_of(s.group, s.role);
  std::ostringstream o;
  o << s.group << " " << role_name(s.role) << ": " << s.cases << " cases, median |error| "
    << percent(s.median_abs_error, false) << ", max " << percent(s.max_abs_error, false) << " (" << s.worst_case
    << "); target median <= " << percent(t.median, false) << ", max <= " << percent(t.max, false) << ": "
    << (s.meets_target() ? "met" : "MISSED");
  return o.str();
}

}  // namespace

std::string format_table(const std::vector<Outcome>& outcomes) {
  std::ostringstream o;
  char line[512];
  std::snprintf(line, sizeof line, "%-44s %-11s %-5s %12s %12s %9s %6s  %s\n", "case", "group", "role", "published",
                "simulated", "error", "tol", "unit");
  o << line;
  for (const Outcome& r : outcomes) {
    std::snprintf(line, sizeof line, "%-44s %-11s %-5s %12s %12s %9s %6s  %s%s\n", r.c.id.c_str(),
                  r.c.group.c_str(), role_name(r.c.role), published_text(r.c).c_str(), number(r.simulated).c_str(),
                  percent(r.error).c_str(), percent(r.c.tolerance, false).c_str(), r.c.unit.c_str(),
                  r.within_tolerance() ? "" : "  OUTSIDE TOLERANCE");
    o << line;
  }
  o << '\n';
  for (const GroupSummary& s : summarize(outcomes)) o << summary_line(s) << '\n';
  return o.str();
}

nlohmann::ordered_json to_json(const std::vector<Outcome>& outcomes, const Suite& suite) {
  nlohmann::ordered_json cases = nlohmann::ordered_json::array();
  for (const Outcome& r : outcomes) {
    nlohmann::ordered_json j = {{"id", r.c.id},
                                {"group", r.c.group},
                                {"role", role_name(r.c.role)},
                                {"source", r.c.source},
                                {"title", r.c.title},
                                {"citation", r.c.citation},
                                {"where", r.c.where},
                                {"configuration", r.c.configuration},
                                {"metric", r.c.metric},
                                {"convention", r.c.convention},
                                {"published", r.c.published},
                                {"unit", r.c.unit},
                                {"simulated", r.simulated},
                                {"error", r.error},
                                {"tolerance", r.c.tolerance},
                                {"within_tolerance", r.within_tolerance()},
                                {"scenario", r.c.scenario},
                                {"set", r.c.sets}};
    if (r.c.range) j["published_range"] = {r.c.range->first, r.c.range->second};
    if (!r.c.miss.empty()) j["miss"] = r.c.miss;
    cases.push_back(std::move(j));
  }
  nlohmann::ordered_json groups = nlohmann::ordered_json::array();
  for (const GroupSummary& s : summarize(outcomes)) {
    const Target t = target_of(s.group, s.role);
    groups.push_back({{"group", s.group},
                      {"role", role_name(s.role)},
                      {"cases", s.cases},
                      {"outside_tolerance", s.outside_tolerance},
                      {"median_abs_error", s.median_abs_error},
                      {"max_abs_error", s.max_abs_error},
                      {"worst_case", s.worst_case},
                      {"target_median", t.median},
                      {"target_max", t.max},
                      {"meets_target", s.meets_target()}});
  }
  nlohmann::ordered_json retired = nlohmann::ordered_json::array();
  for (const Case& c : suite.cases) {
    if (!c.retired.empty()) retired.push_back({{"id", c.id}, {"reason", c.retired}});
  }
  return {{"schema", "dcsim.validation/1"}, {"groups", groups}, {"cases", cases}, {"retired", retired}};
}

std::string format_markdown(const std::vector<Outcome>& outcomes, const Suite& suite) {
  std::ostringstream o;
  o << "| group | role | cases | median \\|error\\| | max \\|error\\| (case) | target | met |\n"
    << "|---|---|---|---|---|---|---|\n";
  for (const GroupSummary& s : summarize(outcomes)) {
    const Target t = target_of(s.group, s.role);
    o << "| " << s.group << " | " << role_name(s.role) << " | " << s.cases << " | "
      << percent(s.median_abs_error, false) << " | " << percent(s.max_abs_error, false) << " (" << s.worst_case
      << ") | median <= " << percent(t.median, false) << ", max <= " << percent(t.max, false) << " | "
      << (s.meets_target() ? "yes" : "**no**") << " |\n";
  }
  for (const std::string& group : kGroups) {
    std::vector<const Outcome*> rows;
    for (const Outcome& r : outcomes) {
      if (r.c.group == group) rows.push_back(&r);
    }
    if (rows.empty()) continue;
    o << "\n### " << group << "\n\n"
      << "| case | role | where in the source | configuration | metric | published | simulated | error | tol |\n"
      << "|---|---|---|---|---|---|---|---|---|\n";
    for (const Outcome* r : rows) {
      o << "| " << r->c.id << " | " << role_name(r->c.role) << " | " << cell(r->c.where) << " | "
        << cell(r->c.configuration) << " | " << cell(r->c.metric) << " | " << published_text(r->c) << " "
        << r->c.unit << " | " << number(r->simulated) << " | "
        << (r->within_tolerance() ? percent(r->error) : "**" + percent(r->error) + "**") << " | "
        << percent(r->c.tolerance, false) << " |\n";
    }
    o << "\nSources:\n\n";
    std::string last;
    for (const Outcome* r : rows) {
      if (r->c.source == last) continue;  // cases of one source are adjacent (file order)
      last = r->c.source;
      o << "- `" << r->c.source << "`: " << cell(r->c.title) << ". " << cell(r->c.citation) << ".\n";
    }
    bool any_miss = false;
    for (const Outcome* r : rows) {
      if (r->c.miss.empty()) continue;
      if (!any_miss) o << "\nErrors explained by mechanism (`miss:`):\n\n";
      any_miss = true;
      o << "- " << r->c.id << " (" << percent(r->error) << "): " << cell(r->c.miss) << "\n";
    }
  }
  bool any_retired = false;
  for (const Case& c : suite.cases) {
    if (c.retired.empty()) continue;
    if (!any_retired) o << "\nRetired cases (kept for the record, not run):\n\n";
    any_retired = true;
    o << "- " << c.id << ": " << cell(c.retired) << '\n';
  }
  return o.str();
}

std::string splice_generated(const std::string& doc, const std::string& generated) {
  const auto begin = doc.find(kDocBegin);
  const auto end = doc.find(kDocEnd);
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    throw std::runtime_error(std::string("docs/validation.md lacks the markers '") + kDocBegin + "' and '" + kDocEnd +
                             "'");
  }
  const auto after_begin = begin + std::string(kDocBegin).size();
  return doc.substr(0, after_begin) + "\n" + generated + doc.substr(end);
}

}  // namespace dcsim::app::validation
