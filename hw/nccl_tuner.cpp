#include "hw/nccl_tuner.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dcsim::hw {

namespace {

// Table rows: NCCL's algorithm order restricted to what dcsim runs; columns LL, LL128, Simple.
enum Row { kTree = 0, kRing = 1, kNvls = 2, kNvlsTree = 3 };
enum Hw { kNvlink = 0, kPci = 1, kNet = 2 };

// tuning.cc ncclTunerConstantsDefaults: baseLatencies and hwLatencies (microseconds).
constexpr double kBaseLat[4][3] = {{6.8, 14.0, 8.4}, {6.6, 14.0, 8.4}, {0, 0, 0}, {0, 0, 0}};
constexpr double kHwLat[3][4][3] = {
    {{0.6, 1.25, 4.0}, {0.6, 1.9, 3.4}, {0, 0, 25}, {0, 0, 25}},     // NVLink
    {{1.0, 1.9, 4.0}, {1.0, 2.5, 5.7}, {0, 0, 0}, {0, 0, 0}},        // PCI
    {{5.0, 8.5, 14}, {2.7, 4.0, 14.0}, {0, 0, 18}, {0, 0, 20.9}}};  // NET
// Indexed [generation: Volta, Ampere, Hopper, Blackwell][N1, N2, N4+]. llMaxBws' multi-node columns are by CPU
// vendor (row 0 = Intel and others); dcsim's catalog has no AMD host, so row 0 serves every multi-node case.
constexpr double kLlMaxBw[4][3] = {{39.0, 39.0, 20.4}, {87.7, 22.5, 19.0}, {141.0, 45.0, 35.0}, {282.0, 90.0, 70.0}};
constexpr double kPerChMaxRingLL128[4][3] = {{20, 20, 20}, {20, 20, 20}, {36.7, 36.7, 36.7}, {40, 40, 40}};
constexpr double kPerChMaxTreeLL128[4][3] = {{20, 20, 20}, {20, 20, 20}, {36.7, 36.7, 29.0}, {55.6, 31.67, 20.0}};
constexpr double kPerChMaxTree[4][3] = {{26.5, 18.5, 10.0}, {24.0, 23.6, 17.8}, {38.7, 41.4, 36.0}, {70.0, 42.8, 24.0}};
constexpr double kPerChMaxNvlsTree[4][3] = {{26.5, 18.5, 10.0}, {24.0, 23.6, 17.8}, {0, 57.7, 45.5}, {0, 96.0, 80.0}};
constexpr double kNvlsEfficiency[4] = {0, 0, 0.85, 0.74};
// tuning.cc treeCorrectionFactor, by protocol and log2(bytes / 64).
constexpr double kTreeCorrection[3][24] = {
    {1.0, 1.0, 1.0, 1.0, .9, .8, .7, .7, .7, .7, .6, .5, .4, .4, .5, .6, .7, .8, .9, 1.0, 1.0, 1.0, 1.0, 1.0},
    {1.0, 1.0, 1.0, 1.0, 1.0, .9, .8, .8, .8, .7, .6, .6, .6, .6, .6, .6, .8, .9, .9, .9, .9, 1.0, 1.0, 1.0},
    {.9, .9, .9, .9, .9, .9, .9, .8, .7, .6, .6, .5, .5, .5, .5, .6, .7, .8, .7, .7, .8, .9, .9, .9}};

// search.cc speed lists (GB/s per channel), by generation.
constexpr double kIntraDefault[] = {40, 30, 20, 18, 15, 12, 10, 9, 7, 6, 5, 4, 3};
constexpr double kInterDefault[] = {48, 30, 28, 24, 20, 18, 15, 12, 10, 9, 7, 6, 5, 4, 3, 2.4, 1.2, 0.24, 0.12};
constexpr double kIntraSm90[] = {60, 50, 40, 30, 24, 20, 15, 12, 11, 6, 3};
constexpr double kInterSm90[] = {48, 45, 42, 40, 30, 24, 22, 20, 17.5, 15, 12, 6, 3, 2.4, 1.2, 0.24, 0.12};
constexpr double kIntraSm100[] = {90, 80, 70, 60, 50, 45, 40, 30, 24, 20, 19, 18};
constexpr double kInterSm100[] = {96, 86, 80, 48, 45.1, 42, 40, 30, 24, 22, 20, 17.5, 15, 12, 6, 3, 2.4, 1.2, 0.24, 0.12};

constexpr int kMaxRingChannels = 32;  // MAXCHANNELS / 2 (connect.cc: ringGraph->maxChannels)
constexpr int kMaxNvlsArity = 32;     // NCCL_MAX_NVLS_ARITY

int generation(int cc) { return cc >= 100 ? 3 : cc >= 90 ? 2 : cc >= 80 ? 1 : 0; }

std::span<const double> intra_speeds(int cc) {
  if (cc >= 100) return kIntraSm100;
  if (cc >= 90) return kIntraSm90;
  return kIntraDefault;
}

std::span<const double> inter_speeds(int cc) {
  if (cc >= 100) return kInterSm100;
  if (cc >= 90) return kInterSm90;
  return kInterDefault;
}

int log2i(double x) {
  if (x < 1) return -1;
  int r = 0;
  auto v = static_cast<unsigned long long>(x);
  while (v >>= 1) ++r;
  return r;
}

int row_of(CollectiveAlgo a) {
  switch (a) {
    case CollectiveAlgo::tree: return kTree;
    case CollectiveAlgo::ring: return kRing;
    case CollectiveAlgo::nvls: return kNvls;
    case CollectiveAlgo::nvls_tree: return kNvlsTree;
    default: return -1;
  }
}

// ncclTopoDupChannels: at >= 25 GB/s a channel is split in two (not from Ampere on when under 50 GB/s and more
// than 4 channels), up to the ring's channel limit.
NcclGraph duplicate(NcclGraph g, int cc) {
  if (g.channels == 0 || g.bw_intra < 25.0) return g;
  if (cc > 80 && g.bw_intra < 50.0 && g.channels > 4) return g;
  const int dup = std::min(2 * g.channels, kMaxRingChannels);
  const int factor = (dup + g.channels - 1) / g.channels;
  g.bw_intra /= factor;
  g.bw_inter /= factor;
  g.channels = dup;
  return g;
}

}  // namespace

