#include "app/result_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <utility>

namespace dcsim::app {
namespace {

void flatten(const nlohmann::ordered_json& node, const std::string& prefix,
             std::vector<std::pair<std::string, double>>& out) {
  for (const auto& [k, v] : node.items()) {
    const std::string key = prefix.empty() ? k : prefix + "." + k;
    if (v.is_object()) {
      flatten(v, key, out);
    } else if (v.is_number()) {
      out.emplace_back(key, v.get<double>());
    }
  }
}

// "a.b.c" split at `sep` ("." -> {"a", "b", "c"}).
std::vector<std::string> split(const std::string& text, const std::string& sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (auto at = text.find(sep); at != std::string::npos; at = text.find(sep, start)) {
    parts.push_back(text.substr(start, at - start));
    start = at + sep.size();
  }
  parts.push_back(text.substr(start));
  return parts;
}

std::string with_prefix(double value, const char* unit, double base = 1000.0) {
  static const char* const up[] = {"", "k", "M", "G", "T", "P", "E"};
  static const char* const down[] = {"", "m", "u", "n", "p"};
  char buf[64];
  if (value == 0 || !std::isfinite(value)) {
    std::snprintf(buf, sizeof buf, "%g %s", value, unit);
    return buf;
  }
  double v = value;
  int i = 0;
  if (std::fabs(v) >= base) {
    while (std::fabs(v) >= base && i < 6) { v /= base; ++i; }
    std::snprintf(buf, sizeof buf, "%.4g %s%s", v, up[i], unit);
  } else {
    while (std::fabs(v) < 1.0 && i < 4) { v *= base; ++i; }
    std::snprintf(buf, sizeof buf, "%.4g %s%s", v, down[i], unit);
  }
  return buf;
}

}  // namespace

std::string unit_segment(const std::string& key) {
  // The segment that carries the unit: "by_size.1024.busbw_gbs" -> "busbw_gbs", "ttft_s.p99" -> "ttft_s".
  static const char* const suffixes[] = {"_s", "_gbs", "_j", "_w", "_bytes", "_fraction", "mfu", "hfu", "_rps", "_usd"};
  const std::vector<std::string> segments = split(key, ".");
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    if (it->find("_per_") != std::string::npos || it->rfind("mfu", 0) == 0 || it->rfind("hfu", 0) == 0 ||
        it->find("_fraction") != std::string::npos) {
      return *it;
    }
    for (const char* suffix : suffixes) {
      if (it->ends_with(suffix)) return *it;
    }
  }
  return segments.front();
}

void insert_dotted(nlohmann::ordered_json& root, const std::string& key, nlohmann::ordered_json value) {
  nlohmann::ordered_json* node = &root;
  std::size_t start = 0;
  while (true) {
    const auto dot = key.find('.', start);
    if (dot == std::string::npos) {
      (*node)[key.substr(start)] = std::move(value);
      return;
    }
    node = &(*node)[key.substr(start, dot - start)];
    start = dot + 1;
  }
}

nlohmann::ordered_json result_to_json(const RunIdentity& id, const wl::RunResult& result) {
  nlohmann::ordered_json doc;
  doc["schema"] = kResultSchema;
  doc["scenario"] = id.scenario;
  doc["seed"] = id.seed;
  doc["workload"] = id.workload;
  doc["system"] = id.system;
  doc["provenance"] = {{"dcsim_version", kDcsimVersion}, {"commit", kDcsimCommit}, {"scenario_hash", id.scenario_hash}};
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  for (const auto& m : result.metrics.entries()) insert_dotted(metrics, m.key, m.value);
  doc["metrics"] = std::move(metrics);
  nlohmann::ordered_json info = nlohmann::ordered_json::object();
  for (const auto& [k, v] : result.info) info[k] = v;
  doc["info"] = std::move(info);
  // The fingerprint as 16 hex digits: it is a 64-bit value above 2^53, which JSON readers keep as a double and
  // round.
  char fingerprint[17];
  std::snprintf(fingerprint, sizeof fingerprint, "%016llx", static_cast<unsigned long long>(result.engine.fingerprint));
  doc["engine"] = {{"events", result.engine.events},
                   {"wall_s", result.engine.wall_s},
                   {"fingerprint", fingerprint}};
  return doc;
}

std::vector<std::pair<std::string, double>> flatten_metrics(const nlohmann::ordered_json& result) {
  std::vector<std::pair<std::string, double>> out;
  if (result.contains("metrics") && result["metrics"].is_object()) flatten(result["metrics"], "", out);
  return out;
}

