// Plain descriptions of hardware parts, in SI units (FLOP/s, bytes, bytes/s, seconds, watts, joules).
// These are the catalog's shape: configs/hw/<kind>/<name>.yaml files use the same field names
// (docs/hardware.md lists them with units). Loading and validation live in app/; models in hw/ read these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hw/nccl_region.hpp"

namespace dcsim::hw {

enum class Precision { fp64, tf32, bf16, fp8, fp4 };
inline constexpr Precision kAllPrecisions[] = {Precision::fp64, Precision::tf32, Precision::bf16,
                                               Precision::fp8, Precision::fp4};
const char* to_string(Precision p);

// Physical medium of a link: decides energy per bit and static power per port.
enum class Medium { copper, pluggable_optics, co_packaged_optics };
inline constexpr Medium kAllMedia[] = {Medium::copper, Medium::pluggable_optics, Medium::co_packaged_optics};
const char* to_string(Medium m);

// One point of an efficiency curve: at `size` (FLOPs of one GEMM, or bytes of one copy) the part reaches
// `fraction` of its peak. Curves are interpolated log-linearly in size and clamped at both ends.
struct EfficiencyPoint {
  double size = 0;
  double fraction = 0;
};

struct PeakFlops {  // dense (no sparsity) peak, FLOP/s; 0 means the precision is not supported
  double fp64 = 0, tf32 = 0, bf16 = 0, fp8 = 0, fp4 = 0;
  double at(Precision p) const;
};

struct PowerRange {  // watts
  double idle = 0;
  double max = 0;    // TDP / maximum board power
};

// A GPU's board power: idle, the design maximum (TDP) that sets the dynamic range, and the enforced limit (a power
// cap, `power.limit`; equal to max when uncapped). Below the limit the clocks run at full speed; a cap below max
// lowers the clock so that full compute load draws the limit (docs/power.md, "Power capping").
struct GpuPower {
  double idle = 0;
  double max = 0;
  double limit = 0;
  // Exponent of dynamic power in clock frequency under DVFS (P_dyn ~ f^a): a cap at limit L runs compute at
  // ((L - idle) / (max - idle))^(1/a) of the full clock.
  double dvfs_exponent = 0;
};

struct GpuSpec {
  std::string name;
  PeakFlops flops;
  double hbm_capacity = 0;      // bytes, the vendor's figure
  double hbm_usable = 0;        // bytes CUDA exposes to applications (cudaMemGetInfo total): what engines budget
  double hbm_bandwidth = 0;     // bytes/s, peak
  double l2_capacity = 0;       // bytes
  double nvlink_bandwidth = 0;  // bytes/s per direction, per GPU (all links together)
  GpuPower power;
  // Achievable fraction of dense peak for large GEMMs, per precision (measured "maximum achievable matmul FLOPS").
  PeakFlops gemm_peak_fraction;
  // Size dependence, multiplied onto gemm_peak_fraction: size = FLOPs of one GEMM (2*M*N*K).
  std::vector<EfficiencyPoint> gemm_size_curve;
  // FP4 GEMMs' own size dependence, in place of gemm_size_curve for fp4: block-scaled FP4 kernels lose far more
  // per tile than BF16 at inference shapes (docs/hardware.md, "FP4 GEMMs by size"). Required with an fp4 peak.
  std::vector<EfficiencyPoint> fp4_gemm_size_curve;
  // p of the smooth roofline: a kernel with compute time tc and memory time tm takes (tc^p + tm^p)^(1/p), not
  // max(tc, tm), because its load pipeline and tensor cores overlap imperfectly where the two are close
  // (workloads/roofline.hpp; p fitted to DeepGEMM's H800 FP8 table, docs/hardware.md "Compute-memory overlap").
  double roofline_exponent = 0;
  // Weights a weight-only quantized GEMM (W4A16, W4A8, W8A16: weights narrower than the math) can dequantize per
  // second: its weight stream cannot outrun this, however fast HBM is (docs/hardware.md "Dequantization"). 0: no
  // measured limit.
  double dequant_rate = 0;
  // The clock the GPU holds under continuous full tensor-core load at its default power limit, as a fraction of
  // the clock its gemm_peak_fraction was measured at (a burst of a few hundred milliseconds): the "maximum
  // sustainable" over the "maximum achievable" matmul rate. Training runs its tensor cores for seconds at a time
  // and throttles to it (docs/hardware.md, "Sustained clock"). 1: not throttled, or not measured.
  double sustained_clock_fraction = 1.0;
  // Relative standard deviation of that sustained rate between GPUs of the model under the same load (their
  // power-capped clocks differ chip to chip): training's default straggler spread, each synchronising group waiting
  // for its slowest GPU (docs/hardware.md, "Sustained clock"). 0: not measured, or not throttled.
  double sustained_clock_spread = 0;
  // Streaming multiprocessors: the GEMM wave-quantization term counts output tiles against them
  // (workloads/roofline.hpp, gemm_wave_fill). 0: unknown, no wave term.
  int sm_count = 0;
  // Achievable fraction of peak HBM bandwidth by bytes moved in one kernel.
  std::vector<EfficiencyPoint> memory_curve;
  // Paged-KV decode attention: achievable fraction of peak HBM bandwidth by the KV bytes one call reads (one layer,
  // one GPU). Measured kernels pay a far larger fixed cost per call (page tables, split-KV reduction: ~20 us on
  // H100) and plateau lower than a streaming copy (docs/hardware.md, "Decode attention").
  std::vector<EfficiencyPoint> decode_attention_curve;
  // Fused causal attention in training (FlashAttention-class kernels, head dim 128, bf16): achieved fraction of the
  // dense bf16 peak by sequence length (`size` = tokens per sequence), forward and backward apart, as the kernel's
  // own benchmarks count FLOPs (4 b s^2 h d / 2 forward, 2.5x that backward: the backward recomputes QK^T). Empty:
  // the attention core is timed as GEMMs (docs/hardware.md, "Training attention").
  std::string training_attention_kernel;
  std::vector<EfficiencyPoint> training_attention_forward, training_attention_backward;
  // Share of the dynamic power range (max - idle) drawn when HBM streams at its achievable peak with the tensor
  // cores idle: memory-bound decode sits well below TDP (docs/power.md gives the source).
  double memory_power_share = 0;
  // CUDA compute capability x 10 (A100 80, H100 90, B200 100, GB300 103): which row of NCCL's tuning tables and
  // speed lists applies (hw/nccl_tuner.hpp).
  int compute_capability = 0;
  bool assumed = false;  // figures extrapolated, not published (e.g. Feynman)
};

enum class GpuLinkKind { pcie, nvlink_c2c };
enum class CpuArchitecture { x86_64, aarch64 };
inline constexpr CpuArchitecture kAllCpuArchitectures[] = {CpuArchitecture::x86_64, CpuArchitecture::aarch64};
const char* to_string(CpuArchitecture a);
inline constexpr GpuLinkKind kAllGpuLinkKinds[] = {GpuLinkKind::pcie, GpuLinkKind::nvlink_c2c};
const char* to_string(GpuLinkKind k);

struct CpuSpec {
  std::string name;
  CpuArchitecture architecture = CpuArchitecture::x86_64;
  int cores = 0;
  double single_thread_speed = 1.0;  // relative to the reference core (Sapphire Rapids class x86 = 1.0)
  double memory_capacity = 0;        // bytes
  double memory_bandwidth = 0;       // bytes/s
  GpuLinkKind gpu_link = GpuLinkKind::pcie;
  double gpu_link_bandwidth = 0;     // bytes/s per direction, CPU to its GPUs
  double gpu_link_latency = 0;       // seconds
  double gpu_link_energy_per_bit = 0;  // joules per bit
  PowerRange power;
  bool assumed = false;
};

// How fast collectives run on one fabric (NVLink domain or scale-out network): NCCL-style alpha-beta constants.
// Derivation and calibration in docs/network.md. Runs take every field from the catalog (configs/hw/systems and
// nics, each required); these defaults only serve specs built by hand in tests and benches, and are not kept in
// step with the calibrated catalog values (e.g. base_latency there is 4.4 us for NVLink4/5).
struct CollectiveTuning {
  double base_latency = 9.3e-6;          // seconds per collective: kernel launch, setup and final sync
  double ll_step_overhead = 0.35e-6;     // seconds per algorithm step on top of the path latency, LL protocol
  double ll128_step_overhead = 1.0e-6;   // same, LL128 protocol
  double simple_step_overhead = 3.0e-6;  // same, Simple protocol
  double ll_bandwidth_fraction = 0.5;        // LL carries 4 data bytes per 8-byte line
  double ll128_bandwidth_fraction = 0.9375;  // LL128 carries 120 data bytes per 128-byte line
  double ring_efficiency = 0.873;  // payload share of link bandwidth, Simple protocol (ring, tree, p2p)
  double nvls_efficiency = 0.693;  // same for in-switch reduction (NVLS / SHARP) traffic
  double nvls_latency = 10e-6;     // seconds added to an NVLS collective (multicast setup and barrier)
  double nvls_latency_per_gpu = 0;  // seconds more per GPU of the NVLS group (its barrier grows with the group)
  double nvls_reduction_rate = 0;   // bytes/s of reduced payload per GPU the switch sustains (NVLS algbw cap); 0 = none
  double chunk_bytes = 524288;     // bytes per pipelined chunk (NCCL Simple: 4 MiB buffer / 8 steps)
  double chunk_overhead = 94e-9;   // seconds of synchronisation per chunk, not overlapped with transfer
};

// How a NIC moves collective traffic between domains: InfiniBand verbs (RDMA, credit-based lossless), RoCE (RDMA
// over lossless Ethernet, e.g. Spectrum-X) and SRD (AWS EFA's reliable datagram through the libfabric plugin, with
// per-message work on the host). Each family's latencies and efficiencies sit in its catalog entry (docs/network.md).
enum class NicTransport { infiniband, roce, srd };
inline constexpr NicTransport kAllNicTransports[] = {NicTransport::infiniband, NicTransport::roce, NicTransport::srd};
const char* to_string(NicTransport t);

struct NicSpec {
  std::string name;
  NicTransport transport = NicTransport::infiniband;
  double bandwidth = 0;  // bytes/s per direction
  double latency = 0;    // seconds, NIC-to-NIC one way through the adapter
  // Latency the NIC's NCCL network plugin reports to NCCL's tuner (seconds): 0 for InfiniBand and RoCE; AWS's
  // aws-ofi-nccl reports a value tuned for algorithm choice, not a physical latency (docs/network.md).
  double nccl_plugin_latency = 0;
  // NVLSTree chunk sizes as the NIC's plugin leaves them (bytes): NCCL_NVLS_CHUNKSIZE (NCCL's default 128 KiB;
  // aws-ofi-nccl sets 512 KiB) and NCCL_NVLSTREE_MAX_CHUNKSIZE (0: NCCL's default rule, 64 KiB from 4 nodes;
  // aws-ofi-nccl sets 512 KiB). They set NVLSTree's pipeline fill (hw/collectives.hpp, nvls_tree_chunk_bytes).
  double nvls_tree_chunk = 131072;
  double nvls_tree_max_chunk = 0;
  // Point-to-point (send/recv, all-to-all) over the network: NCCL_P2P_NET_CHUNKSIZE as the plugin leaves it (NCCL's
  // default 128 KiB; aws-ofi-nccl sets 512 KiB), each chunk one network message, and the host's cost per message
  // completion that no transfer hides (aws-ofi-nccl's TUNER_NET_COMP_OVERHEAD, 3 us on EFA; 0: not measured).
  double p2p_chunk = 131072;
  double message_overhead = 0;
  // The plugin's region tuner (aws-ofi-nccl on EFA), which overrides NCCL's choice above 2 nodes; empty: none.
  NcclRegionTuner nccl_region_tuner;
  double power = 0;      // watts
  // Collectives over the scale-out network (assumed values, not yet calibrated: docs/network.md).
  CollectiveTuning collectives{.base_latency = 9.3e-6,
                               .ll_step_overhead = 1.5e-6,
                               .ll128_step_overhead = 2.5e-6,
                               .simple_step_overhead = 6.0e-6,
                               .ll_bandwidth_fraction = 0.5,
                               .ll128_bandwidth_fraction = 0.9375,
                               .ring_efficiency = 0.92,
                               .nvls_efficiency = 0.85,
                               .nvls_latency = 10e-6,
                               .chunk_bytes = 524288,
                               .chunk_overhead = 0};
};

enum class SwitchKind { nvswitch, infiniband, ethernet };
inline constexpr SwitchKind kAllSwitchKinds[] = {SwitchKind::nvswitch, SwitchKind::infiniband, SwitchKind::ethernet};
const char* to_string(SwitchKind k);

struct SwitchSpec {
  std::string name;
  SwitchKind kind = SwitchKind::ethernet;
  int radix = 0;                  // ports
  double port_bandwidth = 0;      // bytes/s per direction per port
  double latency = 0;             // seconds, port to port
  double power = 0;               // watts with every port populated (ASIC, board, fans), without optics
  double power_per_port = 0;      // watts a populated port adds (SerDes, port logic); an empty port draws none
  bool in_network_reduction = false;  // NVLS / SHARP
  Medium medium = Medium::copper;     // how its ports are usually cabled
  bool assumed = false;
};

struct OpticsSpec {
  std::string name;
  Medium medium = Medium::pluggable_optics;
  double bandwidth = 0;        // bytes/s per direction per port
  double power_per_port = 0;   // watts per module (one cage; a twin-port module carries two links of half its bandwidth)
  double energy_per_bit = 0;   // joules per bit (derived figure where the source gives watts)
};

enum class StorageTier { cpu_memory, local_nvme, network_flash };
inline constexpr StorageTier kAllStorageTiers[] = {StorageTier::cpu_memory, StorageTier::local_nvme,
                                                   StorageTier::network_flash};
const char* to_string(StorageTier t);

struct StorageSpec {
  std::string name;
  StorageTier tier = StorageTier::local_nvme;
  double capacity = 0;   // bytes
  double bandwidth = 0;  // bytes/s read
  double latency = 0;    // seconds per access
  double power = 0;      // watts, active (maximum)
  double idle_power = 0; // watts, powered and idle: what GPU workloads leave the tier at (docs/power.md)
};

// What interrupts a training job, and how often: one cause per line of a published failure breakdown, with the
// part it is counted per (a GPU, a host, a scale-out link, or the job itself) and its rate per part-hour
// (configs/hw/reliability/, docs/pretraining.md "Failures and goodput").
enum class FailurePart { gpu, host, link, job };
inline constexpr FailurePart kAllFailureParts[] = {FailurePart::gpu, FailurePart::host, FailurePart::link,
                                                   FailurePart::job};
const char* to_string(FailurePart p);

struct FailureCause {
  std::string name;      // "faulty-gpu", "hbm", ...
  std::string category;  // the source's category: GPU, host, network, software, maintenance
  FailurePart part = FailurePart::gpu;
  double rate_per_hour = 0;  // interruptions per part-hour
  bool planned = false;      // announced maintenance: the job saves a checkpoint first and loses no work
};

struct ReliabilitySpec {
  std::string name;
  std::vector<FailureCause> causes;
};

// The scale-up domain of a system: GPUs joined by NVLink switches (or a photonic fabric).
struct ScaleUpSpec {
  std::string switch_name;        // key into configs/hw/switches
  int switches = 0;               // switch chips in the domain
  int domain_gpus = 0;            // GPUs that share one NVLink domain
  double bandwidth_per_gpu = 0;   // bytes/s per direction
  double latency = 0;             // seconds, GPU to GPU one way
  Medium medium = Medium::copper;
  double energy_per_bit = 0;      // joules per bit on the links
  CollectiveTuning collectives;   // NVLink defaults (docs/network.md)
};

// The system's own power beyond its counted parts, which follows their load:
//   fans:       P = fan_max * s^3 (fan affinity law), s = max(fan_min_speed, heat / heat at full load);
//   conversion: input = DC load / efficiency(DC load / (psu_count * psu_rating)), the PSUs sharing the load;
//   board:      constant (BMC, management, board logic).
struct SystemOverheads {
  double fan_max = 0;        // watts at full speed
  double fan_min_speed = 0;  // fraction of full speed the fans never go below
  int psu_count = 0;
  double psu_rating = 0;     // watts of DC output per supply
  std::vector<EfficiencyPoint> psu_efficiency;  // efficiency by load fraction (size = load fraction)
  double board = 0;          // watts
};

struct SystemSpec {
  std::string name;
  std::string description;
  std::string gpu;           // key into configs/hw/gpus
  int gpus = 0;              // GPU packages in the system
  std::string cpu;           // key into configs/hw/cpus
  int cpus = 0;
  std::string nic;           // key into configs/hw/nics (scale-out)
  int nics = 0;
  int gpus_per_node = 0;      // GPUs of one compute node (an HGX board, a rack's compute tray): a rail-optimized fabric
                             // has one rail per GPU position of a node; 0 = the whole system is one node
  ScaleUpSpec scale_up;
  std::vector<std::string> storage;  // keys into configs/hw/storage
  std::string scale_out_switch;  // key into configs/hw/switches: the scale-out switch it is usually deployed with
  std::string scale_out_optics;  // key into configs/hw/optics; empty = copper / DAC
  SystemOverheads overheads;  // fans, power conversion, board (docs/power.md)
  double power_budget = 0;   // watts, provisioned maximum of the whole system (a rating, not a draw)
  double pue = 0;            // default facility PUE for this system's cooling (hardware.pue overrides)
  double tco_per_gpu_hour = 0;  // USD per GPU-hour, all-in (a sourced market rate); 0: no default (docs/power.md "Cost")
  double capex_per_gpu = 0;     // USD: the system's purchase price / its GPUs (sourced); 0: none, a cost block gives it
  bool assumed = false;
};

enum class ScaleOutTopology { rail_optimized_fat_tree, fat_tree };

struct ScaleOutSpec {
  ScaleOutTopology topology = ScaleOutTopology::rail_optimized_fat_tree;
  double nic_bandwidth = 0;     // bytes/s per GPU per direction; 0 = the system NIC's bandwidth
  double oversubscription = 1;  // downlink:uplink ratio at the leaf (1 = non-blocking)
  std::string switch_name;      // key into configs/hw/switches
  std::string optics;           // key into configs/hw/optics; empty = copper / DAC
};

// Everything a cluster is built from, with every catalog name already resolved (app/ does the resolving).
struct ClusterSpec {
  SystemSpec system;
  GpuSpec gpu;
  CpuSpec cpu;
  NicSpec nic;
  SwitchSpec scale_up_switch;
  ScaleOutSpec scale_out;
  SwitchSpec scale_out_switch;
  std::optional<OpticsSpec> scale_out_optics;
  std::vector<StorageSpec> storage;
  int systems = 1;          // hardware.count
  int gpus_per_system = 0;  // hardware.gpus when set (a partial node), else system.gpus
  double pue = 1.0;
  int total_gpus() const { return systems * gpus_per_system; }
};

}  // namespace dcsim::hw
