#include "sim/random.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace dcsim::sim {

namespace {
__extension__ using u128 = unsigned __int128;

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument(what); }
}  // namespace

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t h) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::uint64_t RandomStream::stream_seed(std::uint64_t scenario_seed, std::string_view stream_name) {
  char le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<char>((scenario_seed >> (8 * i)) & 0xff);
  return fnv1a64(stream_name, fnv1a64(std::string_view(le, 8)));
}

RandomStream::RandomStream(std::uint64_t stream_seed_value) {
  SplitMix64 sm{stream_seed_value};
  for (std::uint64_t& w : s_) w = sm.next();
}

RandomStream::RandomStream(std::uint64_t scenario_seed, std::string_view stream_name)
    : RandomStream(stream_seed(scenario_seed, stream_name)) {}

std::uint64_t RandomStream::below(std::uint64_t n) {
  if (n == 0) bad("RandomStream::below: n must be >= 1");
  // Lemire (2019), "Fast random integer generation in an interval".
  u128 m = static_cast<u128>(next_u64()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<u128>(next_u64()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

std::int64_t RandomStream::uniform_int(std::int64_t lo, std::int64_t hi) {
  if (lo > hi) bad("RandomStream::uniform_int: lo > hi");
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  const std::uint64_t off = span == std::numeric_limits<std::uint64_t>::max() ? next_u64() : below(span + 1);
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + off);
}

double RandomStream::normal(double mean, double stddev) {
  double u, v, s;
  do {
    u = 2.0 * next_double() - 1.0;
    v = 2.0 * next_double() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  return mean + stddev * u * std::sqrt(-2.0 * std::log(s) / s);
}

Exponential Exponential::from_mean(double mean) {
  if (!(mean > 0) || !std::isfinite(mean)) bad("Exponential: mean must be positive and finite");
  return Exponential{mean};
}

Exponential Exponential::from_rate(double rate) {
  if (!(rate > 0) || !std::isfinite(rate)) bad("Exponential: rate must be positive and finite");
  return Exponential{1.0 / rate};
}

LogNormal LogNormal::from_mu_sigma(double mu, double sigma) {
  if (!std::isfinite(mu) || !(sigma >= 0) || !std::isfinite(sigma)) bad("LogNormal: need finite mu and sigma >= 0");
  return LogNormal{mu, sigma};
}

LogNormal LogNormal::from_median_sigma(double median, double sigma) {
  if (!(median > 0)) bad("LogNormal: median must be > 0");
  return from_mu_sigma(std::log(median), sigma);
}

LogNormal LogNormal::from_mean_sigma(double mean, double sigma) {
  if (!(mean > 0)) bad("LogNormal: mean must be > 0");
  return from_mu_sigma(std::log(mean) - 0.5 * sigma * sigma, sigma);
}

LogNormal LogNormal::from_mean_stddev(double mean, double stddev) {
  if (!(mean > 0) || !(stddev >= 0)) bad("LogNormal: need mean > 0 and stddev >= 0");
  const double sigma2 = std::log1p((stddev / mean) * (stddev / mean));
  return from_mu_sigma(std::log(mean) - 0.5 * sigma2, std::sqrt(sigma2));
}

double LogNormal::sample(RandomStream& r) const { return std::exp(r.normal(mu, sigma)); }
double LogNormal::mean() const { return std::exp(mu + 0.5 * sigma * sigma); }
double LogNormal::variance() const { return std::expm1(sigma * sigma) * std::exp(2 * mu + sigma * sigma); }
double LogNormal::median() const { return std::exp(mu); }

Gamma::Gamma(double shape_k, double scale_theta) : shape(shape_k), scale(scale_theta) {
  if (!(shape > 0) || !(scale > 0) || !std::isfinite(shape) || !std::isfinite(scale)) {
    bad("Gamma: shape and scale must be positive and finite");
  }
}

double Gamma::sample(RandomStream& r) const {
  const bool boost = shape < 1.0;
  const double k = boost ? shape + 1.0 : shape;
  const double d = k - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  double x;
  for (;;) {
    double z, v;
    do {
      z = r.normal(0.0, 1.0);
      v = 1.0 + c * z;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = r.next_double_open0();
    if (u < 1.0 - 0.0331 * (z * z) * (z * z) || std::log(u) < 0.5 * z * z + d * (1.0 - v + std::log(v))) {
      x = d * v;
      break;
    }
  }
  if (boost) x *= std::pow(r.next_double_open0(), 1.0 / shape);
  return x * scale;
}

Pareto::Pareto(double scale_xm, double shape_alpha) : scale(scale_xm), shape(shape_alpha) {
  if (!(scale > 0) || !(shape > 0)) bad("Pareto: scale and shape must be > 0");
}

double Pareto::sample(RandomStream& r) const { return scale * std::pow(r.next_double_open0(), -1.0 / shape); }

double Pareto::mean() const {
  return shape <= 1.0 ? std::numeric_limits<double>::infinity() : shape * scale / (shape - 1.0);
}

double Pareto::variance() const {
  if (shape <= 2.0) return std::numeric_limits<double>::infinity();
  return scale * scale * shape / ((shape - 1.0) * (shape - 1.0) * (shape - 2.0));
}

Zipf::Zipf(std::uint64_t n, double s) {
  if (n == 0) bad("Zipf: n must be >= 1");
  if (!(s >= 0) || !std::isfinite(s)) bad("Zipf: s must be finite and >= 0");
  cdf_.resize(n);
  double acc = 0.0;
  for (std::uint64_t k = 1; k <= n; ++k) {
    acc += std::pow(static_cast<double>(k), -s);
    cdf_[k - 1] = acc;
  }
  for (double& c : cdf_) c /= acc;
  cdf_.back() = 1.0;
}

std::uint64_t Zipf::sample(RandomStream& r) const {
  const double u = r.next_double();
  return static_cast<std::uint64_t>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin()) + 1;
}

double Zipf::probability(std::uint64_t k) const {
  if (k < 1 || k > cdf_.size()) return 0.0;
  return k == 1 ? cdf_[0] : cdf_[k - 1] - cdf_[k - 2];
}

EmpiricalCdf::EmpiricalCdf(std::vector<std::pair<double, double>> points) : points_(std::move(points)) {
  if (points_.empty()) bad("EmpiricalCdf: needs at least one point");
  for (std::size_t i = 0; i < points_.size(); ++i) {
    const auto [v, p] = points_[i];
    if (!std::isfinite(v) || !(p >= 0.0 && p <= 1.0)) bad("EmpiricalCdf: point " + std::to_string(i) + " invalid");
    if (i > 0 && (v < points_[i - 1].first || p < points_[i - 1].second)) {
      bad("EmpiricalCdf: values and probabilities must be non-decreasing (point " + std::to_string(i) + ")");
    }
  }
  if (points_.back().second != 1.0) bad("EmpiricalCdf: the last cumulative probability must be 1");
}

double EmpiricalCdf::inverse(double u) const {
  if (u <= points_.front().second) return points_.front().first;
  // First point with probability > u (exists because the last is 1 > u for u < 1).
  auto it = std::upper_bound(points_.begin(), points_.end(), u,
                             [](double x, const std::pair<double, double>& pt) { return x < pt.second; });
  if (it == points_.end()) return points_.back().first;
  const auto& hi = *it;
  const auto& lo = *(it - 1);
  const double t = (u - lo.second) / (hi.second - lo.second);
  return lo.first + t * (hi.first - lo.first);
}

double EmpiricalCdf::sample(RandomStream& r) const { return inverse(r.next_double()); }

DiscreteChoice::DiscreteChoice(const std::vector<double>& weights) {
  if (weights.empty()) bad("DiscreteChoice: needs at least one weight");
  cumulative_.resize(weights.size());
  double acc = 0.0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] >= 0) || !std::isfinite(weights[i])) bad("DiscreteChoice: weights must be finite and >= 0");
    acc += weights[i];
    cumulative_[i] = acc;
  }
  if (!(acc > 0)) bad("DiscreteChoice: weights sum to 0");
}

std::size_t DiscreteChoice::sample(RandomStream& r) const {
  const double u = r.next_double() * cumulative_.back();
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  const auto i = static_cast<std::size_t>(it - cumulative_.begin());
  return std::min(i, cumulative_.size() - 1);
}

}  // namespace dcsim::sim
