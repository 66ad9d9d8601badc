// A running 64-bit fingerprint (cf. OMNeT++): fold in event times and results, compare against a recorded value to
// catch unintended behaviour changes cheaply. Simulator::fingerprint() already folds every executed event's time;
// this class lets a model add its own observations (bytes moved, completion times, ...).
// Mixing: h = (h xor word) * 0x100000001b3 from 0xcbf29ce484222325 (FNV-1a constants, one 64-bit word per step).
#pragma once

#include <bit>
#include <cstdint>
#include <string_view>

#include "sim/time.hpp"

namespace dcsim::sim {

class Fingerprint {
 public:
  void add(std::uint64_t word) { h_ = (h_ ^ word) * 0x100000001b3ull; }
  void add_time(Time t) { add(static_cast<std::uint64_t>(t)); }
  void add_double(double x) { add(std::bit_cast<std::uint64_t>(x)); }
  void add_string(std::string_view s) {
    for (unsigned char c : s) add(c);
  }
  std::uint64_t value() const { return h_; }

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ull;
};

}  // namespace dcsim::sim
