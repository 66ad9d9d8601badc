// The scenario format's declarations, one function per block (each built once). The readers of app/ read through
// them; docs/reference.md, `dcsim explain` and `dcsim schema` print them.
#pragma once

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "app/schema/schema.hpp"

namespace dcsim::app::schema {

// An unbounded side of a key's range.
inline constexpr double kInf = std::numeric_limits<double>::infinity();

SectionPtr scenario_keys();    // the top level (keys_root.cpp)
SectionPtr hardware_keys();    // hardware: (keys_hardware.cpp)
SectionPtr model_keys();       // model: written inline, and the model catalog's files (keys_model.cpp)
SectionPtr workload_keys();    // workload: one variant per kind (keys_root.cpp)
SectionPtr collective_keys();  // workload (kind: collective) (keys_collective.cpp)
SectionPtr pretraining_keys(); // workload (kind: pretraining) (keys_pretraining.cpp)
SectionPtr serving_keys();     // workload (kind: serving) (keys_serving.cpp)
SectionPtr agents_keys();      // workload (kind: agents) (keys_agents.cpp)
SectionPtr plan_keys();        // plan: (keys_root.cpp)

// The serving pool's keys that agents' replicas share (tp, precisions, batch, memory policy), so that both
// workloads declare them once (keys_serving.cpp).
std::vector<Key> engine_instance_keys();

// nccl-tests' data types and their element sizes (keys_collective.cpp).
const std::vector<std::pair<std::string, int>>& collective_dtypes();

// The precisions a scenario names (pretraining GEMMs, serving weights, compute and KV).
const std::vector<std::string>& precision_names();

// The workload kinds, in the order the reference lists them.
const std::vector<std::string>& workload_kinds();

}  // namespace dcsim::app::schema
