// nccl-tests' text output for a collective run (src/common.cu of NVIDIA/nccl-tests): one row per size with size,
// count, type, redop, root, then time (us), algbw and busbw (GB/s) out-of-place and in-place, and the
// "Avg bus bandwidth" line, so a user can paste a real nccl-tests log beside dcsim's and compare line by line.
// dcsim does not tell in-place from out-of-place (both move the same bytes), so both columns carry one figure.
#pragma once

#include <string>

#include "workloads/collective_workload.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::app {

std::string format_nccl_tests(const wl::CollectiveWorkload& w, const wl::RunResult& result);

}  // namespace dcsim::app
