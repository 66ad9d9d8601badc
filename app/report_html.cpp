#include "app/report_html.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "app/config/units.hpp"
#include "app/svg_plot.hpp"

namespace dcsim::app {
namespace {

using svg::escape;

// The headline figure of each workload first, then the thesis pair: tokens per joule next to MFU.
const char* const kHeadline[] = {"step_time_s",     "ttft_s.p99",   "tpot_s.p99", "task_latency_s.p99",
                                 "busbw_gbs",       "tokens_per_s", "tokens_per_joule", "mfu",
                                 "gpu_stall_fraction", "power_w.it"};


void power_section(std::ostringstream& out, const wl::Metrics& m) {
  const auto parts = [&](const std::vector<std::pair<const char*, const char*>>& keys) {
    std::vector<std::pair<std::string, double>> p;
    for (const auto& [key, label] : keys) p.emplace_back(label, m.get(key).value_or(0));
    return p;
  };
  const auto watts = formatter_for("W");
  const auto top = parts({{"power_w.gpu", "GPU"}, {"power_w.cpu", "CPU"}, {"power_w.network", "network"},
                          {"power_w.storage", "storage"}, {"power_w.other", "other"}});
  double total = 0;
  for (const auto& p : top) total += p.second;
  if (total <= 0) return;
  out << "<h2>Power (IT, mean over the measured window)</h2>\n"
      << svg::stacked_bar("IT power by part", top, watts);
  std::vector<std::pair<std::string, double>> network, other;
  for (const auto& e : m.entries()) {
    if (e.key.rfind("power_w.network_parts.", 0) == 0) network.emplace_back(e.key.substr(22), e.value);
    if (e.key.rfind("power_w.other_parts.", 0) == 0) other.emplace_back(e.key.substr(20), e.value);
  }
  if (!network.empty()) out << svg::stacked_bar("network power by part", network, watts);
  if (!other.empty()) out << svg::stacked_bar("other power by part", other, watts);
}

void series_section(std::ostringstream& out, const wl::Observations& ob) {
  if (ob.series.empty()) return;
  double end = 0;
  for (const auto& s : ob.series) {
    if (!s.points.empty()) end = std::max(end, s.points.back().first);
  }
  // Long runs read in minutes or hours, not kiloseconds.
  const double per = end > 2 * 3600 ? 3600 : end > 600 ? 60 : 1;
  const char* unit = per == 3600 ? "h" : per == 60 ? "min" : "s";
  out << "<h2>Over time (binned over the whole run, warm-up included)</h2>\n";
  for (const auto& s : ob.series) {
    svg::Series line{s.name, {}, true, false, {}, ""};
    for (const auto& [t, v] : s.points) line.points.emplace_back(t / per, v);
    const svg::Axis x{std::string("simulated time (") + unit + ")", svg::Scale::linear, {}, true};
    const svg::Axis y{s.unit == "fraction" ? "%" : s.unit, svg::Scale::linear, formatter_for(s.unit), true};
    out << svg::chart(s.name, x, y, {line}, 760, 240);
  }
}

void distribution_section(std::ostringstream& out, const wl::Observations& ob) {
  bool any = false;
  for (const auto& d : ob.distributions) any = any || !d.quantiles.empty();
  if (!any) return;
  out << "<h2>Distributions (cumulative, measured requests or tasks)</h2>\n<div class=\"row\">\n";
  for (const auto& d : ob.distributions) {
    if (d.quantiles.empty()) continue;
    svg::Series cdf{d.name, {}, true, false, {}, ""};
    const double n = static_cast<double>(d.quantiles.size() - 1);
    for (std::size_t i = 0; i < d.quantiles.size(); ++i) cdf.points.emplace_back(d.quantiles[i], i / n);
    // A spread of more than two decades reads better on a log axis.
    const double lo = d.quantiles.front(), hi = d.quantiles.back();
    const bool log = lo > 0 && hi / lo > 100;
    const svg::Axis x{d.name + " (" + d.unit + ")", log ? svg::Scale::log10 : svg::Scale::linear,
                      formatter_for(d.unit), true};
    const svg::Axis y{"share at or below (%)", svg::Scale::linear, formatter_for("fraction"), true};
    out << svg::chart(d.name + " CDF (" + std::to_string(d.count) + " samples)", x, y, {cdf}, 380, 260);
  }
  out << "</div>\n";
}

void size_section(std::ostringstream& out, const wl::Observations& ob) {
  if (ob.size_curves.empty()) return;
  out << "<h2>Against message size</h2>\n";
  for (const auto& c : ob.size_curves) {
    svg::Series line{c.name, c.points, true, true, {}, ""};
    const svg::Axis x{"message size (bytes)", svg::Scale::log2, formatter_for("B"), false};
    const bool log_y = c.unit == "s";
    const svg::Axis y{c.name + " (" + c.unit + ")", log_y ? svg::Scale::log10 : svg::Scale::linear,
                      formatter_for(c.unit), true};
    out << svg::chart(c.name + " by message size", x, y, {line}, 760, 280);
  }
}

}  // namespace

std::function<std::string(double)> formatter_for(const std::string& unit) {
  if (unit == "fraction") {
    return [](double v) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4g %%", v * 100.0);
      return std::string(buf);
    };
  }
  const auto quantity = [](Dimension d) {
    return [d](double v) { return v == 0 ? std::string("0") : format_quantity(v, d); };
  };
  if (unit == "s") return quantity(Dimension::time);
  if (unit == "W") return quantity(Dimension::power);
  if (unit == "B") return quantity(Dimension::data);
  if (unit == "J") return quantity(Dimension::energy);
  return format_number;
}

