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

// `w` is the workload mapping; calls w.finish().
wl::ServingWorkload parse_serving(const ConfigNode& w, const hw::ClusterSpec& cluster,
                                  const std::optional<wl::ModelSpec>& model, const Catalog& catalog);

}  // namespace dcsim::app
