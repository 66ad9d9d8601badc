#include "app/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace dcsim::app::svg {
namespace {

constexpr int kLeft = 78, kRight = 24, kTop = 16, kBottom = 46;

std::string svg_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string plain(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

bool usable(double v, Scale s) { return std::isfinite(v) && (s == Scale::linear || v > 0); }

double to_axis(double v, Scale s) {
  switch (s) {
    case Scale::log10: return std::log10(v);
    case Scale::log2: return std::log2(v);
    case Scale::linear: break;
  }
  return v;
}

struct Range {
  double lo = 0, hi = 1;  // in axis units (log of the value on log axes)
};

Range range_of(const std::vector<double>& values, const Axis& a) {
  if (values.empty()) return {};
  auto [mn, mx] = std::minmax_element(values.begin(), values.end());
  double lo = to_axis(*mn, a.scale), hi = to_axis(*mx, a.scale);
  if (a.scale == Scale::linear && a.from_zero && lo > 0) lo = 0;
  if (hi - lo <= 0) {
    const double pad = a.scale == Scale::linear ? std::max(std::fabs(hi) * 0.1, 1e-12) : 0.5;
    lo -= pad;
    hi += pad;
  }
  if (a.scale != Scale::linear) {
    lo = std::floor(lo + 1e-9);  // whole powers: the frame ends on labelled ticks
    hi = std::ceil(hi - 1e-9);
    if (hi <= lo) hi = lo + 1;
  } else {
    // Round outwards to the tick step so the frame ends on a labelled tick.
    const std::vector<double> t = ticks(lo, hi, a.scale, 6);
    if (t.size() >= 2) {
      const double step = t[1] - t[0];
      lo = std::floor(lo / step + 1e-9) * step;
      hi = std::ceil(hi / step - 1e-9) * step;
    }
  }
  return {lo, hi};
}

std::string label_of(const Axis& a, double value) { return a.format ? a.format(value) : plain(value); }

}  // namespace

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

const char* palette(std::size_t i) {
  static const char* const kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                         "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return kColours[i % (sizeof kColours / sizeof kColours[0])];
}

std::vector<double> ticks(double lo, double hi, Scale scale, int max_ticks) {
  std::vector<double> out;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return out;
  if (scale != Scale::linear) {
    // lo, hi are exponents; a tick per power, thinned to at most max_ticks.
    const double first = std::ceil(lo - 1e-9), last = std::floor(hi + 1e-9);
    const double every = std::max(1.0, std::ceil((last - first + 1) / std::max(2, max_ticks)));
    for (double e = first; e <= last + 1e-9 && out.size() < 50; e += every) out.push_back(e);
    return out;
  }
  const double raw = (hi - lo) / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  // Counted, not accumulated: a step below the rounding of lo's magnitude would never advance t.
  const double first = std::ceil(lo / step - 1e-9);
  for (int i = 0; i < 50; ++i) {
    const double t = (first + i) * step;
    if (t > hi + step * 1e-9) break;
    out.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  return out;
}

std::string chart(const std::string& title, const Axis& x, const Axis& y, const std::vector<Series>& series,
                  int width, int height) {
  std::vector<double> xs, ys;
  std::size_t points = 0;
  std::vector<std::vector<std::pair<double, double>>> kept(series.size());
  std::vector<std::vector<std::string>> kept_labels(series.size());
  for (std::size_t i = 0; i < series.size(); ++i) {
    for (std::size_t k = 0; k < series[i].points.size(); ++k) {
      const auto [px, py] = series[i].points[k];
      if (!usable(px, x.scale) || !usable(py, y.scale)) continue;
      kept[i].emplace_back(px, py);
      if (k < series[i].labels.size()) kept_labels[i].push_back(series[i].labels[k]);
      xs.push_back(px);
      ys.push_back(py);
      ++points;
    }
    if (series[i].line) {
      std::vector<std::size_t> order(kept[i].size());
      for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return kept[i][a].first < kept[i][b].first;
      });
      std::vector<std::pair<double, double>> sorted;
      std::vector<std::string> labels;
      for (const std::size_t k : order) {
        sorted.push_back(kept[i][k]);
        if (k < kept_labels[i].size()) labels.push_back(kept_labels[i][k]);
      }
      kept[i] = std::move(sorted);
      kept_labels[i] = std::move(labels);
    }
  }
  std::ostringstream out;
  out << "<figure class=\"plot\" data-points=\"" << points << "\"><figcaption>" << escape(title)
      << "</figcaption>\n";
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << ' ' << height << "\" role=\"img\" aria-label=\"" << escape(title) << "\">\n";
  const int pw = width - kLeft - kRight, ph = height - kTop - kBottom;
  if (points == 0) {
    out << "<text x=\"" << width / 2 << "\" y=\"" << height / 2
        << "\" text-anchor=\"middle\" fill=\"#888\">no data</text></svg></figure>\n";
    return out.str();
  }
  const Range rx = range_of(xs, x), ry = range_of(ys, y);
  const auto sx = [&](double v) { return kLeft + (to_axis(v, x.scale) - rx.lo) / (rx.hi - rx.lo) * pw; };
  const auto sy = [&](double v) { return kTop + ph - (to_axis(v, y.scale) - ry.lo) / (ry.hi - ry.lo) * ph; };
  const auto value_of = [](double e, Scale s) {
    return s == Scale::log10 ? std::pow(10.0, e) : s == Scale::log2 ? std::pow(2.0, e) : e;
  };
  // Grid and ticks.
  out << "<g class=\"axes\" font-size=\"11\" fill=\"#444\">\n";
  for (const double t : ticks(ry.lo, ry.hi, y.scale, std::max(2, ph / 40))) {
    const double py = kTop + ph - (t - ry.lo) / (ry.hi - ry.lo) * ph;
    out << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + pw << "\" y1=\"" << svg_number(py) << "\" y2=\"" << svg_number(py)
        << "\" stroke=\"#e5e5e5\"/><text x=\"" << kLeft - 6 << "\" y=\"" << svg_number(py + 4)
        << "\" text-anchor=\"end\">" << escape(label_of(y, value_of(t, y.scale))) << "</text>\n";
  }
  for (const double t : ticks(rx.lo, rx.hi, x.scale, std::max(2, pw / 70))) {
    const double px = kLeft + (t - rx.lo) / (rx.hi - rx.lo) * pw;
    out << "<line x1=\"" << svg_number(px) << "\" x2=\"" << svg_number(px) << "\" y1=\"" << kTop << "\" y2=\"" << kTop + ph
        << "\" stroke=\"#f0f0f0\"/><text x=\"" << svg_number(px) << "\" y=\"" << kTop + ph + 15
        << "\" text-anchor=\"middle\">" << escape(label_of(x, value_of(t, x.scale))) << "</text>\n";
  }
  out << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << pw << "\" height=\"" << ph
      << "\" fill=\"none\" stroke=\"#999\"/>\n";
  out << "<text x=\"" << kLeft + pw / 2 << "\" y=\"" << height - 8 << "\" text-anchor=\"middle\">" << escape(x.label)
      << "</text>\n<text transform=\"translate(14," << kTop + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
      << escape(y.label) << "</text>\n</g>\n";
  // Data.
  for (std::size_t i = 0; i < series.size(); ++i) {
    const std::string colour = series[i].colour.empty() ? palette(i) : series[i].colour;
    if (series[i].line && kept[i].size() > 1) {
      out << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"1.8\" points=\"";
      for (const auto& [px, py] : kept[i]) out << svg_number(sx(px)) << ',' << svg_number(sy(py)) << ' ';
      out << "\"/>\n";
    }
    if (series[i].markers || kept[i].size() == 1) {
      for (std::size_t k = 0; k < kept[i].size(); ++k) {
        const auto [px, py] = kept[i][k];
        out << "<circle cx=\"" << svg_number(sx(px)) << "\" cy=\"" << svg_number(sy(py)) << "\" r=\"3.2\" fill=\"" << colour
            << "\"><title>" << escape(series[i].name) << ": " << escape(label_of(x, px)) << ", "
            << escape(label_of(y, py)) << (k < kept_labels[i].size() ? " (" + escape(kept_labels[i][k]) + ")" : "")
            << "</title></circle>\n";
        if (k < kept_labels[i].size() && !kept_labels[i][k].empty()) {
          out << "<text x=\"" << svg_number(sx(px) + 5) << "\" y=\"" << svg_number(sy(py) - 5) << "\" font-size=\"10\" fill=\""
              << colour << "\">" << escape(kept_labels[i][k]) << "</text>\n";
        }
      }
    }
  }
  out << "</svg>\n";
  if (series.size() > 1) {
    out << "<ul class=\"legend\">";
    for (std::size_t i = 0; i < series.size(); ++i) {
      if (series[i].name.empty()) continue;
      out << "<li><span style=\"background:" << (series[i].colour.empty() ? palette(i) : series[i].colour)
          << "\"></span>" << escape(series[i].name) << "</li>";
    }
    out << "</ul>\n";
  }
  out << "</figure>\n";
  return out.str();
}

