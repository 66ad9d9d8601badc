// The roofline of one GPU kernel: time = max(FLOPs / achievable FLOP/s, bytes / achievable HBM bandwidth), where
// "achievable" comes from the GPU's measured curves (hw::GpuSpec), never from a per-case factor:
//   compute rate  = dense peak(precision) x gemm_peak_fraction(precision)
//                   x min(size curve(kernel FLOPs), plateau x gemm_wave_fill(shape))   (GEMMs with a known shape)
//                   the size curve being gemm_size_curve, or fp4_gemm_size_curve for FP4 (plateau: its last point's
//                   fraction; 1 otherwise)
//   bandwidth     = hbm_bandwidth x memory_curve(kernel bytes)
// Curves are interpolated linearly in log(size) between their points and clamped at both ends (hw/spec.hpp).
// The two times combine as (tc^p + tm^p)^(1/p) with the GPU's roofline_exponent p (max() where it is 0): a kernel
// whose compute and memory times are close reaches neither roof, because its loads and its tensor-core math
// overlap imperfectly (DeepGEMM's H800 FP8 table: 1.2-1.6x above max() at the ridge, within ~5% away from it;
// docs/hardware.md, "Compute-memory overlap").
// No separate launch floor is added: both curves already hold the fixed per-kernel cost (the GEMM curve's
// launch-bound first point, ~5 us per call; the memory curve's t0 = 2 us; docs/hardware.md), so adding one would
// count it twice. Used by pretraining and serving (docs/pretraining.md, "Roofline").
#pragma once

#include <vector>

#include "hw/power.hpp"
#include "hw/spec.hpp"
#include "workloads/model_ops.hpp"

namespace dcsim::wl {

// Fraction of a curve at `size`: log-linear between points, clamped to the first/last point outside them.
// An empty curve is 1 (no size dependence); size <= 0 takes the first point.
double curve_fraction(const std::vector<hw::EfficiencyPoint>& curve, double size);

// Dense peak(precision) x gemm_peak_fraction(precision) (a fraction of 0 means unmeasured: 1): the rate the
// GEMM size curve scales.
double gemm_peak_flops(const hw::GpuSpec& gpu, hw::Precision p);
// The FLOP rate at which a precision's GEMMs draw the power limit, what compute activity is measured against
// (docs/power.md, "GPU power by activity"): gemm_peak_flops, times the last point of FP4's own size curve where it
// has one (block-scaled FP4 kernels at their largest shapes run 0.59 of the FP4 MAMF, tensor cores, scale loads and
// epilogue all busy).
double full_power_flops(const hw::GpuSpec& gpu, hw::Precision p);
// FLOP/s a kernel of `kernel_flops` FLOPs reaches at `p`. Throws std::invalid_argument when the GPU has no peak
// for `p` (fp8 on A100, fp4 on Hopper), naming the GPU and the precision.
double achievable_flops(const hw::GpuSpec& gpu, hw::Precision p, double kernel_flops);
// Output-tile and wave quantization of a GEMM (NVIDIA 'Matrix Multiplication Background' user guide, "Dimension
// Quantization Effects"): the m x n output is cut into kTileM x kTileN tiles (cuBLAS's large Ampere+ tile), one
// per SM at a time, so the GPU runs ceil(tiles / SMs) waves; fill = useful tile area / (waves x SMs x tile area).
// Only for shapes that fill at least one large tile (m >= kTileM, n >= kTileN): smaller GEMMs get other tiles,
// and their losses are the size curve's. 1 when the GPU's sm_count is unknown or the op is not a GEMM.
inline constexpr double kTileM = 256, kTileN = 128;
double gemm_wave_fill(const hw::GpuSpec& gpu, const GemmShape& shape);
// FLOP/s of one GEMM launch of `shape` (count x m x n x k): gemm_peak_flops x min(size curve at its FLOPs,
// wave fill). The size curve comes from square GEMMs; the fill adds what their smooth curve cannot see, the
// partial last wave of a shape whose tile count does not divide by the SMs. min, not a product: below one wave
// the square curve already holds the fill loss.
double achievable_gemm_flops(const hw::GpuSpec& gpu, hw::Precision p, const GemmShape& shape);
// A kernel's time from its compute and memory times: (tc^p + tm^p)^(1/p), p = gpu.roofline_exponent (max(tc, tm)
// when p is 0 or either time is 0).
double overlapped_time(const hw::GpuSpec& gpu, double compute_time, double memory_time);
// Bytes/s a kernel moving `kernel_bytes` bytes through HBM reaches.
double achievable_bandwidth(const hw::GpuSpec& gpu, double kernel_bytes);
// Bytes/s a paged-KV decode attention call reading `kv_bytes` reaches: the GPU's decode_attention_curve (its
// memory_curve when it has none).
double decode_attention_bandwidth(const hw::GpuSpec& gpu, double kv_bytes);

struct OpTime {
  double time = 0;          // seconds: overlapped_time(compute_time, memory_time)
  double compute_time = 0;  // flops / achievable_flops
  double memory_time = 0;   // bytes / achievable_bandwidth
  bool compute_bound = false;  // compute_time >= memory_time (and there are FLOPs)
  double flops = 0;
  double bytes = 0;
  // Activity over `time` for the power model (hw::GpuActivity): achieved FLOP/s over full_power_flops (peak x
  // gemm_peak_fraction, x FP4's plateau for FP4), achieved bytes/s over peak HBM bandwidth. Both in [0, 1].
  hw::GpuActivity activity() const;
  double compute_activity = 0;
  double memory_activity = 0;
};

// One kernel: `flops` at precision `p` (0 for a memory-only kernel), `bytes` through HBM, `kernel_flops` the size
// the GEMM curve is read at (FLOPs of the whole launch; 0 takes `flops`), `dequant_weights` weights it must
// dequantize first (weight-only quantized GEMMs: its memory time is at least dequant_weights / gpu.dequant_rate).
OpTime op_time(const hw::GpuSpec& gpu, hw::Precision p, double flops, double bytes, double kernel_flops = 0,
               double dequant_weights = 0);
// An op of model_ops: a batched or grouped GEMM (gemm.count > 1) is one launch, so its size is all of its FLOPs;
// a GEMM's rate is achievable_gemm_flops of its shape.
OpTime op_time(const hw::GpuSpec& gpu, hw::Precision p, const Op& op);
// A paged-KV decode attention call: `flops` at `p`, `kv_bytes` of KV read at decode_attention_bandwidth and
// `other_bytes` (queries, outputs) at the memory curve's rate for the whole call.
OpTime decode_attention_time(const hw::GpuSpec& gpu, hw::Precision p, double flops, double kv_bytes,
                             double other_bytes);

}  // namespace dcsim::wl
