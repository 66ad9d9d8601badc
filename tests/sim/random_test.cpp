#include "sim/random.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dcsim::sim {
namespace {

// Sample mean and variance checked against theory within 5 standard errors. The standard error of the variance
// uses the sample's fourth central moment: se^2 = (m4 - s^4) / n.
void expect_moments(const std::function<double()>& draw, double mean, double var, int n = 400'000) {
  std::vector<double> xs(static_cast<std::size_t>(n));
  double sum = 0;
  for (double& x : xs) sum += (x = draw());
  const double m = sum / n;
  double m2 = 0, m4 = 0;
  for (double x : xs) {
    const double d2 = (x - m) * (x - m);
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= n;
  m4 /= n;
  EXPECT_NEAR(m, mean, 5 * std::sqrt(var / n)) << "mean";
  EXPECT_NEAR(m2, var, 5 * std::sqrt((m4 - m2 * m2) / n)) << "variance";
}

TEST(Random, KnownAnswers) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
  SplitMix64 sm{0};
  EXPECT_EQ(sm.next(), 0xe220a8397b1dcdafull);
  EXPECT_EQ(sm.next(), 0x6e789e6aa1b965f4ull);
}

// Golden values: a change here means every scenario's random numbers changed. Update only on purpose.
TEST(Random, GoldenFirstValues) {
  RandomStream r(42, "arrivals");
  EXPECT_EQ(RandomStream::stream_seed(42, "arrivals"), 0xbf02178ea5a49e7dull);
  const std::uint64_t got[3] = {r.next_u64(), r.next_u64(), r.next_u64()};
  EXPECT_EQ(got[0], 0x97d61ce4a52668a3ull);
  EXPECT_EQ(got[1], 0xde0960cbc227a983ull);
  EXPECT_EQ(got[2], 0x781a7267adab2738ull);
}

TEST(Random, StreamNamerGivesTheFullNamesStreams) {
  // The golden stream again, its name split at every place: the same seed and the same first numbers.
  const std::string name = "arrivals";
  for (std::size_t cut = 0; cut <= name.size(); ++cut) {
    const StreamNamer prefix(42, name.substr(0, cut));
    RandomStream r = prefix(name.substr(cut));
    EXPECT_EQ(r.next_u64(), 0x97d61ce4a52668a3ull) << cut;
    EXPECT_EQ(r.next_u64(), 0xde0960cbc227a983ull) << cut;
  }
  const StreamNamer agent(7, "agents.agent.r0t3");
  EXPECT_EQ(agent(".output").next_u64(), RandomStream(7, "agents.agent.r0t3.output").next_u64());
  EXPECT_EQ(agent().next_u64(), RandomStream(7, "agents.agent.r0t3").next_u64());
}

TEST(Random, StreamsAreIndependentOfEachOther) {
  RandomStream a1(7, "gpu.0");
  std::vector<std::uint64_t> alone;
  for (int i = 0; i < 100; ++i) alone.push_back(a1.next_u64());
  RandomStream a2(7, "gpu.0");
  RandomStream b(7, "gpu.1");  // a new stream, interleaved
  for (int i = 0; i < 100; ++i) {
    b.next_u64();
    ASSERT_EQ(a2.next_u64(), alone[static_cast<std::size_t>(i)]);
  }
  EXPECT_NE(RandomStream(7, "gpu.0").next_u64(), RandomStream(7, "gpu.1").next_u64());
  EXPECT_NE(RandomStream(7, "gpu.0").next_u64(), RandomStream(8, "gpu.0").next_u64());
}

TEST(Random, UniformAndIntegers) {
  RandomStream r(1, "u");
  expect_moments([&] { return r.uniform(2.0, 5.0); }, 3.5, 9.0 / 12.0);
  expect_moments([&] { return static_cast<double>(r.uniform_int(-3, 6)); }, 1.5, (100.0 - 1) / 12.0);
  for (int i = 0; i < 10'000; ++i) {
    const auto v = r.uniform_int(-3, 6);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 6);
    const double d = r.next_double();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
  }
  EXPECT_EQ(r.uniform_int(5, 5), 5);
}

TEST(Random, Exponential) {
  RandomStream r(1, "exp");
  const Exponential e = Exponential::from_rate(4.0);
  EXPECT_DOUBLE_EQ(e.mean, 0.25);
  expect_moments([&] { return e.sample(r); }, 0.25, 0.0625);
}

TEST(Random, Normal) {
  RandomStream r(1, "normal");
  const Normal n{3.0, 2.0};
  expect_moments([&] { return n.sample(r); }, 3.0, 4.0);
}

TEST(Random, LogNormalParameterisations) {
  RandomStream r(1, "lognormal");
  const LogNormal a = LogNormal::from_median_sigma(2.0, 0.5);
  EXPECT_DOUBLE_EQ(a.median(), 2.0);
  expect_moments([&] { return a.sample(r); }, a.mean(), a.variance());
  const LogNormal b = LogNormal::from_mean_sigma(3.0, 0.4);
  EXPECT_NEAR(b.mean(), 3.0, 1e-12);
  expect_moments([&] { return b.sample(r); }, 3.0, b.variance());
  const LogNormal c = LogNormal::from_mean_stddev(3.0, 1.5);
  EXPECT_NEAR(c.mean(), 3.0, 1e-12);
  EXPECT_NEAR(c.variance(), 2.25, 1e-12);
  expect_moments([&] { return c.sample(r); }, 3.0, 2.25);
}

