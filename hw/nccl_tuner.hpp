// NCCL's own tuning model (NCCL 2.30.7, src/graph/tuning.cc and search.cc): how NCCL picks an algorithm and a
// protocol for a collective. NCCL predicts each (algorithm, protocol)'s time as latency + bytes / bandwidth from
// fixed tables and the channels its topology search finds, and runs the cheapest. The prediction is a selection
// rule, not a measurement (on AWS the plugin reports an inflated latency on purpose), so dcsim uses it only to choose
// what NCCL would run and prices that choice with its own physical model (hw/collectives). docs/network.md, "What
// NCCL runs".
#pragma once

#include <span>

#include "hw/collectives.hpp"
#include "hw/nccl_region.hpp"

namespace dcsim::hw {

// One of NCCL's topology graphs, as its search leaves it: channels and GB/s per channel inside and between nodes.
struct NcclGraph {
  int channels = 0;
  double bw_intra = 0;  // GB/s per channel
  double bw_inter = 0;  // GB/s per channel
};

// What NCCL's tuner reads about a communicator.
struct NcclSystem {
  int ranks = 0;
  int nodes = 0;                  // NVLink domains (MNNVL counts a domain as one node)
  int compute_capability = 90;    // major x 10 + minor (Hopper 90, Blackwell 100)
  bool nvlink = true;             // ranks of a node talk over NVLink (otherwise PCIe)
  bool x86 = true;                // host CPU architecture (NVLSTree's correction factor applies on x86 only)
  double plugin_latency_us = 0;   // latency the network plugin reports (InfiniBand 0; aws-ofi-nccl 75 or 35)
  double net_overhead_us = 1.0;   // NCCL's per-step network post overhead (Intel and others 1 us, AMD 2 us)
  NcclGraph ring;                 // the tree uses the ring's channels and speeds
  NcclGraph nvls;                 // channels 0: no NVLS graph
  const NcclRegionTuner* region_tuner = nullptr;  // the NIC plugin's region tuner, if any
};

// NCCL's aggregate NVLink bandwidth of a GPU in its own units (GB/s per direction): NCCL counts 20.0 GB/s per
// NVLink3 link, 20.6 per NVLink4 and 40.1 per NVLink5 (topo.h SM80/SM90/SM100_NVLINK_BW) against 25, 25 and 50
// nominal, so it scales the nominal bandwidth by 0.8, 0.824 or 0.802.
double nccl_nvlink_gbs(int compute_capability, double nominal_bytes_per_s);

// NCCL's ring (and tree) graph search, reduced to its speed choice (search.cc ncclTopoCompute): inside one node
// the highest per-channel speed of the generation's list whose channels fill the GPU's NVLink best; across nodes
// one channel per NIC at the highest speed the NIC and NVLink carry; then ncclTopoDupChannels doubles the channels
// and halves the speed when the speed is at least 25 GB/s (Ampere and later keep more than 4 channels under 50).
NcclGraph nccl_ring_graph(int compute_capability, double nvlink_gbs, int nics_per_node, double nic_gbs, bool multi_node);

// NCCL's NVLS heads on a domain of `gpus_per_node` GPUs: one per GPU, at most NCCL_MAX_NVLS_ARITY (search.cc).
int nccl_nvls_heads(int gpus_per_node);
// The channels NCCL runs NVLS/NVLSTree kernels on (src/transport/nvls.cc): 16 on Hopper, 32 between domains from
// Blackwell on. (Newer NCCL's SM100 table, ncclNvlsTreeSm100Tuning, is not modelled: docs/network.md.)
int nccl_nvls_channels(int compute_capability);

// NCCL's NVLS graph: one channel per head GPU (nccl_nvls_heads), at the highest intra-node speed whose heads fit
// the GPU's NVLink (non-ring patterns may use n/(n-1) of it); across nodes the NIC's speed.
NcclGraph nccl_nvls_graph(int compute_capability, double nvlink_gbs, int gpus_per_node, double nic_gbs,
                          bool multi_node);

// NCCL's predicted time in microseconds of one (algorithm, protocol) for `bytes` (nccl-tests' size: the buffer for
// all-reduce, the gathered size for all-gather and reduce-scatter), or -1 when NCCL would not consider it.
// Algorithms: ring, tree, nvls (one node), nvls_tree (several nodes); others return -1.
double nccl_predicted_time_us(CollectiveOp op, CollectiveAlgo algo, Protocol proto, double bytes, const NcclSystem& s);

// NCCL's per-channel kernel throughput limits as an algorithm bandwidth (GB/s; infinity where there is none):
// ring LL at llMaxBw in all, ring LL128 at perChMaxRingLL128Bw per channel, the tree at perChMaxTreeBw per channel
// (and perChMaxTreeLL128Bw or llMaxBw for its protocol), NVLSTree at perChMaxNVLSTreeBw per NVLS channel; converted
// to algorithm bandwidth as NCCL does (tuning.cc). NVIDIA set them from measurement: a channel is one thread block
// that reduces and forwards at that rate whatever the links could carry.
double nccl_algbw_cap_gbs(CollectiveOp op, CollectiveAlgo algo, Protocol proto, const NcclSystem& s);

struct NcclChoice {
  CollectiveAlgo algorithm = CollectiveAlgo::ring;
  Protocol protocol = Protocol::simple;
  double predicted_us = -1;  // NCCL's own prediction; -1: nothing among the candidates runs
};

// The (algorithm, protocol) NCCL picks among `candidates`: the plugin's region when one holds the point (above 2
// nodes, in the layout the regions were drawn for, skipping regions whose choice NCCL would not run), otherwise the
// smallest predicted time (enqueue.cc). `predicted_us` is NCCL's own prediction either way.
NcclChoice nccl_select(CollectiveOp op, double bytes, const NcclSystem& s, std::span<const CollectiveAlgo> candidates);

}  // namespace dcsim::hw
