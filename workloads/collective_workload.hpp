// `workload.kind: collective`, the nccl-tests of dcsim: one collective over a group of GPUs, timed at one or more
// message sizes, reporting nccl-tests' algbw and busbw, and the energy the fabric and GPUs spent.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hw/spec.hpp"
#include "sim/trace.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::wl {

struct CollectiveWorkload {
  std::string op = "all_reduce";    // all_reduce, all_gather, reduce_scatter, all_to_all, broadcast, send_recv
  std::vector<double> bytes;        // message sizes (nccl-tests' "size": the buffer each rank holds), ascending
  std::string algorithm = "auto";   // auto, ring, tree, nvls, hierarchical
  int iterations = 20;              // back-to-back repetitions per size (energy and the flow model see them all)
  int gpus = 0;                     // ranks taking part; 0 = every GPU of the cluster
};

enum class NetworkFidelity { analytical, flow };

// Why the forced algorithm cannot run this collective on its group (e.g. nvls for anything but an all-reduce
// inside one NVLS-capable domain, tree or hierarchical inside one domain), or nullopt when it can. The front end
// turns it into an error at `workload.algorithm` before anything runs.
std::optional<std::string> collective_plan_error(const CollectiveWorkload& w, const hw::ClusterSpec& cluster);

// Runs the collective at each size on the event core. Metrics (SI units): time_s, algbw_gbs, busbw_gbs for the
// largest size, the same per size under by_size.<bytes>, and the energy and power breakdown of the run.
RunResult run_collective(const CollectiveWorkload& w, const hw::ClusterSpec& cluster, NetworkFidelity fidelity,
                         sim::TraceRecorder* trace);

}  // namespace dcsim::wl
