// `workload.kind: serving` read into wl::ServingWorkload (docs/serving.md lists every key). A pool may name
// another catalog system (`system:`) for heterogeneous disaggregation; it is resolved through the catalog here.
#pragma once

#include <optional>
#include <string>

#include "app/catalog.hpp"
#include "app/config/node.hpp"
#include "hw/spec.hpp"
#include "workloads/model.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::app {

// Precision names in serving and agents YAML (kPrecisions): the hardware precision, and the bytes of one element.
inline const Choices kPrecisions = {"bf16", "fp8", "fp4"};
hw::Precision precision_of(const std::string& s);
double element_bytes(const std::string& s);

// Keys every model instance shares (serving pools and the agents' instance), read from instance mapping `n`:
// the MoE expert layout (`expert_tp`, default tp when ep = 1, else 1; `eplb`) after tp and ep are set, checked
// against the model; and the engine's memory policy (`memory_utilization`, vLLM's, default 0.9, or
// `kv_free_memory_fraction`, TensorRT-LLM's; at most one).
void parse_expert_layout(const ConfigNode& n, wl::PoolSpec& p, const wl::ModelSpec& model);
void parse_memory_policy(const ConfigNode& n, wl::PoolSpec& p);

// `w` is the workload mapping; calls w.finish().
wl::ServingWorkload parse_serving(const ConfigNode& w, const hw::ClusterSpec& cluster,
                                  const std::optional<wl::ModelSpec>& model, const Catalog& catalog);

}  // namespace dcsim::app