namespace {

// A fraction of one (shown as a percentage): utilisations, shares, hit rates, occupancies, MFU.
bool is_fraction(const std::string& head) {
  return head.rfind("mfu", 0) == 0 || head.rfind("hfu", 0) == 0 || head.find("_fraction") != std::string::npos ||
         head == "slo_attainment" || head.find("utilization") != std::string::npos ||
         head.find("occupancy") != std::string::npos || head.ends_with("hit_rate");
}

// The unit of a rate named "<what>_per_<unit>[_per_<unit>]": tokens_per_s_per_gpu -> "tokens/s/GPU".
std::string rate_unit(const std::string& head) {
  static const std::pair<const char*, const char*> kWhat[] = {
      {"tokens", "tokens"}, {"input_tokens", "tokens"}, {"value_tokens", "tokens"}, {"tflops", "TFLOP/s"},
      {"hw_tflops", "TFLOP/s"}, {"tasks", "tasks"}, {"agents", "agents"}, {"all_in_kw", "kW"}};
  static const std::pair<const char*, const char*> kPer[] = {
      {"s", "s"}, {"joule", "J"}, {"joule_facility", "J at the facility"}, {"gpu", "GPU"}, {"user", "user"},
      {"mw", "MW"}, {"call", "call"}, {"task", "task"}};
  const std::vector<std::string> parts = split(head, "_per_");
  const auto lookup = [](const auto& table, const std::string& word) {
    for (const auto& [from, to] : table) {
      if (word == from) return std::string(to);
    }
    std::string spaced = word;
    std::replace(spaced.begin(), spaced.end(), '_', ' ');
    return spaced;
  };
  std::string unit = lookup(kWhat, parts.front());
  for (std::size_t i = 1; i < parts.size(); ++i) {
    unit += '/';  // appended apart: GCC 12 warns falsely (-Wrestrict) on unit += "/" + ...
    unit += lookup(kPer, parts[i]);
  }
  return unit;
}

}  // namespace

std::string format_number(double value) {
  if (std::fabs(value) >= 1e5) return with_prefix(value, "");
  char buf[64];
  std::snprintf(buf, sizeof buf, std::fabs(value) >= 1e4 ? "%.0f" : "%.4g", value);  // 91104, not 9.11e+04
  return buf;
}

std::string metric_unit_kind(const std::string& key) {
  const std::string head = unit_segment(key);
  if (is_fraction(head)) return "fraction";
  if (head.ends_with("_usd") || head.find("_per_") != std::string::npos || head.ends_with("_rps")) return "";
  if (head.ends_with("_s")) return "s";
  if (head.ends_with("_j")) return "J";
  if (head.ends_with("_w")) return "W";
  if (head.ends_with("_bytes")) return "B";
  return "";
}

std::string format_metric(const std::string& key, double value) {
  const std::string head = unit_segment(key);
  const std::string kind = metric_unit_kind(key);
  char buf[64];
  if (kind == "fraction") {
    std::snprintf(buf, sizeof buf, "%.2f %%", value * 100.0);
    return buf;
  }
  if (kind == "s") {
    // Long times read in minutes and hours, not kiloseconds.
    if (std::fabs(value) >= 60) {
      const bool hours = std::fabs(value) >= 3600;
      std::snprintf(buf, sizeof buf, hours ? "%.4g h" : "%.4g min", value / (hours ? 3600 : 60));
      return buf;
    }
    return with_prefix(value, "s");
  }
  if (!kind.empty()) return with_prefix(value, kind.c_str());  // J, W, B
  if (head.ends_with("_usd")) {  // cost.per_gpu_hour_usd
    std::string dollars = "$";  // appended, not "$" + ...: GCC 12 warns falsely (-Wrestrict) on that form
    dollars += format_number(value);
    return dollars;
  }
  if (head.find("_per_") != std::string::npos) return format_number(value) + " " + rate_unit(head);
  if (head.ends_with("_rps")) return format_number(value) + " req/s";
  if (head.ends_with("_gbs")) {
    std::snprintf(buf, sizeof buf, "%.1f GB/s", value);
    return buf;
  }
  // Counts without a unit: SI prefixes past 100,000 ("1.378 M"), plain below.
  if (std::fabs(value) >= 1e5) return with_prefix(value, "");
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

std::string format_table(const RunIdentity& id, const wl::RunResult& result) {
  std::ostringstream out;
  out << "scenario  " << id.scenario << "  (" << id.workload << " on " << id.system << ", seed " << id.seed << ")\n";
  std::size_t width = 0;
  for (const auto& m : result.metrics.entries()) width = std::max(width, m.key.size());
  for (const auto& m : result.metrics.entries()) {
    out << "  " << m.key << std::string(width - m.key.size() + 2, ' ') << format_metric(m.key, m.value) << '\n';
  }
  for (const auto& [k, v] : result.info) {
    out << "  " << k << std::string(width > k.size() ? width - k.size() + 2 : 2, ' ') << v << '\n';
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "engine    %llu events in %.3f s\n",
                static_cast<unsigned long long>(result.engine.events), result.engine.wall_s);
  out << buf;
  return out.str();
}

}  // namespace dcsim::app
