#include "hw/populated_fabric.hpp"

#include <algorithm>
#include <cmath>

namespace dcsim::hw {

PopulatedFabric populated_fabric(const FabricShape& f, int radix) {
  PopulatedFabric p;
  if (f.tiers == 0 || f.nics == 0) return p;
  p.nic_cables = f.nics;
  p.switch_ports = f.nics;
  p.switches = f.leaves;
  if (f.tiers == 1) return p;
  const double uplinks = std::ceil(static_cast<double>(f.nics) * f.leaf_up / std::max(1, f.leaf_down));
  p.leaf_spine_cables = uplinks;
  if (f.tiers == 2) {
    p.switches += std::ceil(uplinks / radix);
    p.switch_ports += 2 * uplinks;
    return p;
  }
  p.switches += std::ceil(uplinks / std::max(1, radix / 2));
  p.spine_core_cables = uplinks;
  p.switches += std::ceil(uplinks / radix);
  p.switch_ports += 4 * uplinks;
  return p;
}

}  // namespace dcsim::hw
