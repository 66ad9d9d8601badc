// `dcsim sweep`: runs every point of a scenario's sweep block, `jobs` at a time, and tabulates them. Each point
// is an independent, deterministic simulation, so the table is identical whatever `jobs` is, and whichever process
// ran which point (app/mpi_shard.hpp runs a share of the points on each MPI rank and tabulates them on rank 0).
#pragma once

#include <cstddef>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/scenario.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::app {

// A point failed while it ran. The message names the point ("sweep point 3 (workload.bytes=4 MiB): ...");
// exit_code is the command's (kExitBadInput for bad input, kExitInternal otherwise).
class SweepPointError : public std::runtime_error {
 public:
  SweepPointError(std::size_t point, const std::string& message, int exit_code)
      : std::runtime_error(message), point_(point), exit_code_(exit_code) {}
  std::size_t point() const { return point_; }
  int exit_code() const { return exit_code_; }

 private:
  std::size_t point_;
  int exit_code_;
};

// "sweep point 3 (workload.algorithm=nvls, workload.bytes=4 MiB)": how errors and logs name points[index].
std::string describe_point(const std::vector<SweepPoint>& points, std::size_t index);

// Runs points[indices[k]] for every k, `jobs` at a time; result k is the metrics of points[indices[k]]. On failure
// throws SweepPointError for the failed point (the first one to fail; the lowest index when several fail at once
// is not guaranteed with jobs > 1). A progress line, starting with `label`, goes to `progress` once the points
// have run for over a second.
// With `errors` (keep going): a point that fails, or that was invalid already (SweepPoint::error), leaves empty
// metrics and its message in (*errors)[k] instead of throwing.
std::vector<wl::Metrics> run_sweep_points(const std::vector<SweepPoint>& points,
                                          const std::vector<std::size_t>& indices, int jobs, std::ostream& progress,
                                          const std::string& label = "sweep",
                                          std::vector<std::string>* errors = nullptr);

// CSV: one row per point in sweep order (metrics[i] belongs to points[i]); columns point, the swept keys, `frontier`
// (1 on the Pareto frontier) when the scenario has a frontier spec, then every metric (union over points, in order
// of first appearance; a collective point's by_size.<bytes>.* only when it measured several sizes, since with one
// they repeat its headline figures). Throws BadInput when a frontier metric is missing from a point's results.
// With any non-empty `errors[i]`, a last column `error` holds each failed point's message (its metric cells
// empty); failed points are never on the frontier.
std::string sweep_csv(const std::vector<SweepPoint>& points, const std::vector<wl::Metrics>& metrics,
                      const std::vector<std::string>& errors = {});

// Both of the above for every point, in one process; with a frontier spec the frontier's points are also listed
// on `progress`.
// `keep_going`: failed points become rows with an error; `failed` (if given) counts them.
std::string run_sweep_csv(const std::vector<SweepPoint>& points, int jobs, std::ostream& progress,
                          bool keep_going = false, std::size_t* failed = nullptr);

// The CSV of points that have run (every point's metrics and error, in sweep order), with the failed points and
// the frontier listed on `progress`: the end of run_sweep_csv, and of an MPI sweep on rank 0.
std::string report_sweep_csv(const std::vector<SweepPoint>& points, const std::vector<wl::Metrics>& metrics,
                             const std::vector<std::string>& errors, std::ostream& progress,
                             std::size_t* failed = nullptr);

}  // namespace dcsim::app
