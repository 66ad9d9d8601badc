// The part of a scale-out fabric that draws power: switches with at least one cable, ports with a cable, cables
// with their transceivers. The topology (hw/topology.hpp) keeps every leaf's full uplink bundle for routing; a
// deployment cables uplinks only in proportion to the downlinks in use, at the fabric's oversubscription, which
// leaves every NIC the same bandwidth (a leaf can send no more up than its populated downlinks bring), so power
// follows the nodes in use rather than the size the switches could reach (docs/power.md, "Network").
#pragma once

#include "hw/topology.hpp"

namespace dcsim::hw {

struct PopulatedFabric {
  double switches = 0;           // leaves, spines and cores with a cable
  double switch_ports = 0;       // populated switch ports (both ends of switch-switch cables, the leaf end of NIC cables)
  double nic_cables = 0;         // NIC to leaf
  double leaf_spine_cables = 0;
  double spine_core_cables = 0;
};

// Sizes the populated fabric from the topology's shape: uplinks = ceil(NICs x leaf_up / leaf_down) over all leaves
// (per-leaf rounding ignored), spines = ceil(uplinks / radix) (two tiers) or ceil(uplinks / (radix / 2)) with as
// many spine-core cables as leaf-spine ones (three tiers, spines split half down, half up), cores =
// ceil(spine-core cables / radix).
PopulatedFabric populated_fabric(const FabricShape& shape, int radix);

}  // namespace dcsim::hw
