#include "app/sweep_report.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/config/units.hpp"
#include "app/frontier.hpp"
#include "app/report_html.hpp"
#include "app/svg_plot.hpp"
#include "workloads/csv_reader.hpp"

namespace dcsim::app {
namespace {

using svg::escape;

std::optional<double> plain_number(const std::string& s) {
  double v = 0;
  const char* end = s.data() + s.size();
  const auto [p, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || p != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A column of the sweep table read as numbers: metrics are plain numbers; a swept value may be a quantity
// ("4 MiB", "30 ms"), read in the first dimension every cell of the column parses in.
struct Column {
  std::string name;
  std::vector<std::optional<double>> values;
  std::string unit;  // for labels: "B", "s", ... or "" (plain)
  bool numeric = false;
};

Column read_column(const std::string& name, const std::vector<std::vector<std::string>>& rows, std::size_t c) {
  Column col{name, {}, "", false};
  std::size_t present = 0;
  for (const auto& r : rows) {
    const std::string cell = c < r.size() ? r[c] : "";
    col.values.push_back(plain_number(cell));
    present += !cell.empty();
  }
  std::size_t numbers = 0;
  for (const auto& v : col.values) numbers += v.has_value();
  if (present > 0 && numbers == present) {
    col.numeric = true;
    return col;
  }
  const std::pair<Dimension, const char*> kDims[] = {
      {Dimension::data, "B"}, {Dimension::time, "s"}, {Dimension::data_rate, "B/s"}, {Dimension::power, "W"}};
  for (const auto& [dim, unit] : kDims) {
    std::vector<std::optional<double>> parsed;
    bool all = present > 0;
    for (const auto& r : rows) {
      const std::string cell = c < r.size() ? r[c] : "";
      if (cell.empty()) {
        parsed.emplace_back();
        continue;
      }
      try {
        parsed.emplace_back(parse_quantity(cell, dim));
      } catch (const UnitError&) {
        all = false;
        break;
      }
    }
    if (all) {
      col.values = std::move(parsed);
      col.unit = unit;
      col.numeric = true;
      return col;
    }
  }
  return col;
}

std::string tail(const std::string& key) {
  const auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}


// The inline script of the explorer: redraws the chart from the embedded table when a column or a scale changes.
// Plain DOM and SVG; it marks <body data-ready="1"> when it has drawn, so a test can tell it ran.
const char* kExplorerScript = R"JS(
(function () {
  var data = JSON.parse(document.getElementById('sweep-data').textContent);
  var xs = document.getElementById('x'), ys = document.getElementById('y');
  var lx = document.getElementById('logx'), ly = document.getElementById('logy');
  var fig = document.getElementById('explorer');
  data.columns.forEach(function (c, i) {
    [xs, ys].forEach(function (s) {
      var o = document.createElement('option');
      o.value = i; o.textContent = c; s.appendChild(o);
    });
  });
  xs.value = data.x; ys.value = data.y;
  function esc(t) {
    return String(t).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }
  function fmt(v) {
    var a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toPrecision(3) + ' G';
    if (a >= 1e6) return (v / 1e6).toPrecision(3) + ' M';
    if (a >= 1e4) return (v / 1e3).toPrecision(3) + ' k';
    return String(+v.toPrecision(4));
  }
  function ticks(lo, hi, log) {
    var t = [];
    if (log) { for (var e = Math.ceil(lo - 1e-9); e <= Math.floor(hi + 1e-9) && t.length < 50; e++) t.push(e); return t; }
    var raw = (hi - lo) / 5, mag = Math.pow(10, Math.floor(Math.log10(raw))), step = mag;
    [1, 2, 5, 10].some(function (m) { if (m * mag >= raw) { step = m * mag; return true; } return false; });
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9 && t.length < 50; v += step) t.push(v);
    return t;
  }
  function draw() {
    var xi = +xs.value, yi = +ys.value, logx = lx.checked, logy = ly.checked;
    var pts = [];
    data.rows.forEach(function (r, k) {
      var x = r[xi], y = r[yi];
      if (x === null || y === null) return;
      if ((logx && x <= 0) || (logy && y <= 0)) return;
      pts.push([logx ? Math.log10(x) : x, logy ? Math.log10(y) : y, k]);
    });
    var W = 760, H = 320, L = 78, R = 24, T = 16, B = 46, pw = W - L - R, ph = H - T - B;
    var svg = '<svg xmlns="http://www.w3.org/2000/svg" width="' + W + '" height="' + H + '" font-size="11">';
    if (pts.length === 0) {
      svg += '<text x="' + W / 2 + '" y="' + H / 2 + '" text-anchor="middle">no data for these columns</text>';
    } else {
      var x0 = Math.min.apply(null, pts.map(function (p) { return p[0]; }));
      var x1 = Math.max.apply(null, pts.map(function (p) { return p[0]; }));
      var y0 = Math.min.apply(null, pts.map(function (p) { return p[1]; }));
      var y1 = Math.max.apply(null, pts.map(function (p) { return p[1]; }));
      if (!logx && x0 > 0) x0 = 0; if (!logy && y0 > 0) y0 = 0;
      if (x1 <= x0) { x1 = x0 + 1; } if (y1 <= y0) { y1 = y0 + 1; }
      var sx = function (v) { return L + (v - x0) / (x1 - x0) * pw; };
      var sy = function (v) { return T + ph - (v - y0) / (y1 - y0) * ph; };
      ticks(y0, y1, logy).forEach(function (t) {
        svg += '<line x1="' + L + '" x2="' + (L + pw) + '" y1="' + sy(t) + '" y2="' + sy(t) + '" stroke="#e5e5e5"/>' +
               '<text x="' + (L - 6) + '" y="' + (sy(t) + 4) + '" text-anchor="end">' + fmt(logy ? Math.pow(10, t) : t) + '</text>';
      });
      ticks(x0, x1, logx).forEach(function (t) {
        svg += '<line x1="' + sx(t) + '" x2="' + sx(t) + '" y1="' + T + '" y2="' + (T + ph) + '" stroke="#f0f0f0"/>' +
               '<text x="' + sx(t) + '" y="' + (T + ph + 15) + '" text-anchor="middle">' + fmt(logx ? Math.pow(10, t) : t) + '</text>';
      });
      svg += '<rect x="' + L + '" y="' + T + '" width="' + pw + '" height="' + ph + '" fill="none" stroke="#999"/>';
      pts.forEach(function (p) {
        var on = data.frontier[p[2]];
        svg += '<circle cx="' + sx(p[0]) + '" cy="' + sy(p[1]) + '" r="3.5" fill="' + (on ? '#d62728' : '#1f77b4') +
               '"><title>' + esc(data.labels[p[2]]) + '</title></circle>';
      });
    }
    svg += '<text x="' + (L + pw / 2) + '" y="' + (H - 8) + '" text-anchor="middle">' + esc(data.columns[xi]) + '</text>';
    svg += '<text transform="translate(14,' + (T + ph / 2) + ') rotate(-90)" text-anchor="middle">' + esc(data.columns[yi]) + '</text></svg>';
    fig.querySelector('.chart').innerHTML = svg;
    fig.setAttribute('data-points', pts.length);
  }
  [xs, ys, lx, ly].forEach(function (e) { e.addEventListener('change', draw); });
  draw();
  document.body.setAttribute('data-ready', '1');
})();
)JS";

const char* const kPreferredY[] = {"tokens_per_s_per_gpu", "tokens_per_s", "busbw_gbs", "step_time_s",
                                   "task_latency_s.p99", "ttft_s.p99", "tokens_per_joule"};

}  // namespace

std::string render_sweep_report(const std::string& title, const std::string& csv, const std::vector<std::string>& swept,
                                const std::optional<FrontierSpec>& frontier) {
  std::vector<std::vector<std::string>> table = wl::parse_csv(csv);
  std::ostringstream out;
  out << "<h1>" << escape(title) << "</h1>\n";
  if (table.empty()) {
    out << "<p>The sweep has no points.</p>\n";
    return html_page("dcsim sweep: " + title, out.str());
  }
  const std::vector<std::string> header = table.front();
  std::vector<std::vector<std::string>> rows(table.begin() + 1, table.end());
  std::vector<Column> columns;
  for (std::size_t c = 0; c < header.size(); ++c) columns.push_back(read_column(header[c], rows, c));
  const auto find = [&](const std::string& name) -> const Column* {
    for (const Column& c : columns) {
      if (c.name == name) return &c;
    }
    return nullptr;
  };
  const Column* error = find("error");
  std::size_t failed = 0;
  for (const auto& r : rows) failed += error != nullptr && error->values.size() > 0 && !r.back().empty();
  // Each swept key has its column as written and `<key>_si` in SI numbers (sweep.hpp).
  const auto index_of = [&](const std::string& name) {
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (header[c] == name) return c;
    }
    return header.size();
  };
  std::vector<bool> key_column(header.size(), false);
  for (const std::string& k : swept) {
    for (const std::string& name : {k, k + "_si"}) {
      if (index_of(name) < header.size()) key_column[index_of(name)] = true;
    }
  }
  // Each point's label: the values that make it.
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::string label;
    for (const std::string& k : swept) {
      const std::size_t c = index_of(k);
      if (c < rows[i].size()) label += (label.empty() ? "" : ", ") + tail(k) + "=" + rows[i][c];
    }
    labels.push_back(label.empty() ? "point " + rows[i][0] : label);
  }
  out << "<p>" << rows.size() << " points";
  if (failed > 0) out << ", " << failed << " failed (their rows carry the error)";
  out << "; swept: " << escape(swept.empty() ? std::string("nothing") : [&] {
    std::string s;
    for (const auto& k : swept) s += (s.empty() ? "" : ", ") + k;
    return s;
  }()) << ".</p>\n";

  // The frontier: the scenario's, or serving's tokens/s/GPU against tokens/s/user.
  std::optional<FrontierSpec> spec = frontier;
  if (!spec && find("tokens_per_s_per_user") && find("tokens_per_s_per_gpu")) {
    spec = FrontierSpec{"tokens_per_s_per_user", "tokens_per_s_per_gpu", true, true};
  }
  std::vector<bool> on_front(rows.size(), false);
  if (spec && find(spec->x) && find(spec->y)) {
    const Column& cx = *find(spec->x);
    const Column& cy = *find(spec->y);
    std::vector<double> x, y;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (!cx.values[i] || !cy.values[i]) continue;
      x.push_back(*cx.values[i]);
      y.push_back(*cy.values[i]);
      index.push_back(i);
    }
    const std::vector<bool> front = pareto_front(x, y, spec->x_max, spec->y_max);
    svg::Series all{"every point", {}, false, true, {}, "#9ecae1"}, edge{"Pareto frontier", {}, true, true, {}, "#d62728"};
    for (std::size_t k = 0; k < index.size(); ++k) {
      all.points.emplace_back(x[k], y[k]);
      if (!front[k]) continue;
      on_front[index[k]] = true;
      edge.points.emplace_back(x[k], y[k]);
      edge.labels.push_back(labels[index[k]]);
    }
    out << "<h2>Pareto frontier</h2>\n<p>" << escape(spec->y) << (spec->y_max ? " (more is better)" : " (less is better)")
        << " against " << escape(spec->x) << (spec->x_max ? " (more is better)" : " (less is better)")
        << ": no other point beats a frontier point on both.</p>\n";
    const svg::Axis ax{spec->x, svg::Scale::linear, formatter_for(metric_unit_kind(spec->x)), true};
    const svg::Axis ay{spec->y, svg::Scale::linear, formatter_for(metric_unit_kind(spec->y)), true};
    out << svg::chart(spec->y + " against " + spec->x, ax, ay, {all, edge}, 900, 420);
  }

  // The explorer: any numeric column against any other.
  std::vector<std::size_t> numeric;  // a swept key by its SI column when it has one
  for (std::size_t c = 1; c < columns.size(); ++c) {
    if (!columns[c].numeric || columns[c].name == "frontier") continue;
    if (key_column[c] && index_of(columns[c].name + "_si") < header.size()) continue;
    numeric.push_back(c);
  }
  if (!numeric.empty()) {
    std::size_t xi = 0, yi = numeric.size() > 1 ? 1 : 0;
    for (std::size_t k = 0; k < numeric.size(); ++k) {
      if (!swept.empty() && (columns[numeric[k]].name == swept.front() || columns[numeric[k]].name == swept.front() + "_si")) {
        xi = k;
        break;
      }
    }
    for (const char* want : kPreferredY) {
      bool found = false;
      for (std::size_t k = 0; k < numeric.size(); ++k) {
        if (columns[numeric[k]].name == want) {
          yi = k;
          found = true;
          break;
        }
      }
      if (found) break;
    }
    nlohmann::json data;
    data["columns"] = nlohmann::json::array();
    for (const std::size_t c : numeric) {
      data["columns"].push_back(columns[c].name + (columns[c].unit.empty() ? "" : " (" + columns[c].unit + ")"));
    }
    data["rows"] = nlohmann::json::array();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      nlohmann::json r = nlohmann::json::array();
      for (const std::size_t c : numeric) {
        r.push_back(columns[c].values[i] ? nlohmann::json(*columns[c].values[i]) : nlohmann::json());
      }
      data["rows"].push_back(r);
    }
    data["labels"] = labels;
    data["frontier"] = on_front;
    data["x"] = xi;
    data["y"] = yi;
    // Drawn once here, so the page shows the picture without its script too.
    const Column& cx = columns[numeric[xi]];
    const Column& cy = columns[numeric[yi]];
    svg::Series pts{"points", {}, false, true, {}, ""};
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (cx.values[i] && cy.values[i]) pts.points.emplace_back(*cx.values[i], *cy.values[i]);
    }
    const std::string first = svg::chart(cy.name + " against " + cx.name,
                                         {cx.name, svg::Scale::linear, formatter_for(cx.unit), true},
                                         {cy.name, svg::Scale::linear, formatter_for(metric_unit_kind(cy.name)), true},
                                         {pts}, 760, 320);
    const auto svg_at = first.find("<svg");
    const auto svg_end = first.find("</svg>") + 6;
    out << "<h2>Explorer</h2>\n<p>Any column against any other (frontier points in red).</p>\n"
        << "<p><label>x <select id=\"x\"></select></label> <label><input type=\"checkbox\" id=\"logx\"> log</label>"
        << " &nbsp; <label>y <select id=\"y\"></select></label> <label><input type=\"checkbox\" id=\"logy\"> log"
        << "</label></p>\n<figure class=\"plot\" id=\"explorer\" data-points=\"" << pts.points.size()
        << "\"><div class=\"chart\">" << first.substr(svg_at, svg_end - svg_at) << "</div></figure>\n";
    // JSON inside <script> cannot end the element early: '<' is escaped.
    std::string json = data.dump();
    std::string safe;
    for (const char ch : json) safe += ch == '<' ? std::string("\\u003c") : std::string(1, ch);
    out << "<script type=\"application/json\" id=\"sweep-data\">" << safe << "</script>\n<script>" << kExplorerScript
        << "</script>\n";
  }

  // The table: the point, its values, the frontier, a few headline metrics, the error.
  out << "<h2>Points</h2>\n<table>\n<tr>";
  std::vector<std::size_t> shown;
  for (std::size_t c = 0; c < header.size(); ++c) {
    const std::string& h = header[c];
    const bool key = c == 0 || (key_column[c] && !h.ends_with("_si")) || h == "frontier" || h == "error";
    bool headline = false;
    for (const char* want : kPreferredY) headline = headline || h == want;
    if (key || headline || h == "mfu" || h == "power_w.it") shown.push_back(c);
  }
  for (const std::size_t c : shown) out << "<th>" << escape(header[c]) << "</th>";
  out << "</tr>\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out << "<tr>";
    for (const std::size_t c : shown) {
      const std::string cell = c < rows[i].size() ? rows[i][c] : "";
      const bool metric = c > 0 && !key_column[c] && header[c] != "frontier" && header[c] != "error";
      const auto v = plain_number(cell);
      out << "<td" << (metric ? " class=\"v\"" : "") << ">"
          << escape(metric && v ? format_metric(header[c], *v) : cell) << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</table>\n<p>Every column of every point is in the sweep's CSV.</p>\n";
  return html_page("dcsim sweep: " + title, out.str());
}

