#include "hw/nccl_region.hpp"

#include <algorithm>
#include <cmath>

namespace dcsim::hw {

bool nccl_region_contains(const NcclRegion& r, double bytes, double ranks) {
  auto lg = [](double v) { return std::log2(v > 0 ? v : 1e-6); };
  const double px = lg(bytes), py = lg(ranks);
  const std::size_t n = r.vertices.size();
  if (n < 2) return false;
  constexpr double kEps = 1e-10;
  bool inside = false;
  for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
    const double xi = lg(r.vertices[i][0]), yi = lg(r.vertices[i][1]);
    const double xj = lg(r.vertices[j][0]), yj = lg(r.vertices[j][1]);
    // On the edge (the plugin counts it as inside).
    const double cross = (xj - xi) * (py - yi) - (yj - yi) * (px - xi);
    const double len = std::hypot(xj - xi, yj - yi);
    if (len > 0 && std::abs(cross) / len < kEps && px >= std::min(xi, xj) - kEps && px <= std::max(xi, xj) + kEps &&
        py >= std::min(yi, yj) - kEps && py <= std::max(yi, yj) + kEps) {
      return true;
    }
    if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

}  // namespace dcsim::hw