double nccl_nvlink_gbs(int compute_capability, double nominal_bytes_per_s) {
  const double factor = compute_capability >= 100 ? 40.1 / 50.0 : compute_capability >= 90 ? 20.6 / 25.0 : 20.0 / 25.0;
  return nominal_bytes_per_s / 1e9 * factor;
}

NcclGraph nccl_ring_graph(int cc, double nvlink_gbs, int nics_per_node, double nic_gbs, bool multi_node) {
  // The search keeps the graph with the most channels x speed, trying speeds from the top of the list and never
  // below half the first speed that works; ties keep the faster channels.
  NcclGraph best;
  double first = 0;
  for (double s : multi_node ? inter_speeds(cc) : intra_speeds(cc)) {
    if (s > nvlink_gbs || (multi_node && s > nic_gbs)) continue;
    if (first > 0 && s / first <= 0.49) break;
    if (first == 0) first = s;
    // Capped as doubles before the cast: a link without a bandwidth limit (infinite) would overflow int.
    const auto channels = [](double gbs, double speed) {
      return static_cast<int>(std::min<double>(kMaxRingChannels, std::floor(gbs / speed + 1e-9)));
    };
    int c = channels(nvlink_gbs, s);
    if (multi_node) c = std::min(c, nics_per_node * channels(nic_gbs, s));
    c = std::min(c, kMaxRingChannels);
    if (c > 0 && c * s > best.channels * best.bw_intra + 1e-9) best = NcclGraph{c, s, s};
  }
  return duplicate(best, cc);
}

int nccl_nvls_heads(int gpus_per_node) { return std::min(kMaxNvlsArity, gpus_per_node); }

int nccl_nvls_channels(int compute_capability) { return compute_capability >= 100 ? 32 : 16; }

NcclGraph nccl_nvls_graph(int cc, double nvlink_gbs, int gpus_per_node, double nic_gbs, bool multi_node) {
  NcclGraph g;
  const int heads = nccl_nvls_heads(gpus_per_node);
  if (cc < 90 || heads < 2) return g;
  // Patterns other than the ring need not return to their start, so the search allows n/(n-1) of the NVLink.
  const double total = nvlink_gbs * gpus_per_node / (gpus_per_node - 1.0);
  const auto intra = intra_speeds(cc);
  for (double s : intra) {
    if (s <= nvlink_gbs && heads * s <= total + 1e-9) {
      g = NcclGraph{heads, s, s};
      break;
    }
  }
  if (g.channels == 0) return g;
  // Pass 2 raises bwInter while it stays under twice bwIntra: up to the NIC across nodes, to the list's top inside.
  if (multi_node) {
    for (double s : inter_speeds(cc)) {
      if (s <= nic_gbs && s < 2 * g.bw_intra) {
        g.bw_inter = s;
        break;
      }
    }
  } else {
    for (double s : intra) {
      if (s < 2 * g.bw_intra) {
        g.bw_inter = std::max(g.bw_intra, s);
        break;
      }
    }
  }
  return g;
}

