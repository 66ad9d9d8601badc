// A simulated step's result: throughput, FLOPs under each MFU convention, the exposed communication and bubble of
// the critical stage, memory, power and energy (every GPU at the step's mean activity), a campaign's goodput, and
// the plan's info lines (docs/pretraining.md, "Metrics").
#pragma once

#include <cstdint>

#include "hw/topology.hpp"
#include "workloads/metrics.hpp"
#include "workloads/pretraining/layer_cost.hpp"
#include "workloads/pretraining/step_trace.hpp"

namespace dcsim::wl {

RunResult report_step(const LayerCostModel& model, const hw::Topology& topo, const SimulatedStep& step,
                      std::uint64_t seed);

}  // namespace dcsim::wl
