// The declarations printed for people: docs/reference.md (every key: type, unit and range, default, rule, doc) and
// `dcsim explain KEY` (one key's entry).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "app/schema/schema.hpp"

namespace dcsim::app::schema {

// docs/reference.md: one table per block, in the order a scenario nests them, each block once.
std::string reference_markdown(const SectionPtr& root);

// The entries of a dotted key ("workload.parallelism.tp", "hardware.scale_out.nic", "workload.classes.name");
// a key under `workload` may be declared by several kinds (instance.tp: serving and agents), each an entry.
// Empty when nothing is declared there.
std::vector<std::string> explain(const SectionPtr& root, std::string_view dotted_key);

// The declarations of a dotted key, one per workload kind that declares it (empty when none does).
std::vector<const Key*> declarations_of(const SectionPtr& root, std::string_view dotted_key);

// Every declared dotted key (list items without an index), for did-you-mean.
std::vector<std::string> declared_paths(const SectionPtr& root);

}  // namespace dcsim::app::schema
