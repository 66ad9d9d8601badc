// DDSketch (sim/quantile_sketch) and SampleSet past its exact limit: the relative-error guarantee, merging, bounded
// memory, hand-computed bucket values.
#include "sim/quantile_sketch.hpp"

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include <gtest/gtest.h>

#include "sim/stats.hpp"

namespace dcsim::sim {
namespace {

TEST(QuantileSketch, BucketValuesHandComputed) {
  // a = 0.01: gamma = 1.01 / 0.99 = 1.0202..., ln gamma = 0.0200007. 1.0 is in bucket ceil(0) = 0, which stands for
  // 2 / (gamma + 1) = 0.99 (1% low, the bound). 100: ln 100 / ln gamma = 230.25, bucket 231 = (99.51, 101.52],
  // standing for 2 gamma^231 / (gamma + 1) = 2 e^(231 x 0.0200007) / 2.020202 = 0.99 x 101.51 = 100.49 (0.49% high).
  QuantileSketch s(0.01);
  s.add(1.0);
  s.add(100.0);
  s.add(0.0, 2);
  s.add(-1.0);
  ASSERT_EQ(s.count(), 5u);
  const double gamma = 1.01 / 0.99;
  EXPECT_NEAR(s.order_statistic(0), -0.99, 1e-12);  // the negative value, mirrored
  EXPECT_EQ(s.order_statistic(1), 0.0);
  EXPECT_EQ(s.order_statistic(2), 0.0);
  EXPECT_NEAR(s.order_statistic(3), 0.99, 1e-12);
  EXPECT_NEAR(s.order_statistic(4), 2 * std::pow(gamma, 231) / (gamma + 1), 1e-9);
  EXPECT_NEAR(s.order_statistic(4), 100.49, 0.01);
  EXPECT_THROW(s.order_statistic(5), std::out_of_range);
  EXPECT_THROW(QuantileSketch(0.0), std::invalid_argument);
  EXPECT_THROW(s.add(std::nan("")), std::invalid_argument);
}

TEST(QuantileSketch, EveryOrderStatisticWithinTheRelativeAccuracy) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(-3.0, 1.5);  // seconds: a median of 50 ms, a long tail
  std::vector<double> xs(200'000);
  QuantileSketch s(0.001);
  for (double& x : xs) {
    x = latency(rng);
    s.add(x);
  }
  std::sort(xs.begin(), xs.end());
  double worst = 0;
  for (std::size_t k = 0; k < xs.size(); k += 97) worst = std::max(worst, std::fabs(s.order_statistic(k) / xs[k] - 1));
  EXPECT_LE(worst, 0.001 + 1e-12);
  EXPECT_GT(worst, 0.0004);  // the bound is used, not idle: buckets are really 0.2% wide
  EXPECT_LT(s.buckets(), 12'000u);  // about 11 decades of e^(-3 +- 1.5 x 5) in 0.2% steps
}

TEST(QuantileSketch, MergedEqualsOneSketchOfEverything) {
  QuantileSketch a, b, all;
  for (int i = 1; i <= 1000; ++i) {
    const double x = 1e-3 * i * i;
    (i % 3 == 0 ? a : b).add(x);
    all.add(x);
  }
  a.merge(b);
  ASSERT_EQ(a.count(), all.count());
  for (std::uint64_t k = 0; k < all.count(); ++k) EXPECT_EQ(a.order_statistic(k), all.order_statistic(k)) << k;
  EXPECT_THROW(a.merge(QuantileSketch(0.01)), std::invalid_argument);
}

TEST(QuantileSketch, MemoryIsBoundedWhateverTheRange) {
  // Magnitudes from 1e-300 to 1e300 need far more than kMaxBuckets buckets: the lowest fold into one, and the
  // guarantee holds above them.
  QuantileSketch s(0.001);
  for (int e = -300; e <= 300; ++e) s.add(std::pow(10.0, e));
  EXPECT_LE(s.buckets(), QuantileSketch::kMaxBuckets);
  EXPECT_NEAR(s.order_statistic(600) / 1e300, 1.0, 0.001);
  EXPECT_NEAR(s.order_statistic(590) / 1e290, 1.0, 0.001);
}

TEST(QuantileSketch, TheSameBucketsWhateverTheOrder) {
  // Past kMaxBuckets the lowest buckets fold together; growing up or down, the store keeps the highest kMaxBuckets,
  // so the order values arrive in (or the grouping of merges) does not change a single count.
  const std::vector<double> xs = {1.0, std::exp(140.0), 1e-30, 5.0, std::exp(100.0), 1e-300, 7e150};
  QuantileSketch forward, backward, merged;
  for (double x : xs) forward.add(x);
  for (auto it = xs.rbegin(); it != xs.rend(); ++it) backward.add(*it);
  QuantileSketch a, b;
  for (std::size_t i = 0; i < xs.size(); ++i) (i % 2 ? a : b).add(xs[i]);
  merged.merge(b);
  merged.merge(a);
  for (std::uint64_t k = 0; k < xs.size(); ++k) {
    EXPECT_EQ(forward.order_statistic(k), backward.order_statistic(k)) << k;
    EXPECT_EQ(forward.order_statistic(k), merged.order_statistic(k)) << k;
  }
  // The highest value keeps its accuracy; the kept range is 65,536 buckets of 0.2% below it (57 decades, down to
  // ~1e94), and everything under that reads as its lowest bucket.
  EXPECT_NEAR(forward.order_statistic(6) / 7e150, 1.0, 0.001);
  EXPECT_GT(forward.order_statistic(5), 1e93);
  EXPECT_LT(forward.order_statistic(5), 1e95);
  EXPECT_EQ(forward.order_statistic(0), forward.order_statistic(5));
  EXPECT_THROW(forward.add(std::numeric_limits<double>::infinity()), std::invalid_argument);
  EXPECT_THROW(forward.add(-std::numeric_limits<double>::infinity()), std::invalid_argument);
  EXPECT_EQ(forward.count(), xs.size());
}

TEST(SampleSet, ExactUpToItsLimitThenWithinTheSketchAccuracy) {
  std::mt19937_64 rng(11);
  std::exponential_distribution<double> gap(20.0);
  SampleSet exact(1u << 22), bounded(1000);
  for (int i = 0; i < 100'000; ++i) {
    const double x = gap(rng);
    exact.add(x);
    bounded.add(x);
  }
  EXPECT_TRUE(exact.exact());
  EXPECT_FALSE(bounded.exact());
  EXPECT_EQ(bounded.count(), 100'000u);
  EXPECT_EQ(bounded.sum(), exact.sum());
  EXPECT_EQ(bounded.mean(), exact.mean());
  EXPECT_EQ(bounded.min(), exact.min());
  EXPECT_EQ(bounded.max(), exact.max());
  EXPECT_EQ(bounded.quantile(0.0), exact.quantile(0.0));
  EXPECT_EQ(bounded.quantile(1.0), exact.quantile(1.0));
  EXPECT_NEAR(bounded.variance() / exact.variance(), 1.0, 1e-9);
  for (double q : {0.01, 0.1, 0.25, 0.5, 0.9, 0.99, 0.999}) {
    EXPECT_NEAR(bounded.quantile(q) / exact.quantile(q), 1.0, SampleSet::kSketchAccuracy) << q;
    EXPECT_NEAR(bounded.quantile_nearest_rank(q) / exact.quantile_nearest_rank(q), 1.0, SampleSet::kSketchAccuracy)
        << q;
  }
}

TEST(SampleSet, MergeIsExactWhileSmallAndSketchedWhenNot) {
  SampleSet a, b;
  for (double x : {15.0, 35.0, 50.0}) a.add(x);
  for (double x : {20.0, 40.0}) b.add(x);
  a.merge(b);
  EXPECT_TRUE(a.exact());
  EXPECT_DOUBLE_EQ(a.quantile(0.4), 29.0);  // numpy.quantile([15,20,35,40,50], 0.4)
  EXPECT_DOUBLE_EQ(a.variance(), 207.5);
  SampleSet c(2), d(2);
  for (double x : {15.0, 20.0, 35.0}) c.add(x);  // over its limit of 2: sketched
  for (double x : {40.0, 50.0, 60.0}) d.add(x);
  c.merge(d);
  EXPECT_FALSE(c.exact());
  EXPECT_EQ(c.count(), 6u);
  EXPECT_EQ(c.min(), 15.0);
  EXPECT_EQ(c.max(), 60.0);
  EXPECT_NEAR(c.quantile(0.5), 37.5, 37.5 * 0.001);  // (35 + 40) / 2
  EXPECT_NEAR(c.variance(), 296.6666666667, 1e-9);   // of {15, 20, 35, 40, 50, 60}: mean 36.667, 1483.33 / 5
  // A set merged with itself counts everything twice, exact or sketched; a non-finite sample is refused whole.
  SampleSet e;
  for (double x : {1.0, 2.0, 3.0}) e.add(x);
  e.merge(e);
  EXPECT_EQ(e.count(), 6u);
  EXPECT_DOUBLE_EQ(e.quantile(0.5), 2.0);
  c.merge(c);
  EXPECT_EQ(c.count(), 12u);
  EXPECT_NEAR(c.variance(), 1483.3333333333 * 2 / 11, 1e-9);
  EXPECT_THROW(e.add(std::nan("")), std::invalid_argument);
  EXPECT_THROW(c.add(std::numeric_limits<double>::infinity()), std::invalid_argument);
  EXPECT_EQ(e.count(), 6u);
  EXPECT_EQ(c.count(), 12u);
}

}  // namespace
}  // namespace dcsim::sim
