// `workload.kind: collective`, the nccl-tests of dcsim: one collective over a group of GPUs, timed at one or more
// message sizes, reporting nccl-tests' algbw and busbw, and the energy the fabric and GPUs spent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hw/spec.hpp"
#include "sim/trace.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::wl {

struct CollectiveWorkload {
  std::string op = "all_reduce";    // all_reduce, all_gather, reduce_scatter, all_to_all, broadcast, send_recv
  std::vector<double> bytes;        // message sizes (nccl-tests' "size", aligned as nccl-tests aligns), ascending
  std::string dtype = "float";      // nccl-tests' -d: sets the element count and the alignment, not the time
  int element_bytes = 4;
  std::string redop = "sum";        // nccl-tests' -o, reported; "none" for collectives that do not reduce
  std::string algorithm = "auto";   // auto, ring, tree, nvls, hierarchical
  int iterations = 20;              // back-to-back repetitions per size (energy and the flow model see them all)
  int gpus = 0;                     // ranks taking part; 0 = every GPU of the cluster
};

// nccl-tests' size convention (src/common.cu, each test's getCollByteCount): a requested size becomes
// count = size / element_bytes elements, and collectives that split the buffer over the ranks round the per-rank
// count down, so the size run is what nccl-tests prints in its "size" column (all_gather 1000 B of float on 8 ranks
// runs 992 B). nccl_count is the "count" column: elements per rank for all_gather, reduce_scatter and all_to_all.
double nccl_aligned_bytes(const std::string& op, double requested, int ranks, int element_bytes);
std::int64_t nccl_count(const std::string& op, double aligned, int ranks, int element_bytes);

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
