#include "app/report_html.hpp"

#include <cstdio>
#include <sstream>

namespace dcsim::app {
namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// The headline figure of each workload first, then the thesis pair: tokens per joule next to MFU.
const char* const kHeadline[] = {"step_time_s",     "ttft_s.p99",   "tpot_s.p99", "task_latency_s.p99",
                                 "busbw_gbs",       "tokens_per_s", "tokens_per_joule", "mfu",
                                 "gpu_stall_fraction", "power_w.it"};

struct Slice {
  const char* key;
  const char* label;
  const char* colour;
};
const Slice kPower[] = {{"power_w.gpu", "GPU", "#76b900"},        {"power_w.cpu", "CPU", "#1f77b4"},
                        {"power_w.network", "network", "#ff7f0e"}, {"power_w.storage", "storage", "#9467bd"},
                        {"power_w.other", "other", "#8c8c8c"}};

void power_bar(std::ostringstream& out, const wl::Metrics& m) {
  double total = 0;
  for (const Slice& s : kPower) total += m.get(s.key).value_or(0);
  if (total <= 0) return;
  out << "<h2>Power breakdown (IT, mean over the run)</h2>\n<svg width=\"720\" height=\"64\" role=\"img\">\n";
  double x = 0;
  for (const Slice& s : kPower) {
    const double w = m.get(s.key).value_or(0) / total * 720.0;
    if (w <= 0) continue;
    char rect[256];
    std::snprintf(rect, sizeof rect, "<rect x=\"%.2f\" y=\"0\" width=\"%.2f\" height=\"32\" fill=\"%s\"/>\n", x, w,
                  s.colour);
    out << rect;
    x += w;
  }
  out << "</svg>\n<ul class=\"legend\">\n";
  for (const Slice& s : kPower) {
    const double v = m.get(s.key).value_or(0);
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.1f %%", v / total * 100.0);
    out << "<li><span style=\"background:" << s.colour << "\"></span>" << s.label << ": "
        << escape(format_metric(s.key, v)) << " (" << pct << ")</li>\n";
  }
  out << "</ul>\n";
}

}  // namespace

std::string render_html_report(const RunIdentity& id, const wl::RunResult& result, int gpus) {
  const wl::Metrics& m = result.metrics;
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>dcsim: " << escape(id.scenario)
      << "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:60em}"
         ".cards{display:flex;flex-wrap:wrap;gap:1em}.card{border:1px solid #ccc;border-radius:6px;padding:.6em 1em}"
         ".card b{display:block;font-size:1.4em}table{border-collapse:collapse}td,th{padding:.2em .8em;"
         "border-bottom:1px solid #eee;text-align:left}td.v{text-align:right;font-variant-numeric:tabular-nums}"
         ".legend{list-style:none;padding:0;display:flex;gap:1.2em}.legend span{display:inline-block;width:.9em;"
         "height:.9em;margin-right:.3em}</style></head><body>\n";
  out << "<h1>" << escape(id.scenario) << "</h1>\n<p>" << escape(id.workload) << " on " << gpus << " GPUs of "
      << escape(id.system) << ", seed " << id.seed << ". Result schema " << kResultSchema << ".</p>\n";
  out << "<div class=\"cards\">\n";
  for (const char* key : kHeadline) {
    if (const auto v = m.get(key)) {
      out << "<div class=\"card\">" << escape(key) << "<b>" << escape(format_metric(key, *v)) << "</b></div>\n";
    }
  }
  out << "</div>\n";
  power_bar(out, m);
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
  out << engine << "</body></html>\n";
  return out.str();
}

}  // namespace dcsim::app
