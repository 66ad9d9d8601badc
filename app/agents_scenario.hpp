// `workload.kind: agents` read into wl::AgentsWorkload (docs/agents.md lists every key with its default and source).
#pragma once

#include <optional>

#include "app/catalog.hpp"
#include "app/schema/reader.hpp"
#include "hw/spec.hpp"
#include "workloads/agents/agents_workload.hpp"
#include "workloads/model.hpp"

namespace dcsim::app {

// `w` is the workload mapping; calls w.finish().
wl::AgentsWorkload parse_agents(const schema::Reader& w, const hw::ClusterSpec& cluster,
                                const std::optional<wl::ModelSpec>& model, const Catalog& catalog);

}  // namespace dcsim::app