double nccl_predicted_time_us(CollectiveOp op, CollectiveAlgo algo, Protocol proto, double bytes,
                              const NcclSystem& s) {
  const int a = row_of(algo);
  const int p = static_cast<int>(proto);  // LL, LL128, Simple: NCCL's order
  const int n = s.ranks, N = std::max(1, s.nodes);
  if (a < 0 || n <= 1) return -1;
  const bool ar = op == CollectiveOp::all_reduce;
  const bool ag_rs = op == CollectiveOp::all_gather || op == CollectiveOp::reduce_scatter;
  const bool bcast = op == CollectiveOp::broadcast;
  if (!ar && !ag_rs && !bcast) return -1;  // all-to-all and send/recv are NCCL p2p, outside this model
  if (bcast && a != kRing) return -1;
  if (ag_rs && a != kRing && a != kNvls) return -1;
  if ((a == kNvls || a == kNvlsTree) && proto != Protocol::simple) return -1;
  if (a == kNvlsTree && (N == 1 || !ar)) return -1;
  if (a == kNvls && N > 1) return -1;  // NVLS across nodes needs CollNet (SHARP), which dcsim does not model
  const double ppn = static_cast<double>(n) / N;
  if (proto == Protocol::ll128 && !(s.nvlink || ppn == 1)) return -1;  // LL128 needs NVLink-class paths
  const NcclGraph& g = (a == kNvls || a == kNvlsTree) ? s.nvls : s.ring;
  if (g.channels == 0) return -1;
  const int gen = generation(s.compute_capability);
  const int i2 = N <= 2 ? N - 1 : 2;
  const int i1 = N == 1 ? gen : 0;
  const int nsteps = ar ? 2 * (n - 1) : ag_rs ? n - 1 : n;

  // Latency.
  const int intra_hw = s.nvlink ? kNvlink : kPci;
  const int hw = N == 1 ? intra_hw : kNet;
  double lat = kBaseLat[a][p];
  double intra_lat = kHwLat[intra_hw][a][p];
  double inter_lat = (ppn == 1 ? kHwLat[kNet][kTree][p] : kHwLat[kNet][a][p]) + s.plugin_latency_us;
  if (proto == Protocol::simple) inter_lat += s.plugin_latency_us;  // the flush
  if (a == kRing) {
    if (bcast) {
      lat += kHwLat[hw][a][p];
    } else {
      double overhead = N > 1 ? s.net_overhead_us * (proto == Protocol::simple ? 3 : 1) : 0;
      intra_lat = std::max(intra_lat, overhead);
      const int inter_steps = N == 1 ? 0 : ar ? 2 * (N - 1) : N - 1;
      lat += (nsteps - inter_steps) * intra_lat + inter_steps * inter_lat;
    }
  } else if (a == kTree) {
    if (!ar) return -1;
    lat += 2 * ((ppn - 1) * intra_lat + log2i(N) * inter_lat);
  } else if (a == kNvls) {
    lat = intra_lat;
  } else {
    lat += intra_lat + 2 * log2i(N) * inter_lat;
  }

  // Bandwidth (GB/s): busBw from the graph, refined per algorithm and protocol, then converted to algBw.
  double bw = N <= 2 ? g.bw_intra : g.bw_inter;
  if (a == kNvls || a == kNvlsTree) {
    if (g.channels < 2) return -1;
    double intra_bw = g.bw_intra * kNvlsEfficiency[gen] * (g.channels - 1) / g.channels;
    intra_bw *= ar ? 2.0 : (ppn - 1) / ppn;
    const double inter_bw = g.bw_inter * ((N <= 2 && a == kNvlsTree) ? 2 : 1);
    bw = std::min(intra_bw, inter_bw);
    if (a == kNvlsTree) bw = std::min(bw, kPerChMaxNvlsTree[gen][i2]);
  }
  const int C = g.channels;
  double bus = C * bw;
  if (a == kRing && proto == Protocol::ll) bus = std::min(kLlMaxBw[i1][i2], bus * 0.5);
  if (a == kRing && proto == Protocol::ll128) bus = std::min(bus * 0.92, C * kPerChMaxRingLL128[gen][i2]);
  if (a == kTree) bus = std::min(bus * 0.92, C * kPerChMaxTree[gen][i2]);
  if (a == kTree && proto == Protocol::ll) bus = std::min(bus / 3.8, kLlMaxBw[i1][i2]);
  if (a == kTree && proto == Protocol::ll128) {
    bus = std::min(bus * (N == 1 ? 7.0 / 9.0 : 120.0 / 128.0), C * kPerChMaxTreeLL128[gen][i2]);
  }
  if (!(a != kRing && ag_rs)) bus *= (a == kTree) ? 0.5 : static_cast<double>(n) / nsteps;
  if (bus <= 0) return -1;

  // Per-call corrections (ncclTopoGetAlgoTime).
  const int log_size = log2i(std::floor(bytes / 64));
  if (a == kTree && log_size >= 0 && log_size < 23) bus *= kTreeCorrection[p][log_size];
  if (a == kNvlsTree && log_size >= 0 && log_size < 24 && s.compute_capability >= 100 && s.x86) {
    bus *= kTreeCorrection[p][log_size];
  }
  if (a == kRing && proto == Protocol::simple && N > 1 && ar && bytes / (s.ring.channels * n) >= 64) {
    lat *= s.compute_capability < 80 ? 1.9 : 1.4;  // "plateau effect of ring"
  }
  return lat + bytes / (1000.0 * bus);
}

