// `workload.kind: collective` read into wl::CollectiveWorkload (docs/network.md, "nccl-tests parity"): sizes as a
// list (`bytes`) or as nccl-tests' range (`min_bytes`, `max_bytes`, `step_factor` or `step_bytes`), `dtype`,
// `redop`, `algorithm`, `iterations`, `gpus`.
#pragma once

#include "app/schema/reader.hpp"
#include "hw/spec.hpp"
#include "workloads/collective_workload.hpp"

namespace dcsim::app {

// `w` is the workload mapping; calls w.finish().
wl::CollectiveWorkload parse_collective(const schema::Reader& w, const hw::ClusterSpec& cluster);

}  // namespace dcsim::app