std::string render_plan_report(const PlanOutcome& o) {
  std::ostringstream out;
  const PlanSpec& spec = o.spec;
  out << "<h1>plan: " << escape(o.scenario.name) << "</h1>\n<p>Vary <b>" << escape(spec.vary) << "</b> from "
      << escape(format_plan_value(spec, spec.low)) << " to " << escape(format_plan_value(spec, spec.high)) << " for the "
      << (spec.largest ? "largest" : "smallest") << " value that meets every target. Answer: <b>"
      << (o.chosen ? escape(format_plan_value(spec, *o.chosen)) : std::string("none in range")) << "</b>.</p>\n";
  // One chart per target: its metric at every evaluated value, the bound, meets and misses apart.
  for (std::size_t t = 0; t < spec.targets.size(); ++t) {
    const PlanTarget& target = spec.targets[t];
    svg::Series meets{"meets every target", {}, false, true, {}, "#2ca02c"},
        misses{"misses a target", {}, false, true, {}, "#d62728"}, answer{"answer", {}, false, true, {}, "#000000"};
    double lo = 1e300, hi = -1e300;
    for (const PlanPoint& p : o.evaluated) {
      if (t >= p.observed.size()) continue;
      const double v = p.observed[t].second;
      (p.meets ? meets : misses).points.emplace_back(p.value, v);
      if (o.chosen && p.value == *o.chosen) {
        answer.points.emplace_back(p.value, v);
        answer.labels.push_back("answer");
      }
      lo = std::min(lo, p.value);
      hi = std::max(hi, p.value);
    }
    std::vector<svg::Series> series{meets, misses, answer};
    if (lo <= hi) {
      if (target.min) series.push_back({"target min " + format_metric(target.metric, *target.min), {{lo, *target.min}, {hi, *target.min}}, true, false, {}, "#555555"});
      if (target.max) series.push_back({"target max " + format_metric(target.metric, *target.max), {{lo, *target.max}, {hi, *target.max}}, true, false, {}, "#555555"});
    }
    const svg::Axis ax{spec.vary, svg::Scale::linear, {}, false};
    const svg::Axis ay{target.metric, svg::Scale::linear, formatter_for(metric_unit_kind(target.metric)), true};
    out << svg::chart(target.metric + " at each evaluated " + spec.vary, ax, ay, series, 760, 300);
  }
  std::size_t unrun = 0;
  for (const PlanPoint& p : o.evaluated) unrun += !p.reason.empty();
  if (unrun > 0) {
    out << "<h2>Points that could not run</h2>\n<ul>\n";
    for (const PlanPoint& p : o.evaluated) {
      if (!p.reason.empty()) out << "<li>" << escape(format_plan_value(spec, p.value)) << ": " << escape(p.reason) << "</li>\n";
    }
    out << "</ul>\n";
  }
  if (!o.grid.empty()) {
    out << "<h2>Grid</h2>\n<p>Every combination searched over " << escape(spec.vary)
        << "; the best is the smallest answer" << (spec.largest ? " (largest with goal: largest)" : "")
        << ", ties to the most tokens per joule.</p>\n<table>\n<tr><th>#</th><th>combination</th><th>answer</th>"
        << "<th>tokens per joule</th><th></th></tr>\n";
    for (std::size_t c = 0; c < o.grid.size(); ++c) {
      const PlanGridResult& g = o.grid[c];
      std::string name;
      for (const auto& [k, v] : g.values) name += (name.empty() ? "" : "; ") + k + "=" + v;
      char tpj[32];
      std::snprintf(tpj, sizeof tpj, "%.4g", g.tokens_per_joule);
      out << "<tr><td>" << c + 1 << "</td><td><code>" << escape(name) << "</code></td><td>"
          << (g.chosen ? escape(format_plan_value(spec, *g.chosen)) : escape("none: " + g.reason))
          << "</td><td class=\"v\">" << (g.chosen ? tpj : "") << "</td><td>"
          << (o.chosen && c == o.grid_chosen ? "best (charts above)" : "") << "</td></tr>\n";
    }
    out << "</table>\n";
  }
  return html_page("dcsim plan: " + o.scenario.name, out.str());
}

}  // namespace dcsim::app
