// `workload.kind: serving` read into wl::ServingWorkload (docs/serving.md lists every key). A pool may name
// another catalog system (`system:`) for heterogeneous disaggregation; it is resolved through the catalog here.
#pragma once

#include <optional>

#include "app/catalog.hpp"
#include "app/config/node.hpp"
#include "hw/spec.hpp"
#include "workloads/model.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::app {

// `w` is the workload mapping; calls w.finish().
wl::ServingWorkload parse_serving(const ConfigNode& w, const hw::ClusterSpec& cluster,
                                  const std::optional<wl::ModelSpec>& model, const Catalog& catalog);

}  // namespace dcsim::app
