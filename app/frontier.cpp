#include "app/frontier.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

#include "app/errors.hpp"
#include "app/sweep.hpp"

namespace dcsim::app {

std::vector<bool> pareto_front(const std::vector<double>& x, const std::vector<double>& y, bool x_max, bool y_max) {
  const std::size_t n = x.size();
  // Both goals as maxima; then sweep from the largest x down, keeping the best y of strictly larger x.
  std::vector<double> gx(n), gy(n);
  for (std::size_t i = 0; i < n; ++i) {
    gx[i] = x_max ? x[i] : -x[i];
    gy[i] = y_max ? y[i] : -y[i];
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return gx[a] > gx[b]; });
  std::vector<bool> front(n, false);
  double best = -std::numeric_limits<double>::infinity();
  for (std::size_t g = 0; g < n;) {
    std::size_t e = g;
    double group_best = -std::numeric_limits<double>::infinity();
    while (e < n && gx[order[e]] == gx[order[g]]) group_best = std::max(group_best, gy[order[e++]]);
    if (group_best > best) {
      for (std::size_t k = g; k < e; ++k) front[order[k]] = gy[order[k]] == group_best;
      best = group_best;
    }
    g = e;
  }
  return front;
}

namespace {
double metric_of(const std::vector<SweepPoint>& points, const std::vector<wl::Metrics>& metrics, std::size_t i,
                 const std::string& name, const char* axis) {
  const auto v = metrics.at(i).get(name);
  if (v && !std::isfinite(*v)) {
    throw BadInput("frontier." + std::string(axis) + ": metric '" + name + "' of " + describe_point(points, i) +
                   " is not a finite number; a frontier needs finite values");
  }
  if (v) return *v;
  std::string have;
  for (const auto& m : metrics.at(i).entries()) have += (have.empty() ? "" : ", ") + m.key;
  throw BadInput("frontier." + std::string(axis) + ": metric '" + name + "' is not in the results of " +
                 describe_point(points, i) + "; its metrics are: " + have);
}
}  // namespace

std::vector<bool> sweep_frontier(const FrontierSpec& spec, const std::vector<SweepPoint>& points,
                                 const std::vector<wl::Metrics>& metrics, const std::vector<std::string>& errors) {
  const auto failed = [&](std::size_t i) { return i < errors.size() && !errors[i].empty(); };
  std::vector<double> x, y;
  std::vector<std::size_t> ran;
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    if (failed(i)) continue;
    ran.push_back(i);
    x.push_back(metric_of(points, metrics, i, spec.x, "x"));
    y.push_back(metric_of(points, metrics, i, spec.y, "y"));
  }
  const std::vector<bool> front_of_ran = pareto_front(x, y, spec.x_max, spec.y_max);
  std::vector<bool> front(metrics.size(), false);
  for (std::size_t k = 0; k < ran.size(); ++k) front[ran[k]] = front_of_ran[k];
  return front;
}

std::string frontier_summary(const FrontierSpec& spec, const std::vector<SweepPoint>& points,
                             const std::vector<wl::Metrics>& metrics, const std::vector<bool>& front) {
  std::vector<std::size_t> on;
  for (std::size_t i = 0; i < front.size(); ++i) {
    if (front[i]) on.push_back(i);
  }
  std::sort(on.begin(), on.end(), [&](std::size_t a, std::size_t b) {
    return *metrics[a].get(spec.x) < *metrics[b].get(spec.x);
  });
  std::string out = "frontier (x: " + spec.x + ", y: " + spec.y + "), " + std::to_string(on.size()) + " of " +
                    std::to_string(front.size()) + " points:\n";
  for (std::size_t i : on) {
    char values[128];
    std::snprintf(values, sizeof values, ": x = %.6g, y = %.6g\n", *metrics[i].get(spec.x), *metrics[i].get(spec.y));
    out += "  " + describe_point(points, i) + values;
  }
  return out;
}

}  // namespace dcsim::app