TEST(Random, GammaIncludingShapeBelowOne) {
  RandomStream r(1, "gamma");
  for (const auto& [k, theta] : {std::pair{0.3, 2.0}, std::pair{1.0, 1.0}, std::pair{4.5, 0.5}}) {
    const Gamma g(k, theta);
    expect_moments([&] { return g.sample(r); }, k * theta, k * theta * theta);
  }
  EXPECT_THROW(Gamma(0.0, 1.0), std::invalid_argument);
}

TEST(Random, Pareto) {
  RandomStream r(1, "pareto");
  const Pareto p(2.0, 5.0);  // shape 5: four finite moments, so the variance test is valid
  EXPECT_DOUBLE_EQ(p.mean(), 2.5);
  expect_moments([&] { return p.sample(r); }, 2.5, p.variance(), 1'000'000);
  for (int i = 0; i < 1000; ++i) ASSERT_GE(p.sample(r), 2.0);
}

TEST(Random, BernoulliAndDiscreteChoice) {
  RandomStream r(1, "discrete");
  const Bernoulli b{0.3};
  expect_moments([&] { return b.sample(r) ? 1.0 : 0.0; }, 0.3, 0.21);
  const DiscreteChoice d({1.0, 0.0, 3.0, 6.0});
  const int n = 500'000;
  std::vector<int> hits(4, 0);
  for (int i = 0; i < n; ++i) ++hits[d.sample(r)];
  EXPECT_EQ(hits[1], 0);
  for (const auto& [i, p] : {std::pair{0, 0.1}, std::pair{2, 0.3}, std::pair{3, 0.6}}) {
    EXPECT_NEAR(hits[static_cast<std::size_t>(i)] / double(n), p, 5 * std::sqrt(p * (1 - p) / n)) << i;
  }
}

TEST(Random, ZipfFrequencies) {
  RandomStream r(1, "zipf");
  const Zipf z(100, 1.1);
  double h = 0;
  for (int k = 1; k <= 100; ++k) h += std::pow(k, -1.1);
  EXPECT_NEAR(z.probability(1), 1.0 / h, 1e-12);
  EXPECT_NEAR(z.probability(10), std::pow(10, -1.1) / h, 1e-12);
  const int n = 500'000;
  std::vector<int> hits(101, 0);
  for (int i = 0; i < n; ++i) {
    const auto k = z.sample(r);
    ASSERT_GE(k, 1u);
    ASSERT_LE(k, 100u);
    ++hits[k];
  }
  for (int k : {1, 2, 5, 10, 50, 100}) {
    const double p = z.probability(static_cast<std::uint64_t>(k));
    EXPECT_NEAR(hits[static_cast<std::size_t>(k)] / double(n), p, 5 * std::sqrt(p * (1 - p) / n)) << k;
  }
}

TEST(Random, EmpiricalCdfInterpolatesLinearly) {
  // 20% at exactly 1 (an atom), then uniform on [1, 3] for the next 40%, uniform on [3, 11] for the last 40%.
  const EmpiricalCdf cdf({{1.0, 0.2}, {3.0, 0.6}, {11.0, 1.0}});
  EXPECT_DOUBLE_EQ(cdf.inverse(0.1), 1.0);
  EXPECT_DOUBLE_EQ(cdf.inverse(0.4), 2.0);
  EXPECT_DOUBLE_EQ(cdf.inverse(0.8), 7.0);
  EXPECT_DOUBLE_EQ(cdf.inverse(1.0), 11.0);
  RandomStream r(1, "ecdf");
  const int n = 400'000;
  int atom = 0, low = 0, high = 0;
  for (int i = 0; i < n; ++i) {
    const double x = cdf.sample(r);
    if (x == 1.0) {
      ++atom;
    } else if (x < 3.0) {
      ++low;
    } else {
      ++high;
    }
  }
  const double se = 5 * std::sqrt(0.4 * 0.6 / n);
  EXPECT_NEAR(atom / double(n), 0.2, se);
  EXPECT_NEAR(low / double(n), 0.4, se);
  EXPECT_NEAR(high / double(n), 0.4, se);
  // Mean 0.2*1 + 0.4*2 + 0.4*7 = 3.8; E[X^2] uses E[U(a,b)^2] = (a^2 + ab + b^2) / 3.
  expect_moments([&] { return cdf.sample(r); }, 3.8, 0.2 * 1 + 0.4 * 13.0 / 3 + 0.4 * 163.0 / 3 - 3.8 * 3.8);
  EXPECT_THROW(EmpiricalCdf({{1.0, 0.5}}), std::invalid_argument);
  EXPECT_THROW(EmpiricalCdf({{2.0, 0.5}, {1.0, 1.0}}), std::invalid_argument);
}

}  // namespace
}  // namespace dcsim::sim
