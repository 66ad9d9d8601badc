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

std::vector<std::string> run_mismatches(const nlohmann::ordered_json& base, const nlohmann::ordered_json& next,
                                        bool ignore_seed) {
  std::vector<std::string> out;
  const auto text = [](const nlohmann::ordered_json& doc, const char* key, const char* sub = nullptr) -> std::string {
    const nlohmann::ordered_json* v = doc.contains(key) ? &doc[key] : nullptr;
    if (v && sub) v = v->is_object() && v->contains(sub) ? &(*v)[sub] : nullptr;
    if (!v) return "";
    return v->is_string() ? v->get<std::string>() : v->dump();
  };
  for (const char* key : {"scenario", "workload", "system", "seed"}) {
    if (ignore_seed && std::string(key) == "seed") continue;
    const std::string a = text(base, key), b = text(next, key);
    if (a != b) out.push_back(std::string(key) + ": " + a + " vs " + b);
  }
  const std::string a = text(base, "provenance", "scenario_hash"), b = text(next, "provenance", "scenario_hash");
  // The hash covers the scenario text; `--seed` varies the seed without touching it (`--set seed=N` would not).
  if (!a.empty() && !b.empty() && a != b) {
    out.push_back("scenario_hash: " + a + " vs " + b + " (different settings)");
  }
  return out;
}

Comparison compare_results(const nlohmann::ordered_json& base, const nlohmann::ordered_json& next,
                           double tolerance_pct) {
  return compare_result_sets({base}, {next}, tolerance_pct);
}

namespace {

struct SideStats {
  double mean = 0, variance = 0;  // sample variance over the side's results (0 with one)
  std::size_t n = 0;
  bool present = true;  // in every result of the side
};

SideStats side_stats(const std::vector<std::vector<std::pair<std::string, double>>>& side, const std::string& key) {
  SideStats s;
  std::vector<double> values;
  for (const auto& metrics : side) {
    auto it = std::find_if(metrics.begin(), metrics.end(), [&](const auto& kv) { return kv.first == key; });
    if (it == metrics.end()) {
      s.present = false;
      continue;
    }
    values.push_back(it->second);
  }
  s.n = values.size();
  if (values.empty()) return s;
  for (double v : values) s.mean += v / static_cast<double>(values.size());
  if (values.size() > 1) {
    for (double v : values) s.variance += (v - s.mean) * (v - s.mean) / static_cast<double>(values.size() - 1);
  }
  return s;
}

}  // namespace

Comparison compare_result_sets(const std::vector<nlohmann::ordered_json>& bases,
                               const std::vector<nlohmann::ordered_json>& nexts, double tolerance_pct) {
  if (bases.empty() || nexts.empty()) throw std::invalid_argument("compare needs at least one BASE and one NEW result");
  std::vector<std::vector<std::pair<std::string, double>>> base_side, next_side;
  for (const auto& b : bases) {
    check_schema(b, "BASE");
    base_side.push_back(flatten_metrics(b));
  }
  for (const auto& n : nexts) {
    check_schema(n, "NEW");
    next_side.push_back(flatten_metrics(n));
  }
  Comparison out;
  std::set<std::string> base_keys;
  for (const auto& [key, first_value] : base_side.front()) {
    base_keys.insert(key);
    MetricChange c;
    c.key = key;
    c.direction = metric_direction(key);
    c.declared = declared_direction(key).has_value();
    const SideStats b = side_stats(base_side, key), n = side_stats(next_side, key);
    c.base = b.mean;
    if (!n.present) {
      c.missing = true;
      c.regressed = true;
      out.changes.push_back(c);
      continue;
    }
    c.next = n.mean;
    const double delta = c.next - c.base;
    if (delta == 0) {
      c.change_pct = 0;
    } else if (c.base == 0) {
      c.change_pct = delta > 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    } else {
      c.change_pct = delta / std::fabs(c.base) * 100.0;
    }
    // Two standard errors of the difference of the means: changes inside it are seed-to-seed noise.
    const double se = std::sqrt(b.variance / static_cast<double>(b.n) + n.variance / static_cast<double>(n.n));
    c.spread_pct = c.base != 0 ? 2 * se / std::fabs(c.base) * 100.0 : 0.0;
    const double band = std::max(tolerance_pct, c.spread_pct);
    if (c.direction == Direction::lower_is_better) {
      c.regressed = c.change_pct > band;
      c.improved = -c.change_pct > band;
    }
    if (c.direction == Direction::higher_is_better) {
      c.regressed = -c.change_pct > band;
      c.improved = c.change_pct > band;
    }
    out.changes.push_back(c);
  }
  for (const auto& [key, value] : next_side.front()) {
    if (!base_keys.count(key)) out.added.push_back(key);
  }
  return out;
}

namespace {
// " +/- 1.20 % seed spread" when the sides had several seeds and the metric varied.
std::string spread_text(const MetricChange& m) {
  if (m.spread_pct <= 0) return "";
  char buf[48];
  std::snprintf(buf, sizeof buf, " +/- %.2f %% seed spread", m.spread_pct);
  return buf;
}
}  // namespace

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
      std::snprintf(line, sizeof line, "%-9s  %-*s  %s -> %s  (%+.2f %%%s, %s)\n", label, static_cast<int>(width),
                    m.key.c_str(), format_metric(m.key, m.base).c_str(), format_metric(m.key, m.next).c_str(),
                    m.change_pct, spread_text(m).c_str(), arrow);
    } else {
      std::snprintf(line, sizeof line, "%-9s  %-*s  %.6g -> %.6g  (%+.2f %%%s, %s)\n", label,
                    static_cast<int>(width), m.key.c_str(), m.base, m.next, m.change_pct, spread_text(m).c_str(), arrow);
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
