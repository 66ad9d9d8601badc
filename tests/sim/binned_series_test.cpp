#include "sim/binned_series.hpp"

#include <gtest/gtest.h>

namespace dcsim::sim {
namespace {

TEST(BinnedSeries, LevelIsTheTimeWeightedMeanOfEachBin) {
  BinnedSeries s(BinnedSeries::Kind::level, kSecond, 8);
  s.set(0, 2.0);
  s.set(kSecond / 2, 4.0);  // bin 0: half at 2, half at 4 -> 3
  s.set(3 * kSecond, 0.0);  // bins 1 and 2 at 4, bin 3 at 0
  const auto p = s.points(4 * kSecond);
  ASSERT_EQ(p.size(), 4u);
  EXPECT_DOUBLE_EQ(p[0].first, 0.5);
  EXPECT_DOUBLE_EQ(p[0].second, 3.0);
  EXPECT_DOUBLE_EQ(p[1].second, 4.0);
  EXPECT_DOUBLE_EQ(p[2].second, 4.0);
  EXPECT_DOUBLE_EQ(p[3].second, 0.0);
}

TEST(BinnedSeries, RateIsAmountPerSecondOfEachBin) {
  BinnedSeries s(BinnedSeries::Kind::rate, kSecond, 8);
  s.add(kSecond / 4, 10);
  s.add(kSecond / 2, 30);   // bin 0: 40 per second
  s.add(2 * kSecond, 5);    // bin 2
  const auto p = s.points(3 * kSecond);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_DOUBLE_EQ(p[0].second, 40.0);
  EXPECT_DOUBLE_EQ(p[1].second, 0.0);
  EXPECT_DOUBLE_EQ(p[2].second, 5.0);
}

TEST(BinnedSeries, MergesPairsWhenTimePassesTheLastBinAndKeepsExactIntegrals) {
  BinnedSeries s(BinnedSeries::Kind::level, kSecond, 4);
  s.set(0, 1.0);
  s.set(kSecond, 3.0);       // bins of 1 s: 1, 3, ...
  s.set(5 * kSecond, 0.0);   // past 4 bins: width 2 s; [0,2) mean 2, [2,4) 3, [4,6) 3 then 0 -> 1.5
  EXPECT_EQ(s.width(), 2 * kSecond);
  const auto p = s.points(6 * kSecond);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_DOUBLE_EQ(p[0].first, 1.0);
  EXPECT_DOUBLE_EQ(p[0].second, 2.0);
  EXPECT_DOUBLE_EQ(p[1].second, 3.0);
  EXPECT_DOUBLE_EQ(p[2].second, 1.5);
  // Memory stays bounded over a long run.
  s.set(1000 * kSecond, 1.0);
  EXPECT_LE(s.points(1000 * kSecond).size(), 4u);
}

TEST(BinnedSeries, LastBinIsMeasuredOverItsCoveredPart) {
  BinnedSeries r(BinnedSeries::Kind::rate, kSecond, 8);
  r.add(kSecond + kSecond / 4, 10);
  const auto p = r.points(kSecond + kSecond / 2);  // bin 1 covers 0.5 s: 20 per second
  ASSERT_EQ(p.size(), 2u);
  EXPECT_DOUBLE_EQ(p[1].first, 1.25);
  EXPECT_DOUBLE_EQ(p[1].second, 20.0);
}

TEST(BinnedSeries, RejectsTimeGoingBackwardsAndTheWrongKindOfUpdate) {
  BinnedSeries s(BinnedSeries::Kind::level, kSecond, 8);
  s.set(2 * kSecond, 1.0);
  EXPECT_THROW(s.set(kSecond, 1.0), std::logic_error);
  EXPECT_THROW(s.add(kSecond, 1.0), std::logic_error);
  EXPECT_THROW(BinnedSeries(BinnedSeries::Kind::rate, 0, 8), std::invalid_argument);
  EXPECT_THROW(BinnedSeries(BinnedSeries::Kind::rate, kSecond, 3), std::invalid_argument);
}

}  // namespace
}  // namespace dcsim::sim

namespace dcsim::sim {
namespace {

TEST(BinnedSeries, AJumpFarPastTheBinsMergesWithoutTouchingMissingBins) {
  BinnedSeries r(BinnedSeries::Kind::rate, kMillisecond, 8);
  r.add(0, 1);
  r.add(3600 * kSecond, 1);  // many doublings at once, from one bin
  const auto p = r.points(3600 * kSecond);
  ASSERT_FALSE(p.empty());
  EXPECT_LE(p.size(), 8u);
  double amount = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double width_s = to_seconds(r.width());
    amount += p[i].second * (i + 1 < p.size() ? width_s : 2 * (p[i].first - static_cast<double>(i) * width_s));
  }
  EXPECT_NEAR(amount, 2.0, 1e-9);
}

}  // namespace
}  // namespace dcsim::sim

namespace dcsim::sim {
namespace {

TEST(BinnedSeries, ASliverOfALastBinDoesNotSpikeARate) {
  // 100 tokens every 10 ms for 3 s, the last at 3 s + 1 ps, just past a bin edge: no bin may read above 10k/s much.
  BinnedSeries r(BinnedSeries::Kind::rate, kSecond, 8);
  for (int i = 1; i <= 300; ++i) r.add(i * 10 * kMillisecond, 100);
  r.add(3 * kSecond + 1, 100);
  const auto p = r.points(3 * kSecond + 1);
  ASSERT_EQ(p.size(), 3u);  // the sliver joined the bin [2 s, 3 s)
  for (const auto& [t, v] : p) EXPECT_LT(v, 10'200.0) << t;
  double amount = 0;
  amount += p[0].second + p[1].second;               // two whole 1 s bins
  amount += p[2].second * (1.0 + 1e-12);             // the last, over [2 s, 3 s + 1 ps]
  EXPECT_NEAR(amount, 30'100.0, 1e-6);
}

TEST(BinnedSeries, AnAmountAtTheEndOfARunEndingOnABinEdgeIsKept) {
  BinnedSeries r(BinnedSeries::Kind::rate, kSecond, 8);
  r.add(kSecond / 2, 10);
  r.add(2 * kSecond, 10);  // at the end, which is a bin edge
  const auto p = r.points(2 * kSecond);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_DOUBLE_EQ(p[0].second + p[1].second, 20.0);
}

}  // namespace
}  // namespace dcsim::sim