std::string timeline(const std::string& title, const wl::Timeline& t, int width) {
  std::ostringstream out;
  const int lane_h = 30, lanes = static_cast<int>(t.lanes.size());
  const int height = kTop + lanes * lane_h + kBottom;
  double end = 0;
  for (const auto& s : t.spans) end = std::max(end, s.end_s);
  std::map<std::string, std::size_t> kinds;
  for (const auto& s : t.spans) kinds.emplace(s.kind, kinds.size());
  static const std::map<std::string, const char*> kFixed = {
      {"forward", "#6baed6"},   {"backward", "#fd8d3c"},  {"wgrad", "#74c476"},
      {"DP exposed", "#d62728"}, {"optimizer", "#9467bd"}, {"TP/CP/EP comm (exposed)", "#08306b"},
      {"DP gradient reduction", "#a50f15"}, {"PP send", "#6a51a3"}};
  // Communication draws in the lower part of its lane, over the compute it runs under or beside.
  const auto is_comm = [](const std::string& k) {
    return k.find("comm") != std::string::npos || k.find("DP") != std::string::npos || k.find("PP") != std::string::npos;
  };
  const auto colour = [&](const std::string& k) {
    const auto f = kFixed.find(k);
    return f != kFixed.end() ? std::string(f->second) : std::string(palette(kinds.at(k) + 5));
  };
  out << "<figure class=\"plot\" data-points=\"" << t.spans.size() << "\"><figcaption>" << escape(title)
      << "</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << ' ' << height << "\" role=\"img\" aria-label=\"" << escape(title) << "\">\n";
  const int pw = width - kLeft - kRight;
  if (t.spans.empty() || end <= 0) {
    out << "<text x=\"" << width / 2 << "\" y=\"" << height / 2 << "\" text-anchor=\"middle\">no data</text></svg>"
        << "</figure>\n";
    return out.str();
  }
  const std::vector<double> tk = ticks(0, end, Scale::linear, 8);
  const double span = tk.size() >= 2 ? std::ceil(end / (tk[1] - tk[0]) - 1e-9) * (tk[1] - tk[0]) : end;
  out << "<g font-size=\"11\" fill=\"#444\">\n";
  for (int l = 0; l < lanes; ++l) {
    out << "<text x=\"" << kLeft - 6 << "\" y=\"" << kTop + l * lane_h + 13 << "\" text-anchor=\"end\">"
        << escape(t.lanes[static_cast<std::size_t>(l)]) << "</text>\n";
  }
  for (const double v : tk) {
    const double px = kLeft + v / span * pw;
    out << "<line x1=\"" << svg_number(px) << "\" x2=\"" << svg_number(px) << "\" y1=\"" << kTop << "\" y2=\""
        << kTop + lanes * lane_h << "\" stroke=\"#eee\"/><text x=\"" << svg_number(px) << "\" y=\""
        << kTop + lanes * lane_h + 15 << "\" text-anchor=\"middle\">" << plain(v) << "</text>\n";
  }
  out << "<text x=\"" << kLeft + pw / 2 << "\" y=\"" << height - 8 << "\" text-anchor=\"middle\">time in the step (s)"
      << "</text>\n</g>\n";
  for (const auto& s : t.spans) {
    const double x0 = kLeft + s.start_s / span * pw, x1 = kLeft + s.end_s / span * pw;
    const bool comm = is_comm(s.kind);
    out << "<rect x=\"" << svg_number(x0) << "\" y=\"" << kTop + s.lane * lane_h + (comm ? lane_h - 11 : 2)
        << "\" width=\"" << svg_number(std::max(0.4, x1 - x0)) << "\" height=\"" << (comm ? 8 : lane_h - 12) << "\" fill=\""
        << colour(s.kind) << "\"><title>" << escape(s.kind) << ": " << plain(s.start_s) << " s to "
        << plain(s.end_s) << " s</title></rect>\n";
  }
  out << "</svg>\n<ul class=\"legend\">";
  for (const auto& [k, i] : kinds) {
    (void)i;
    out << "<li><span style=\"background:" << colour(k) << "\"></span>" << escape(k) << "</li>";
  }
  out << "</ul>\n</figure>\n";
  return out.str();
}

