#include "app/sweep.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <iostream>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "app/cli.hpp"
#include "app/config/error.hpp"
#include "app/config/units.hpp"
#include "app/csv.hpp"
#include "app/errors.hpp"
#include "app/frontier.hpp"
#include "app/runner.hpp"

namespace dcsim::app {

std::string describe_point(const std::vector<SweepPoint>& points, std::size_t index) {
  std::string text = "sweep point " + std::to_string(index);
  if (index < points.size() && !points[index].coordinates.empty()) {
    text += " (";
    for (std::size_t c = 0; c < points[index].coordinates.size(); ++c) {
      if (c > 0) text += ", ";
      text += points[index].coordinates[c].first + "=" + points[index].coordinates[c].second;
    }
    text += ")";
  }
  return text;
}

std::vector<wl::Metrics> run_sweep_points(const std::vector<SweepPoint>& points,
                                          const std::vector<std::size_t>& indices, int jobs, std::ostream& progress,
                                          const std::string& label, std::vector<std::string>* errors) {
  const std::size_t n = indices.size();
  std::vector<wl::Metrics> results(n);
  if (errors) errors->assign(n, "");
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::atomic<bool> failed{false};
  std::optional<SweepPointError> failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    for (std::size_t k = next++; k < n; k = next++) {
      const std::size_t i = indices.at(k);
      std::string what;
      int code = kExitInternal;
      if (!points.at(i).error.empty()) {  // invalid before it ran: kept as its row's error
        if (errors) (*errors)[k] = points[i].error;
        ++done;
        continue;
      }
      try {
        RunArtifacts artifacts;
        results[k] = run_scenario(points.at(i).scenario, artifacts).metrics;
      } catch (const ConfigError& e) {
        what = e.what();
        code = kExitBadInput;
      } catch (const BadInput& e) {
        what = e.what();
        code = kExitBadInput;
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
        what = "unknown exception";
      }
      if (!what.empty() && errors) {  // keep going: the point's row says what went wrong
        (*errors)[k] = (code == kExitBadInput ? "error: " : "internal error: ") + what;
        what.clear();
      }
      if (!what.empty()) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure.emplace(i, describe_point(points, i) + ": " + what, code);
        failed = true;
        next = n;
      }
      ++done;
    }
  };
  const int threads = std::max(1, std::min<int>(jobs, static_cast<int>(n)));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);

  const auto start = std::chrono::steady_clock::now();
  bool shown = false;
  // The progress line rewrites itself with '\r': only a terminal shows that well; a CI log gets no such lines.
  const bool terminal = progress.rdbuf() != std::cerr.rdbuf() || ::isatty(STDERR_FILENO) == 1;
  while (done.load() < n && !failed.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (terminal && elapsed > 1.0) {
      progress << "\r" << label << ": " << done.load() << "/" << n << " points, " << static_cast<int>(elapsed) << " s"
               << std::flush;
      shown = true;
    }
  }
  for (auto& t : pool) t.join();
  if (shown) progress << "\r" << label << ": " << n << "/" << n << " points done          \n";
  if (failure) throw *failure;
  return results;
}

namespace {

// A swept value as an SI number ("64 KiB" -> 65536, "5 us" -> 5e-6, "8" -> 8), or nothing for a word ("ring").
std::optional<double> si_value(const std::string& text) {
  for (Dimension d : {Dimension::dimensionless, Dimension::data, Dimension::data_rate, Dimension::compute,
                      Dimension::compute_rate, Dimension::time, Dimension::power, Dimension::energy,
                      Dimension::energy_per_bit, Dimension::frequency}) {
    try {
      return parse_quantity(text, d);
    } catch (const UnitError&) {
    }
  }
  return std::nullopt;
}

// The sweep's frontier spec: the first valid point's (an invalid point has no scenario).
std::optional<FrontierSpec> frontier_spec(const std::vector<SweepPoint>& points) {
  for (const SweepPoint& p : points) {
    if (p.error.empty()) return p.scenario.frontier;
  }
  return std::nullopt;
}

// Whether a collective point measured one message size: its by_size.<bytes>.* metrics then repeat its headline
// time_s, algbw_gbs and busbw_gbs, and as columns they would only add a sparse triple per swept size.
bool one_size(const wl::Metrics& r) {
  std::string first;
  for (const auto& m : r.entries()) {
    if (!m.key.starts_with("by_size.")) continue;
    const std::string size = m.key.substr(0, m.key.find('.', 8));
    if (first.empty()) first = size;
    if (size != first) return false;
  }
  return true;
}

}  // namespace