std::string html_page(const std::string& title, const std::string& body) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" << escape(title)
      << "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:66em;color:#222}"
         ".cards{display:flex;flex-wrap:wrap;gap:1em}.card{border:1px solid #ccc;border-radius:6px;padding:.6em 1em}"
         ".card b{display:block;font-size:1.4em}table{border-collapse:collapse}td,th{padding:.2em .8em;"
         "border-bottom:1px solid #eee;text-align:left}td.v{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}code{font-size:.85em}"
         "figure{margin:1em 0}figcaption{font-weight:bold;margin-bottom:.3em}.row{display:flex;flex-wrap:wrap;"
         "gap:1em}.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1.2em;margin:.3em 0}"
         ".legend span{display:inline-block;width:.9em;height:.9em;margin-right:.3em}</style></head><body>\n"
      << body << "</body></html>\n";
  return out.str();
}

std::string render_html_report(const RunIdentity& id, const wl::RunResult& result, int gpus) {
  const wl::Metrics& m = result.metrics;
  std::ostringstream out;
  out << "<h1>" << escape(id.scenario) << "</h1>\n<p>" << escape(id.workload) << " on " << gpus << " GPUs of "
      << escape(id.system) << ", seed " << id.seed << ". Result schema " << kResultSchema << ".</p>\n";
  out << "<div class=\"cards\">\n";
  const bool tokens = id.workload != "collective";  // a collective moves bytes, not tokens
  for (const char* key : kHeadline) {
    const std::string k = key;
    if (!tokens && (k == "tokens_per_s" || k == "tokens_per_joule" || k == "mfu")) continue;
    if (const auto v = m.get(key)) {
      out << "<div class=\"card\">" << escape(key) << "<b>" << escape(format_metric(key, *v)) << "</b></div>\n";
    }
  }
  out << "</div>\n";
  power_section(out, m);
  const wl::Observations& ob = result.observed;
  distribution_section(out, ob);
  series_section(out, ob);
  if (!ob.timeline.spans.empty()) {
    out << "<h2>Pipeline timeline (one step)</h2>\n"
        << svg::timeline("stages against time: forward, backward, weight-gradient passes, exposed DP "
                         "communication and the optimizer",
                         ob.timeline);
  }
  size_section(out, ob);
  out << "<h2>Metrics</h2>\n<table>\n<tr><th>metric</th><th>value</th><th>SI</th></tr>\n";
  for (const auto& e : m.entries()) {
    char si[40];
    std::snprintf(si, sizeof si, "%.9g", e.value);
    out << "<tr><td>" << escape(e.key) << "</td><td class=\"v\">" << escape(format_metric(e.key, e.value))
        << "</td><td class=\"v\">" << si << "</td></tr>\n";
  }
  out << "</table>\n";
  if (!result.info.empty()) {
    out << "<h2>Facts</h2>\n<table>\n";
    for (const auto& [k, v] : result.info) out << "<tr><td>" << escape(k) << "</td><td>" << escape(v) << "</td></tr>\n";
    out << "</table>\n";
  }
  char engine[160];
  std::snprintf(engine, sizeof engine, "<p>Engine: %llu events in %.3f s; fingerprint %016llx.</p>\n",
                static_cast<unsigned long long>(result.engine.events), result.engine.wall_s,
                static_cast<unsigned long long>(result.engine.fingerprint));
  out << engine;
  return html_page("dcsim: " + id.scenario, out.str());
}

}  // namespace dcsim::app