std::string stacked_bar(const std::string& title, const std::vector<std::pair<std::string, double>>& parts,
                        const std::function<std::string(double)>& format, int width) {
  double total = 0;
  for (const auto& p : parts) total += std::max(0.0, p.second);
  std::ostringstream out;
  std::size_t n = 0;
  for (const auto& p : parts) n += p.second > 0;
  out << "<figure class=\"plot\" data-points=\"" << n << "\"><figcaption>" << escape(title) << "</figcaption>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"36\" role=\"img\" "
      << "aria-label=\"" << escape(title) << "\">\n";
  double x = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (total <= 0 || parts[i].second <= 0) continue;
    const double w = parts[i].second / total * width;
    out << "<rect x=\"" << svg_number(x) << "\" y=\"0\" width=\"" << svg_number(w) << "\" height=\"32\" fill=\"" << palette(i)
        << "\"><title>" << escape(parts[i].first) << "</title></rect>\n";
    x += w;
  }
  out << "</svg>\n<ul class=\"legend\">";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].second <= 0) continue;
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.1f %%", total > 0 ? parts[i].second / total * 100.0 : 0.0);
    out << "<li><span style=\"background:" << palette(i) << "\"></span>" << escape(parts[i].first) << ": "
        << escape(format(parts[i].second)) << " (" << pct << ")</li>";
  }
  out << "</ul>\n</figure>\n";
  return out.str();
}

}  // namespace dcsim::app::svg