std::string sweep_csv(const std::vector<SweepPoint>& points, const std::vector<wl::Metrics>& metrics,
                      const std::vector<std::string>& errors) {
  const bool any_error = std::any_of(errors.begin(), errors.end(), [](const std::string& e) { return !e.empty(); });
  std::vector<std::string> metric_keys;  // in order of first appearance
  std::unordered_set<std::string_view> seen;
  for (const auto& r : metrics) {
    const bool skip_sizes = one_size(r);  // per-size columns only for points that measured several sizes
    for (const auto& m : r.entries()) {
      if (skip_sizes && m.key.starts_with("by_size.")) continue;
      if (seen.insert(m.key).second) metric_keys.push_back(m.key);
    }
  }
  std::vector<std::string> header = {"point"};
  // Each swept key as written, and beside it, when its values are quantities or numbers, the SI number (KEY_si).
  const std::size_t axes = points.empty() ? 0 : points.front().coordinates.size();
  std::vector<std::vector<std::optional<double>>> si(axes, std::vector<std::optional<double>>(points.size()));
  std::vector<bool> numeric(axes, false);
  for (std::size_t a = 0; a < axes; ++a) {
    std::unordered_map<std::string, std::optional<double>> known;  // an axis has few distinct values
    for (std::size_t i = 0; i < points.size(); ++i) {
      const std::string& text = points[i].coordinates.at(a).second;
      auto it = known.find(text);
      if (it == known.end()) it = known.emplace(text, si_value(text)).first;
      si[a][i] = it->second;
      numeric[a] = numeric[a] || si[a][i].has_value();
    }
    header.push_back(points.front().coordinates[a].first);
    if (numeric[a]) header.push_back(points.front().coordinates[a].first + "_si");
  }
  // With a frontier spec, a column after the coordinates marks the Pareto-optimal points (app/frontier.hpp).
  const std::optional<FrontierSpec> spec = frontier_spec(points);
  std::vector<bool> front;
  if (spec) {
    front = sweep_frontier(*spec, points, metrics, errors);
    header.push_back("frontier");
  }
  header.insert(header.end(), metric_keys.begin(), metric_keys.end());
  if (any_error) header.push_back("error");
  std::string out = csv_line(header);
  for (std::size_t i = 0; i < points.size(); ++i) {
    std::vector<std::string> row = {std::to_string(i)};
    for (std::size_t a = 0; a < axes; ++a) {
      row.push_back(points[i].coordinates[a].second);
      if (numeric[a]) row.push_back(si[a][i] ? csv_number(*si[a][i]) : "");
    }
    if (spec) row.push_back(front[i] ? "1" : "0");
    std::unordered_map<std::string_view, double> values;
    for (const auto& m : metrics.at(i).entries()) values.emplace(m.key, m.value);
    for (const auto& key : metric_keys) {
      const auto v = values.find(key);
      row.push_back(v != values.end() ? csv_number(v->second) : "");
    }
    if (any_error) row.push_back(i < errors.size() ? errors[i] : "");
    out += csv_line(row);
  }
  return out;
}

std::string run_sweep_csv(const std::vector<SweepPoint>& points, int jobs, std::ostream& progress, bool keep_going,
                          std::size_t* failed) {
  std::vector<std::size_t> all(points.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  std::vector<std::string> errors;
  const std::vector<wl::Metrics> metrics =
      run_sweep_points(points, all, jobs, progress, "sweep", keep_going ? &errors : nullptr);
  return report_sweep_csv(points, metrics, errors, progress, failed);
}

std::string report_sweep_csv(const std::vector<SweepPoint>& points, const std::vector<wl::Metrics>& metrics,
                             const std::vector<std::string>& errors, std::ostream& progress, std::size_t* failed) {
  std::string csv = sweep_csv(points, metrics, errors);
  const std::size_t bad = static_cast<std::size_t>(
      std::count_if(errors.begin(), errors.end(), [](const std::string& e) { return !e.empty(); }));
  if (failed) *failed = bad;
  if (bad > 0) {
    progress << "sweep: " << bad << " of " << points.size() << " points failed (the CSV's error column says why):\n";
    for (std::size_t i = 0; i < errors.size(); ++i) {
      if (!errors[i].empty()) progress << "  " << describe_point(points, i) << ": " << errors[i] << '\n';
    }
  }
  if (const auto spec = frontier_spec(points)) {
    progress << frontier_summary(*spec, points, metrics, sweep_frontier(*spec, points, metrics, errors));
  }
  return csv;
}

}  // namespace dcsim::app
