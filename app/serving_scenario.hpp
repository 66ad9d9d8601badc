// `workload.kind: serving` read into wl::ServingWorkload (docs/serving.md lists every key). A pool may name
// another catalog system (`system:`) for heterogeneous disaggregation; it is resolved through the catalog here.
#pragma once

#include <optional>
#include <string>

#include "app/catalog.hpp"
#include "app/schema/reader.hpp"
#include "hw/spec.hpp"
#include "workloads/model.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::app {

// Precision names in serving and agents YAML: the hardware precision, and the bytes of one element.
hw::Precision precision_of(const std::string& s);
double element_bytes(const std::string& s);

// The keys every model instance shares (serving pools and the agents' replica; schema::engine_instance_keys):
// parallelism, the MoE expert layout (checked against the model), precisions, batch limits and the engine's memory
// policy. check_instance_precision: the GPU has a peak at the instance's compute precision.
void parse_engine_instance(const schema::Reader& n, wl::PoolSpec& p, const wl::ModelSpec& model);
void check_instance_precision(const schema::Reader& n, const wl::PoolSpec& p, const hw::GpuSpec& gpu);

// `w` is the workload mapping; calls w.finish().
wl::ServingWorkload parse_serving(const schema::Reader& w, const hw::ClusterSpec& cluster,
                                  const std::optional<wl::ModelSpec>& model, const Catalog& catalog);

}  // namespace dcsim::app
