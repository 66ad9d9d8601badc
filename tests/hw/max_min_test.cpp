#include "hw/max_min.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace dcsim::hw {
namespace {

TEST(MaxMin, ThreeFlowsTwoLinks) {
  // Link 0 (1 unit) carries A and B; link 1 (2 units) carries B and C.
  // Link 0 saturates first at 1/2: A = B = 0.5; C takes the rest of link 1: 1.5.
  const auto r = max_min_rates({1.0, 2.0}, {{0}, {0, 1}, {1}});
  EXPECT_DOUBLE_EQ(r[0], 0.5);
  EXPECT_DOUBLE_EQ(r[1], 0.5);
  EXPECT_DOUBLE_EQ(r[2], 1.5);
}

TEST(MaxMin, BottleneckMovesDownstream) {
  // Link 1 (4) carries f1, f2, f3 -> 4/3 each; f0 alone on link 0 (10) gets 10 - 4/3.
  const auto r = max_min_rates({10.0, 4.0}, {{0}, {0, 1}, {1}, {1}});
  EXPECT_NEAR(r[1], 4.0 / 3, 1e-12);
  EXPECT_NEAR(r[2], 4.0 / 3, 1e-12);
  EXPECT_NEAR(r[0], 10 - 4.0 / 3, 1e-12);
}

TEST(MaxMin, ClassicParkingLot) {
  // Three links of capacity 1 in a row; one long flow over all, one short flow per link: everyone gets 1/2.
  const auto r = max_min_rates({1, 1, 1}, {{0, 1, 2}, {0}, {1}, {2}});
  for (double x : r) EXPECT_DOUBLE_EQ(x, 0.5);
}

TEST(MaxMin, UnequalCapacitiesThreeLevels) {
  // l0 = 3 (a, b, c), l1 = 1 (c, d), l2 = 10 (a, e).
  // Round 1: l1 share 0.5 -> c = d = 0.5. Round 2: l0 has 2.5 for a, b -> 1.25 each. Round 3: e = 10 - 1.25.
  const auto r = max_min_rates({3, 1, 10}, {{0, 2}, {0}, {0, 1}, {1}, {2}});
  EXPECT_DOUBLE_EQ(r[2], 0.5);
  EXPECT_DOUBLE_EQ(r[3], 0.5);
  EXPECT_DOUBLE_EQ(r[0], 1.25);
  EXPECT_DOUBLE_EQ(r[1], 1.25);
  EXPECT_DOUBLE_EQ(r[4], 8.75);
}

TEST(MaxMin, FlowWithoutLinksIsUnbounded) {
  const auto r = max_min_rates({1}, {{}, {0}});
  EXPECT_TRUE(std::isinf(r[0]));
  EXPECT_DOUBLE_EQ(r[1], 1);
}

}  // namespace
}  // namespace dcsim::hw
