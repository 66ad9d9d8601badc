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
  const std::string head = unit_segment(dotted_key);
  static const std::set<std::string> higher = {"mfu", "hfu", "throughput_rps", "goodput_rps", "slo_attainment",
                                               "algbw_gbs", "busbw_gbs", "tflops_per_gpu", "requests"};
  static const std::set<std::string> lower = {"energy_j", "gpu_stall_fraction", "bubble_fraction", "all_in_kw_per_gpu"};
  const bool utilisation = head.rfind("mfu", 0) == 0 || head.rfind("hfu", 0) == 0;
  if (lower.count(head)) return Direction::lower_is_better;  // before the `_per_` rule: all_in_kw_per_gpu is a cost
  if (higher.count(head) || utilisation || head.find("_per_") != std::string::npos) return Direction::higher_is_better;
  if (lower.count(head) || head.ends_with("_s") || head.find("_fraction") != std::string::npos) {
    return Direction::lower_is_better;
  }
  return Direction::neutral;
}

int Comparison::regressions() const {
  int n = 0;
  for (const auto& c : changes) n += c.regressed ? 1 : 0;
  return n;
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
    if (c.direction == Direction::lower_is_better) c.regressed = c.change_pct > tolerance_pct;
    if (c.direction == Direction::higher_is_better) c.regressed = -c.change_pct > tolerance_pct;
    out.changes.push_back(c);
  }
  for (const auto& [key, value] : next_metrics) {
    if (!base_keys.count(key)) out.added.push_back(key);
  }
  return out;
}

std::string format_comparison(const Comparison& c, double tolerance_pct) {
  std::ostringstream out;
  std::size_t width = 6;
  for (const auto& m : c.changes) width = std::max(width, m.key.size());
  for (const auto& m : c.changes) {
    const char* arrow = m.direction == Direction::higher_is_better  ? "higher is better"
                        : m.direction == Direction::lower_is_better ? "lower is better"
                                                                    : "neutral";
    char line[256];
    if (m.missing) {
      std::snprintf(line, sizeof line, "REGRESSED  %-*s  %.6g -> (missing in NEW)\n", static_cast<int>(width),
                    m.key.c_str(), m.base);
    } else {
      std::snprintf(line, sizeof line, "%-9s  %-*s  %.6g -> %.6g  (%+.2f %%, %s)\n",
                    m.regressed ? "REGRESSED" : "ok", static_cast<int>(width), m.key.c_str(), m.base, m.next,
                    m.change_pct, arrow);
    }
    out << line;
  }
  for (const auto& k : c.added) out << "new        " << k << '\n';
  out << c.regressions() << " regression(s) beyond " << tolerance_pct << " % tolerance\n";
  return out.str();
}

}  // namespace dcsim::app
