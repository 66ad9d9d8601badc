// Nodes and directed links of a cluster topology. A physical cable is two Links, one per direction, because
// bandwidth is a per-direction quantity and the flow model shares each direction separately.
#pragma once

#include <cstdint>

#include "hw/spec.hpp"

namespace dcsim::hw {

using NodeId = std::uint32_t;
using LinkId = std::uint32_t;

enum class NodeKind : std::uint8_t { gpu, nic, scale_up_switch, leaf, spine, core };
const char* to_string(NodeKind k);

// Which part of the fabric a link belongs to: decides energy accounting and which tuning constants apply.
enum class LinkKind : std::uint8_t {
  scale_up,    // GPU <-> its NVLink domain's switch plane
  gpu_nic,     // GPU <-> NIC (PCIe / host side); carries no network energy
  nic_leaf,    // NIC <-> leaf switch
  leaf_spine,  // leaf <-> spine (a bundle of parallel cables, see docs/network.md)
  spine_core,  // spine <-> core (three-tier fabrics only)
};
inline constexpr int kLinkKinds = 5;
const char* to_string(LinkKind k);

struct Link {
  NodeId src = 0;
  NodeId dst = 0;
  LinkKind kind = LinkKind::scale_up;
  Medium medium = Medium::copper;
  double bandwidth = 0;       // bytes/s in this direction
  double latency = 0;         // seconds: propagation plus the port-to-port latency of the node it enters
  double energy_per_bit = 0;  // joules per bit carried
};

}  // namespace dcsim::hw
