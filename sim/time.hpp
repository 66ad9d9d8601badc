// Simulated time: an integer count of picoseconds (DESIGN.md §3).
//
// Integer time makes event order exact and runs bit-reproducible; conversions from floating-point seconds or
// rates happen once, at the edge, with the rounding stated per function. 2^63 ps is about 106 days.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace dcsim::sim {

using Time = std::int64_t;  // picoseconds

inline constexpr Time kPicosecond = 1;
inline constexpr Time kNanosecond = 1'000;
inline constexpr Time kMicrosecond = 1'000'000;
inline constexpr Time kMillisecond = 1'000'000'000;
inline constexpr Time kSecond = 1'000'000'000'000;
inline constexpr Time kTimeMax = std::numeric_limits<Time>::max();

// A finite time past kTimeMax (~106 days): a limit of the engine that a long scenario can reach, not a bug, so the
// front end reports it as bad input naming the horizon (a NaN or infinite time stays a plain overflow_error: a bug).
class TimeHorizonExceeded : public std::overflow_error {
 public:
  explicit TimeHorizonExceeded(const std::string& what) : std::overflow_error(what) {}
};
inline constexpr double kTimeHorizonSeconds = static_cast<double>(kTimeMax) / 1e12;  // 9,223,372 s

// Seconds to picoseconds, rounded to the nearest picosecond (halves away from zero).
// Throws TimeHorizonExceeded when `s` is finite but outside the range of Time, std::overflow_error when it is NaN
// or infinite.
Time from_seconds(double s);

// Picoseconds to seconds (nearest double).
double to_seconds(Time t);

// Time to move `bytes` at `bytes_per_second`: ceil(bytes * 1e12 / bytes_per_second) picoseconds, rounded once and
// up, so a transfer never finishes early. 0 bytes take 0 ps. Throws std::invalid_argument for negative or NaN bytes
// or a rate that is not positive, std::overflow_error when the result does not fit in Time.
Time transfer_time(double bytes, double bytes_per_second);

}  // namespace dcsim::sim
