// `workload.kind: pretraining` read into wl::PretrainingWorkload (docs/pretraining.md lists every key). The plan is
// checked here (wl::check_plan), so an invalid plan is a ConfigError at the workload key to change.
#pragma once

#include <optional>

#include "app/catalog.hpp"
#include "app/schema/reader.hpp"
#include "hw/spec.hpp"
#include "workloads/model.hpp"
#include "workloads/pretraining/pretraining.hpp"

namespace dcsim::app {

// `w` is the workload mapping; calls w.finish().
wl::PretrainingWorkload parse_pretraining(const schema::Reader& w, const hw::ClusterSpec& cluster,
                                          const std::optional<wl::ModelSpec>& model, const Catalog& catalog);

}  // namespace dcsim::app
