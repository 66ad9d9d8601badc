#include "sim/time.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace dcsim::sim {
namespace {

constexpr double kTwoTo63 = 9223372036854775808.0;  // 2^63, exactly representable

Time checked_to_time(double ps, const char* what) {
  if (!std::isfinite(ps)) throw std::overflow_error(std::string(what) + ": value " + std::to_string(ps) + " ps is not finite");
  if (ps >= kTwoTo63 || ps < -kTwoTo63) {
    throw TimeHorizonExceeded(std::string(what) + ": " + std::to_string(ps / 1e12) +
                              " s is past the simulated-time horizon of 2^63 ps (106 days)");
  }
  return static_cast<Time>(ps);
}

}  // namespace

Time from_seconds(double s) { return checked_to_time(std::round(s * 1e12), "from_seconds"); }

double to_seconds(Time t) { return static_cast<double>(t) / 1e12; }

Time transfer_time(double bytes, double bytes_per_second) {
  if (!(bytes >= 0)) throw std::invalid_argument("transfer_time: bytes must be >= 0, got " + std::to_string(bytes));
  if (!(bytes_per_second > 0)) {
    throw std::invalid_argument("transfer_time: bytes_per_second must be > 0, got " +
                                std::to_string(bytes_per_second));
  }
  if (bytes == 0) return 0;
  // Multiplying first keeps round figures exact (1000 B at 1e9 B/s is exactly 1 us, not 1 us + 1 ps).
  return checked_to_time(std::ceil(bytes * 1e12 / bytes_per_second), "transfer_time");
}

}  // namespace dcsim::sim
