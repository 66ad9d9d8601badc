// Named random streams and our own distributions (DESIGN.md §3, §10).
//
// Every entity draws from its own stream, seeded from (scenario seed, stable name), so adding a stream does not
// shift any other, and results do not depend on the standard library (no std::hash, no std:: distributions):
//   stream seed = FNV-1a 64 over the 8 bytes of scenario_seed (little-endian) followed by the bytes of the name;
//   generator   = xoshiro256** (Blackman & Vigna 2018), its 256-bit state filled by four SplitMix64 outputs
//                 started from the stream seed.
// Distributions are plain structs with sample(RandomStream&); their parameters are public. Constructors and factory
// functions that take parameters check them (std::invalid_argument on bad values).
// Transcendental functions come from <cmath> (log, exp, pow; sqrt is exact under IEEE 754): draws are bit-identical
// wherever the libm is the same (glibc's are accurate to < 1 ulp; another libm may change the last bit of a draw).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace dcsim::sim {

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t h = 0xcbf29ce484222325ull);

struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

class RandomStream {
 public:
  RandomStream(std::uint64_t scenario_seed, std::string_view stream_name);
  // Seeds directly from a 64-bit stream seed (through SplitMix64).
  explicit RandomStream(std::uint64_t stream_seed);

  static std::uint64_t stream_seed(std::uint64_t scenario_seed, std::string_view stream_name);

  // xoshiro256**: 64 random bits.
  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1), 53 random bits.
  double next_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe to take the log of.
  double next_double_open0() { return static_cast<double>((next_u64() >> 11) + 1) * 0x1.0p-53; }

  double uniform(double a, double b) { return a + (b - a) * next_double(); }
  // Uniform integer in [lo, hi], unbiased (Lemire's multiply-and-reject). Requires lo <= hi.
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi);
  // Uniform integer in [0, n), n >= 1.
  std::uint64_t below(std::uint64_t n);
  double exponential(double mean) { return -mean * std::log(next_double_open0()); }
  double normal(double mean, double stddev);
  bool bernoulli(double p) { return next_double() < p; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// Streams named `prefix` followed by a suffix ("agents.agent.r0t3" + ".output"), the prefix hashed once: FNV-1a runs
// left to right, so each seed is the one RandomStream(scenario_seed, prefix + suffix) takes.
class StreamNamer {
 public:
  StreamNamer(std::uint64_t scenario_seed, std::string_view prefix)
      : prefix_seed_(RandomStream::stream_seed(scenario_seed, prefix)) {}
  RandomStream operator()(std::string_view suffix = {}) const { return RandomStream(fnv1a64(suffix, prefix_seed_)); }

 private:
  std::uint64_t prefix_seed_;
};

// ---- distributions -------------------------------------------------------------------------------------------

struct Uniform {  // [a, b)
  double a = 0.0, b = 1.0;
  double sample(RandomStream& r) const { return r.uniform(a, b); }
  double mean() const { return 0.5 * (a + b); }
  double variance() const { return (b - a) * (b - a) / 12.0; }
};

struct UniformInt {  // [lo, hi], inclusive
  std::int64_t lo = 0, hi = 1;
  std::int64_t sample(RandomStream& r) const { return r.uniform_int(lo, hi); }
};

struct Exponential {
  double mean = 1.0;
  static Exponential from_mean(double mean);
  static Exponential from_rate(double rate);  // mean = 1 / rate
  double sample(RandomStream& r) const { return r.exponential(mean); }
  double variance() const { return mean * mean; }
};

// Marsaglia's polar method; each sample uses fresh uniforms (no cached spare), so a sample's value depends only on
// the stream position.
struct Normal {
  double mean = 0.0, stddev = 1.0;
  double sample(RandomStream& r) const { return r.normal(mean, stddev); }
};

// exp(N(mu, sigma^2)). Three named ways to set it:
//   from_mu_sigma(mu, sigma):        the parameters of the underlying normal;
//   from_median_sigma(median, sigma): median = exp(mu);
//   from_mean_sigma(mean, sigma):    the lognormal's own mean, mu = ln(mean) - sigma^2 / 2;
//   from_mean_stddev(mean, stddev):  the lognormal's own mean and standard deviation.
struct LogNormal {
  double mu = 0.0, sigma = 1.0;
  static LogNormal from_mu_sigma(double mu, double sigma);
  static LogNormal from_median_sigma(double median, double sigma);
  static LogNormal from_mean_sigma(double mean, double sigma);
  static LogNormal from_mean_stddev(double mean, double stddev);
  double sample(RandomStream& r) const;
  double mean() const;
  double variance() const;
  double median() const;
};

// Gamma(shape k, scale theta): mean k theta, variance k theta^2. Marsaglia & Tsang (2000); for k < 1 it samples
// Gamma(k + 1) and multiplies by U^(1/k).
struct Gamma {
  double shape = 1.0, scale = 1.0;
  Gamma() = default;
  Gamma(double shape_k, double scale_theta);
  double sample(RandomStream& r) const;
  double mean() const { return shape * scale; }
  double variance() const { return shape * scale * scale; }
};

// Pareto type I: P(X > x) = (scale / x)^shape for x >= scale. Inversion.
struct Pareto {
  double scale = 1.0, shape = 2.0;
  Pareto() = default;
  Pareto(double scale_xm, double shape_alpha);
  double sample(RandomStream& r) const;
  double mean() const;      // infinite for shape <= 1
  double variance() const;  // infinite for shape <= 2
};

// Zipf on {1, ..., n}: P(k) proportional to k^-s. Exact: the CDF is precomputed (O(n) memory) and sampled by
// binary search, O(log n).
struct Zipf {
  Zipf() = default;
  Zipf(std::uint64_t n, double s);
  std::uint64_t sample(RandomStream& r) const;
  double probability(std::uint64_t k) const;
  std::uint64_t n() const { return cdf_.size(); }

 private:
  std::vector<double> cdf_;
};

// Empirical CDF from (value, cumulative probability) points: values and probabilities non-decreasing, the last
// probability 1. Sampling inverts the piecewise-linear CDF: a uniform u lands between two points and the value is
// interpolated linearly between theirs; u below the first point's probability gives the first value (an atom).
struct EmpiricalCdf {
  EmpiricalCdf() = default;
  explicit EmpiricalCdf(std::vector<std::pair<double, double>> points);
  double sample(RandomStream& r) const;
  double inverse(double u) const;  // quantile function, u in [0, 1]
  const std::vector<std::pair<double, double>>& points() const { return points_; }

 private:
  std::vector<std::pair<double, double>> points_;
};

struct Bernoulli {
  double p = 0.5;
  bool sample(RandomStream& r) const { return r.bernoulli(p); }
};

// Index i drawn with probability weights[i] / sum(weights). Weights >= 0, sum > 0. Binary search over the
// cumulative weights, O(log n).
struct DiscreteChoice {
  DiscreteChoice() = default;
  explicit DiscreteChoice(const std::vector<double>& weights);
  std::size_t sample(RandomStream& r) const;
  std::size_t size() const { return cumulative_.size(); }

 private:
  std::vector<double> cumulative_;
};

}  // namespace dcsim::sim