double nccl_algbw_cap_gbs(CollectiveOp op, CollectiveAlgo algo, Protocol proto, const NcclSystem& s) {
  constexpr double kNone = std::numeric_limits<double>::infinity();
  const int n = s.ranks, N = std::max(1, s.nodes);
  const bool ar = op == CollectiveOp::all_reduce;
  const bool ag_rs = op == CollectiveOp::all_gather || op == CollectiveOp::reduce_scatter;
  if (n <= 1 || (!ar && !ag_rs && op != CollectiveOp::broadcast)) return kNone;
  const int gen = generation(s.compute_capability);
  const int i2 = N <= 2 ? N - 1 : 2;
  const int i1 = N == 1 ? gen : 0;
  const int nsteps = ar ? 2 * (n - 1) : ag_rs ? n - 1 : n;
  const double ring_ratio = static_cast<double>(n) / nsteps;
  switch (algo) {
    case CollectiveAlgo::ring:
      if (proto == Protocol::ll) return kLlMaxBw[i1][i2] * ring_ratio;
      if (proto == Protocol::ll128) return s.ring.channels * kPerChMaxRingLL128[gen][i2] * ring_ratio;
      return kNone;
    case CollectiveAlgo::tree: {
      if (!ar) return kNone;
      double bus = s.ring.channels * kPerChMaxTree[gen][i2];
      if (proto == Protocol::ll128) bus = std::min(bus, s.ring.channels * kPerChMaxTreeLL128[gen][i2]);
      if (proto == Protocol::ll) bus = std::min(bus, kLlMaxBw[i1][i2]);
      return bus * 0.5;
    }
    case CollectiveAlgo::nvls_tree: {
      const double per_channel = kPerChMaxNvlsTree[gen][i2];
      if (!ar || per_channel <= 0 || s.nvls.channels == 0) return kNone;
      return s.nvls.channels * per_channel * ring_ratio;
    }
    default: return kNone;
  }
}

NcclChoice nccl_select(CollectiveOp op, double bytes, const NcclSystem& s, std::span<const CollectiveAlgo> candidates) {
  NcclChoice best;
  const NcclRegionTuner* rt = s.region_tuner;
  if (rt && rt->ranks_per_node > 0 && s.nodes > 2 && s.ranks == rt->ranks_per_node * s.nodes) {
    for (const NcclRegion& r : rt->regions) {
      if (r.op != op) continue;
      if (std::find(candidates.begin(), candidates.end(), r.algorithm) == candidates.end()) continue;
      const double t = nccl_predicted_time_us(op, r.algorithm, r.protocol, bytes, s);
      if (t < 0) continue;
      if (nccl_region_contains(r, bytes, s.ranks)) return NcclChoice{r.algorithm, r.protocol, t};
    }
  }
  // NCCL scans algorithms in its own order (Tree, Ring, ..., NVLS, NVLSTree) and keeps the first strict minimum.
  constexpr CollectiveAlgo kOrder[] = {CollectiveAlgo::tree, CollectiveAlgo::ring, CollectiveAlgo::nvls,
                                       CollectiveAlgo::nvls_tree};
  for (CollectiveAlgo a : kOrder) {
    if (std::find(candidates.begin(), candidates.end(), a) == candidates.end()) continue;
    for (Protocol p : {Protocol::ll, Protocol::ll128, Protocol::simple}) {
      const double t = nccl_predicted_time_us(op, a, p, bytes, s);
      if (t >= 0 && (best.predicted_us < 0 || t < best.predicted_us)) best = NcclChoice{a, p, t};
    }
  }
  return best;
}

}  // namespace dcsim::hw
