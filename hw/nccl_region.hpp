// A network plugin's tuner that overrides NCCL's choice by region. aws-ofi-nccl's default "region" tuner
// (src/tuner/nccl_ofi_regions.cpp) maps (bytes, ranks) to an algorithm and protocol through polygons drawn in
// (log2 bytes, log2 ranks), per platform and per ranks-per-node layout, and stays out of 2 nodes or fewer. The
// catalog's NIC entries carry the tables (configs/hw/nics); hw/nccl_tuner applies them.
#pragma once

#include <array>
#include <vector>

#include "hw/collective_kinds.hpp"

namespace dcsim::hw {

struct NcclRegion {
  CollectiveOp op = CollectiveOp::all_reduce;
  CollectiveAlgo algorithm = CollectiveAlgo::ring;
  Protocol protocol = Protocol::simple;
  std::vector<std::array<double, 2>> vertices;  // (bytes, ranks), in the plugin's order
};

struct NcclRegionTuner {
  int ranks_per_node = 0;            // the layout the regions were drawn for (0: no region tuner)
  std::vector<NcclRegion> regions;   // checked in order; the first that holds the point (edges included) wins
};

// True when (bytes, ranks) lies inside `r` or on its edge, in log2 coordinates (0 stands for 1e-6, as the plugin).
bool nccl_region_contains(const NcclRegion& r, double bytes, double ranks);

}  // namespace dcsim::hw
