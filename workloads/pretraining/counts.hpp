// Counts (layers, tokens, micro-batches, GPUs) are 64-bit integers; the cost formulas work in doubles. One
// conversion, shared by the pretraining files that mix the two.
#pragma once

#include <cstdint>

namespace dcsim::wl::counts {

inline double d(std::int64_t v) { return static_cast<double>(v); }

}  // namespace dcsim::wl::counts
