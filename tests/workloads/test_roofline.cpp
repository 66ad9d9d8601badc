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

TEST(Roofline, UnsupportedPrecisionThrows) {
  EXPECT_THROW(op_time(gpu(), hw::Precision::fp8, 1e9, 0), std::invalid_argument);
  EXPECT_NO_THROW(op_time(gpu(), hw::Precision::fp8, 0, 1e6));  // no FLOPs: the precision is not used
}

TEST(Roofline, EmptyOpTakesNoTime) {
  const OpTime t = op_time(gpu(), hw::Precision::bf16, 0, 0);
  EXPECT_DOUBLE_EQ(t.time, 0.0);
  EXPECT_DOUBLE_EQ(t.compute_activity, 0.0);
}

}  // namespace
}  // namespace dcsim::wl
