// roofline: curve interpolation and kernel times against hand arithmetic.
#include <gtest/gtest.h>

#include <stdexcept>

#include "workloads/roofline.hpp"

namespace dcsim::wl {
namespace {

// 1000 TFLOP/s bf16 at 80 % achievable; GEMM curve 0.5 at 1 GFLOP to 1.0 at 100 GFLOP; 2 TB/s HBM with a copy
// curve 0.5 at 1 MB to 0.9 at 100 MB.
hw::GpuSpec gpu() {
  hw::GpuSpec g;
  g.name = "test-gpu";
  g.flops.bf16 = 1000e12;
  g.gemm_peak_fraction.bf16 = 0.8;
  g.gemm_size_curve = {{1e9, 0.5}, {1e11, 1.0}};
  g.hbm_bandwidth = 2e12;
  g.memory_curve = {{1e6, 0.5}, {1e8, 0.9}};
  return g;
}

TEST(Roofline, CurveIsLogLinearAndClamped) {
  const auto g = gpu();
  EXPECT_DOUBLE_EQ(curve_fraction(g.gemm_size_curve, 1e8), 0.5);    // below the first point
  EXPECT_DOUBLE_EQ(curve_fraction(g.gemm_size_curve, 1e9), 0.5);
  EXPECT_NEAR(curve_fraction(g.gemm_size_curve, 1e10), 0.75, 1e-12);  // half-way in log: 0.5 + 0.5 * 1/2
  EXPECT_DOUBLE_EQ(curve_fraction(g.gemm_size_curve, 1e12), 1.0);   // above the last point
  EXPECT_NEAR(curve_fraction(g.memory_curve, 1e7), 0.7, 1e-12);      // 0.5 + 0.4 * 1/2
  EXPECT_DOUBLE_EQ(curve_fraction({}, 123), 1.0);
}

TEST(Roofline, Fp4GemmsTakeTheirOwnSizeCurve) {
  // fp4 at 4000 TFLOP/s x 0.5 achievable, its own curve 0.1 at 1 GFLOP to 0.6 at 100 GFLOP: a 10 GFLOP GEMM runs at
  // 2e15 x (0.1 + 0.5 x 1/2) = 7e14 FLOP/s; bf16 keeps the shared curve (0.75 there: 6e14).
  hw::GpuSpec g = gpu();
  g.flops.fp4 = 4000e12;
  g.gemm_peak_fraction.fp4 = 0.5;
  g.fp4_gemm_size_curve = {{1e9, 0.1}, {1e11, 0.6}};
  EXPECT_NEAR(achievable_flops(g, hw::Precision::fp4, 1e10), 7e14, 1e3);
  EXPECT_NEAR(achievable_flops(g, hw::Precision::bf16, 1e10), 6e14, 1e3);
  EXPECT_NEAR(achievable_flops(g, hw::Precision::fp4, 1e12), 2e15 * 0.6, 1e3);  // held beyond the last point
  // Compute activity is measured against the FP4 plateau (0.6 x 2e15): a 1 TFLOP fp4 GEMM there draws the limit.
  EXPECT_NEAR(full_power_flops(g, hw::Precision::fp4), 1.2e15, 1e3);
  EXPECT_NEAR(op_time(g, hw::Precision::fp4, 1e12, 0, 1e12).compute_activity, 1.0, 1e-12);
  EXPECT_NEAR(full_power_flops(g, hw::Precision::bf16), 8e14, 1e3);
  // Without its own curve fp4 takes the shared one.
  g.fp4_gemm_size_curve.clear();
  EXPECT_NEAR(achievable_flops(g, hw::Precision::fp4, 1e10), 2e15 * 0.75, 1e3);
}

TEST(Roofline, LargeGemmIsComputeBound) {
  // 1 TFLOP at 1000e12 x 0.8 x 1.0 = 8e14 FLOP/s: 1.25 ms; no bytes.
  const OpTime t = op_time(gpu(), hw::Precision::bf16, 1e12, 0, 1e11);
  EXPECT_NEAR(t.time, 1.25e-3, 1e-15);
  EXPECT_TRUE(t.compute_bound);
  EXPECT_NEAR(t.compute_activity, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(t.memory_activity, 0.0);
}

TEST(Roofline, SmallGemmWithTrafficIsMemoryBound) {
  // 10 GFLOP at 8e14 x 0.75 = 6e14: 16.67 us. 100 MB at 2e12 x 0.9 = 1.8e12 B/s: 55.56 us -> memory bound.
  const OpTime t = op_time(gpu(), hw::Precision::bf16, 1e10, 1e8);
  EXPECT_NEAR(t.compute_time, 1e10 / 6e14, 1e-15);
  EXPECT_NEAR(t.memory_time, 1e8 / 1.8e12, 1e-15);
  EXPECT_NEAR(t.time, 1e8 / 1.8e12, 1e-15);
  EXPECT_FALSE(t.compute_bound);
  // Activity over the 55.56 us: 1e10 / 55.56e-6 / 8e14 = 0.225; 1e8 / 55.56e-6 / 2e12 = 0.9.
  EXPECT_NEAR(t.compute_activity, 0.225, 1e-12);
  EXPECT_NEAR(t.memory_activity, 0.9, 1e-12);
}

TEST(Roofline, BatchedOpIsOneLaunch) {
  // 4 GEMMs of 2*1000*1000*2500 = 5 GFLOP each in one launch: the curve is read at 20 GFLOP.
  Op op;
  op.gemm = {1000, 1000, 2500, 4};
  op.flops = op.gemm.flops();
  const double frac = curve_fraction(gpu().gemm_size_curve, 2e10);  // 0.5 + 0.5 log(20)/log(100) = 0.8253
  const OpTime t = op_time(gpu(), hw::Precision::bf16, op);
  EXPECT_NEAR(frac, 0.5 + 0.5 * 1.3010299956639813 / 2, 1e-12);
  EXPECT_NEAR(t.time, 2e10 / (8e14 * frac), 1e-18);
}

TEST(Roofline, WaveFillCountsTilesAgainstSms) {
  hw::GpuSpec g = gpu();
  g.sm_count = 108;  // A100
  // CUTLASS profiler docs' A100 example, m 3456 n 4096: ceil(3456/256) x 4096/128 = 14 x 32 = 448 tiles of 256x128,
  // ceil(448/108) = 5 waves: fill = 3456 x 4096 / (5 x 108 x 256 x 128) = 0.8 exactly.
  EXPECT_NEAR(gemm_wave_fill(g, GemmShape{3456, 4096, 8192, 1}), 0.8, 1e-12);
  // 145.6B QKV at TP8, 2 sequences: 16 x 36 = 576 tiles, 6 waves: 576 / 648 = 8/9.
  EXPECT_NEAR(gemm_wave_fill(g, GemmShape{4096, 4608, 12288, 1}), 8.0 / 9.0, 1e-12);
  // Whole waves: 108 tiles of 256 x 128 fill the SMs exactly; 109 need a second wave (109 / 216).
  EXPECT_DOUBLE_EQ(gemm_wave_fill(g, GemmShape{256 * 108, 128, 64, 1}), 1.0);
  EXPECT_NEAR(gemm_wave_fill(g, GemmShape{256 * 109, 128, 64, 1}), 109.0 / 216.0, 1e-12);
  // A batch counts its tiles together: 54 x 2 tiles = 108, one wave.
  EXPECT_DOUBLE_EQ(gemm_wave_fill(g, GemmShape{256 * 54, 128, 64, 2}), 1.0);
  // Below one large tile, unknown SMs, not a GEMM: no wave term.
  EXPECT_DOUBLE_EQ(gemm_wave_fill(g, GemmShape{255, 4096, 4096, 1}), 1.0);
  EXPECT_DOUBLE_EQ(gemm_wave_fill(g, GemmShape{4096, 96, 4096, 1}), 1.0);
  EXPECT_DOUBLE_EQ(gemm_wave_fill(gpu(), GemmShape{3456, 4096, 8192, 1}), 1.0);
  EXPECT_DOUBLE_EQ(gemm_wave_fill(g, GemmShape{3456, 4096, 8192, 0}), 1.0);
}

TEST(Roofline, GemmRateIsTheSmallerOfSizeCurveAndWaveFill) {
  hw::GpuSpec g = gpu();
  g.sm_count = 108;
  // 3456 x 4096 x 8192: 232 GFLOP, above the curve's last point (1.0), fill 0.8: 1000e12 x 0.8 x 0.8.
  EXPECT_NEAR(achievable_gemm_flops(g, hw::Precision::bf16, GemmShape{3456, 4096, 8192, 1}), 640e12, 1e3);
  // 1024 x 1024 x 4768.37: 10 GFLOP, curve 0.75; 4 x 8 = 32 tiles busy 32 of 108 SMs, fill 0.296, the smaller:
  // 1000e12 x 0.8 x 32/108.
  EXPECT_NEAR(achievable_gemm_flops(g, hw::Precision::bf16, GemmShape{1024, 1024, 4768.37158203125, 1}),
              800e12 * 32.0 / 108.0, 1e3);
  // 27648 x 128 x 64: 0.45 GFLOP, below the curve (0.5), fill 1: the curve's 0.5.
  EXPECT_NEAR(achievable_gemm_flops(g, hw::Precision::bf16, GemmShape{256 * 108, 128, 64, 1}), 400e12, 1e3);
  // op_time of an Op reads the rate from its shape: 232 GFLOP at 640e12 FLOP/s.
  Op op;
  op.gemm = GemmShape{3456, 4096, 8192, 1};
  op.flops = op.gemm.flops();
  EXPECT_NEAR(op_time(g, hw::Precision::bf16, op).time, op.flops / 640e12, 1e-15);
  // Without an SM count the same Op runs at the curve alone (1.0).
  EXPECT_NEAR(op_time(gpu(), hw::Precision::bf16, op).time, op.flops / 800e12, 1e-15);
}

TEST(Roofline, UnsupportedPrecisionThrows) {
  EXPECT_THROW(op_time(gpu(), hw::Precision::fp8, 1e9, 0), std::invalid_argument);
  EXPECT_NO_THROW(op_time(gpu(), hw::Precision::fp8, 0, 1e6));  // no FLOPs: the precision is not used
}

TEST(Roofline, EmptyOpTakesNoTime) {
  const OpTime t = op_time(gpu(), hw::Precision::bf16, 0, 0);
  EXPECT_DOUBLE_EQ(t.time, 0.0);
  EXPECT_DOUBLE_EQ(t.compute_activity, 0.0);
}

TEST(Roofline, DecodeAttentionReadsKvAtItsOwnCurve) {
  hw::GpuSpec g = gpu();
  // Paged decode attention: 0.2 of peak at 10 MB of KV per call, 0.8 at 1 GB (log-linear between).
  g.decode_attention_curve = {{1e7, 0.2}, {1e9, 0.8}};
  // 100 MB of KV: fraction 0.2 + 0.6 x log(10)/log(100) = 0.5, so 100e6 / (2e12 x 0.5) = 100 us; 1 MB of queries and
  // outputs at the copy curve's rate for the whole 101 MB call (0.9): 1e6 / 1.8e12 = 0.556 us.
  const OpTime t = decode_attention_time(g, hw::Precision::bf16, 1e9, 100e6, 1e6);
  EXPECT_NEAR(t.memory_time, 100e-6 + 1e6 / 1.8e12, 1e-12);
  EXPECT_FALSE(t.compute_bound);  // 1 GFLOP at 1000 TFLOP/s x 0.8 x 0.5 = 2.5 us
  EXPECT_NEAR(t.time, t.memory_time, 0);
  EXPECT_NEAR(t.memory_activity, 101e6 / t.time / 2e12, 1e-12);
  // Without a decode curve the KV streams at the copy curve's rate, as any kernel.
  const OpTime plain = decode_attention_time(gpu(), hw::Precision::bf16, 1e9, 100e6, 1e6);
  EXPECT_NEAR(plain.memory_time, 101e6 / (2e12 * 0.9), 1e-12);
}

TEST(Roofline, WeightOnlyQuantizedGemmIsBoundByDequantization) {
  // 100 MB of 4-bit weights (200 M weights) at 2e12 x 0.9 B/s stream in 55.6 us; at 2.5e12 weights/s they take
  // 80 us to dequantize, which bounds the memory time. Without a measured rate the stream alone counts.
  auto g = gpu();
  g.dequant_rate = 2.5e12;
  const OpTime t = op_time(g, hw::Precision::bf16, 1e9, 1e8, 1e9, 2e8);
  EXPECT_NEAR(t.memory_time, 2e8 / 2.5e12, 1e-15);
  EXPECT_NEAR(t.time, 80e-6, 1e-12);
  EXPECT_NEAR(op_time(g, hw::Precision::bf16, 1e9, 1e8, 1e9, 0).memory_time, 1e8 / 1.8e12, 1e-15);
  g.dequant_rate = 0;
  EXPECT_NEAR(op_time(g, hw::Precision::bf16, 1e9, 1e8, 1e9, 2e8).memory_time, 1e8 / 1.8e12, 1e-15);
}

}  // namespace
}  // namespace dcsim::wl
