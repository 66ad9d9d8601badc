#include "app/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>

#include "app/result_io.hpp"

namespace dcsim::app {
namespace {

void check_schema(const nlohmann::ordered_json& doc, const char* which) {
  if (!doc.is_object() || !doc.contains("schema") || doc["schema"] != kResultSchema) {
    throw std::invalid_argument(std::string(which) + " is not a dcsim result: expected \"schema\": \"" +
                                kResultSchema + "\"");
  }
}

}  // namespace

Direction metric_direction(const std::string& dotted_key) {
  return declared_direction(dotted_key).value_or(Direction::neutral);
}

int Comparison::regressions() const {
  int n = 0;
  for (const auto& c : changes) n += c.regressed ? 1 : 0;
  return n;
}

int Comparison::improvements() const {
  int n = 0;
  for (const auto& c : changes) n += c.improved ? 1 : 0;
  return n;
}

std::vector<std::string> run_mismatches(const nlohmann::ordered_json& base, const nlohmann::ordered_json& next) {
  std::vector<std::string> out;
  const auto text = [](const nlohmann::ordered_json& doc, const char* key, const char* sub = nullptr) -> std::string {
    const nlohmann::ordered_json* v = doc.contains(key) ? &doc[key] : nullptr;
    if (v && sub) v = v->is_object() && v->contains(sub) ? &(*v)[sub] : nullptr;
    if (!v) return "";
    return v->is_string() ? v->get<std::string>() : v->dump();
  };
  for (const char* key : {"scenario", "workload", "system", "seed"}) {
    const std::string a = text(base, key), b = text(next, key);
    if (a != b) out.push_back(std::string(key) + ": " + a + " vs " + b);
  }
  const std::string a = text(base, "provenance", "scenario_hash"), b = text(next, "provenance", "scenario_hash");
  if (!a.empty() && !b.empty() && a != b) out.push_back("scenario_hash: " + a + " vs " + b + " (different settings)");
  return out;
}

Comparison compare_results(const nlohmann::ordered_json& base, const nlohmann::ordered_json& next,
                           double tolerance_pct) {
  check_schema(base, "BASE");
  check_schema(next, "NEW");
  const auto base_metrics = flatten_metrics(base);
  const auto next_metrics = flatten_metrics(next);
  Comparison out;
  std::set<std::string> base_keys;
  for (const auto& [key, base_value] : base_metrics) {
    base_keys.insert(key);
    MetricChange c;
    c.key = key;
    c.base = base_value;
    c.direction = metric_direction(key);
    c.declared = declared_direction(key).has_value();
    auto it = std::find_if(next_metrics.begin(), next_metrics.end(), [&](const auto& kv) { return kv.first == key; });
    if (it == next_metrics.end()) {
      c.missing = true;
      c.regressed = true;
      out.changes.push_back(c);
      continue;
    }
    c.next = it->second;
    const double delta = c.next - c.base;
    if (delta == 0) {
      c.change_pct = 0;
    } else if (c.base == 0) {
      c.change_pct = delta > 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    } else {
      c.change_pct = delta / std::fabs(c.base) * 100.0;
    }
    if (c.direction == Direction::lower_is_better) {
      c.regressed = c.change_pct > tolerance_pct;
      c.improved = -c.change_pct > tolerance_pct;
    }
    if (c.direction == Direction::higher_is_better) {
      c.regressed = -c.change_pct > tolerance_pct;
      c.improved = c.change_pct > tolerance_pct;
    }
    out.changes.push_back(c);
  }
  for (const auto& [key, value] : next_metrics) {
    if (!base_keys.count(key)) out.added.push_back(key);
  }
  return out;
}

std::string format_comparison(const Comparison& c, double tolerance_pct, bool summary) {
  std::ostringstream out;
  std::size_t width = 6;
  for (const auto& m : c.changes) width = std::max(width, m.key.size());
  for (const auto& m : c.changes) {
    if (summary && !m.regressed && !m.improved) continue;
    const char* arrow = !m.declared                                 ? "direction unknown"
                        : m.direction == Direction::higher_is_better  ? "higher is better"
                        : m.direction == Direction::lower_is_better ? "lower is better"
                                                                    : "neutral";
    const char* label = m.regressed ? "REGRESSED" : m.improved ? "improved" : "ok";
    char line[320];
    if (m.missing) {
      std::snprintf(line, sizeof line, "REGRESSED  %-*s  %s -> (missing in NEW)\n", static_cast<int>(width),
                    m.key.c_str(), summary ? format_metric(m.key, m.base).c_str() : std::to_string(m.base).c_str());
    } else if (summary) {
      std::snprintf(line, sizeof line, "%-9s  %-*s  %s -> %s  (%+.2f %%, %s)\n", label, static_cast<int>(width),
                    m.key.c_str(), format_metric(m.key, m.base).c_str(), format_metric(m.key, m.next).c_str(),
                    m.change_pct, arrow);
    } else {
      std::snprintf(line, sizeof line, "%-9s  %-*s  %.6g -> %.6g  (%+.2f %%, %s)\n", label,
                    static_cast<int>(width), m.key.c_str(), m.base, m.next, m.change_pct, arrow);
    }
    out << line;
  }
  if (!summary) {
    for (const auto& k : c.added) out << "new        " << k << '\n';
  }
  out << c.regressions() << " regression(s), " << c.improvements() << " improvement(s) beyond " << tolerance_pct
      << " % tolerance\n";
  return out.str();
}

}  // namespace dcsim::app
