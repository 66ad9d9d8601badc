// Inline SVG charts for the self-contained HTML reports: line and scatter charts with linear or log axes, a
// timeline of spans on lanes, and a stacked bar. No script, no network: the SVG is the picture. Every chart is a
// <figure class="plot" data-points="N"> so a test (and a reader) can tell a plot that has data from an empty one.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "workloads/observations.hpp"

namespace dcsim::app::svg {

enum class Scale { linear, log10, log2 };

struct Axis {
  std::string label;                            // with its unit: "time (s)"
  Scale scale = Scale::linear;
  std::function<std::string(double)> format;    // tick labels; plain %g when empty
  bool from_zero = true;                        // linear axes start at 0 (when the data are not negative)
};

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;
  bool line = true;                          // joined in x order
  bool markers = false;                      // a dot per point
  std::vector<std::string> labels;           // optional: one per point, drawn beside its marker
  std::string colour;                        // empty: the palette's
};

std::string escape(const std::string& s);
const char* palette(std::size_t i);

// A chart of `series`; points with a non-finite coordinate, or not positive on a log axis, are left out.
std::string chart(const std::string& title, const Axis& x, const Axis& y, const std::vector<Series>& series,
                  int width = 760, int height = 300);
// Spans on lanes against time: one row per lane, one colour per kind, a legend of kinds.
std::string timeline(const std::string& title, const wl::Timeline& t, int width = 960);
// One horizontal bar split into parts (name, value), with a legend of values and shares.
std::string stacked_bar(const std::string& title, const std::vector<std::pair<std::string, double>>& parts,
                        const std::function<std::string(double)>& format, int width = 760);

// Tick positions for an axis over [lo, hi] (linear: 1-2-5 steps, about 5 of them; log: exponents, a tick per
// power of the base thinned to at most max_ticks).
std::vector<double> ticks(double lo, double hi, Scale scale, int max_ticks = 8);

}  // namespace dcsim::app::svg
