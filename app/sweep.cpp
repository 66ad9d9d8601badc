#include "app/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "app/csv.hpp"
#include "app/runner.hpp"

namespace dcsim::app {
namespace {

std::vector<wl::RunResult> run_all(const std::vector<SweepPoint>& points, int jobs, std::ostream& progress) {
  std::vector<wl::RunResult> results(points.size());
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    for (std::size_t i = next++; i < points.size(); i = next++) {
      try {
        RunArtifacts artifacts;
        results[i] = run_scenario(points[i].scenario, artifacts);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = points.size();
      }
      ++done;
    }
  };
  const int threads = std::max(1, std::min<int>(jobs, static_cast<int>(points.size())));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);

  const auto start = std::chrono::steady_clock::now();
  bool shown = false;
  while (done.load() < points.size() && !failure) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed > 1.0) {
      progress << "\rsweep: " << done.load() << "/" << points.size() << " points, " << static_cast<int>(elapsed)
               << " s" << std::flush;
      shown = true;
    }
  }
  for (auto& t : pool) t.join();
  if (shown) progress << "\rsweep: " << points.size() << "/" << points.size() << " points done          \n";
  if (failure) std::rethrow_exception(failure);
  return results;
}

}  // namespace

std::string run_sweep_csv(const std::vector<SweepPoint>& points, int jobs, std::ostream& progress) {
  const std::vector<wl::RunResult> results = run_all(points, jobs, progress);
  std::vector<std::string> metric_keys;
  for (const auto& r : results) {
    for (const auto& m : r.metrics.entries()) {
      if (std::find(metric_keys.begin(), metric_keys.end(), m.key) == metric_keys.end()) metric_keys.push_back(m.key);
    }
  }
  std::vector<std::string> header = {"point"};
  if (!points.empty()) {
    for (const auto& [key, value] : points.front().coordinates) header.push_back(key);
  }
  header.insert(header.end(), metric_keys.begin(), metric_keys.end());
  std::string out = csv_line(header);
  for (std::size_t i = 0; i < points.size(); ++i) {
    std::vector<std::string> row = {std::to_string(i)};
    for (const auto& [key, value] : points[i].coordinates) row.push_back(value);
    for (const auto& key : metric_keys) {
      const auto v = results[i].metrics.get(key);
      row.push_back(v ? csv_number(*v) : "");
    }
    out += csv_line(row);
  }
  return out;
}

}  // namespace dcsim::app
