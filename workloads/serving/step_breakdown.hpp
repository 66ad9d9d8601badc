// Where one engine iteration's time goes, on the busiest GPU: each roofline op's time is charged to the term
// that bounds it (a memory-bound projection to `weights`, a compute-bound one to `gemm_math`; decode and prefill
// attention to `kv` or `attention_math`), so the terms sum to the step exactly. docs/serving.md ("Step
// breakdown") defines each term; the result reports their means over the window's pure decode steps.
#pragma once

#include <array>
#include <cstddef>

namespace dcsim::wl::serving {

enum class StepPart : std::size_t {
  weights,         // dense projections, norms, router, shared experts, LM head: HBM-bound (weights and activations)
  gemm_math,       // the same ops when the tensor cores bound them
  kv,              // attention reading the KV cache (HBM-bound)
  attention_math,  // attention when its FLOPs bound it (MLA decode, long prefill)
  moe,             // routed experts' grouped GEMMs on the busiest GPU
  comm,            // TP all-reduce and EP all-to-all
  draft,           // speculative drafting passes
  cpu,             // host scheduling time not hidden behind the GPU
  kv_io,           // swap and prefix-cache tier transfers that block the step
  count_
};
inline constexpr std::size_t kStepParts = static_cast<std::size_t>(StepPart::count_);

inline const char* to_string(StepPart p) {
  static constexpr std::array<const char*, kStepParts> names = {
      "weights", "gemm_math", "kv", "attention_math", "moe", "comm", "draft", "cpu", "kv_io"};
  return names[static_cast<std::size_t>(p)];
}

struct StepBreakdown {
  std::array<double, kStepParts> s{};  // seconds per term
  double& operator[](StepPart p) { return s[static_cast<std::size_t>(p)]; }
  double operator[](StepPart p) const { return s[static_cast<std::size_t>(p)]; }
  double total() const {
    double t = 0;
    for (double v : s) t += v;
    return t;
  }
  StepBreakdown& operator+=(const StepBreakdown& o) {
    for (std::size_t i = 0; i < kStepParts; ++i) s[i] += o.s[i];
    return *this;
  }
  StepBreakdown scaled(double f) const {
    StepBreakdown r = *this;
    for (double& v : r.s) v *= f;
    return r;
  }
};

}  // namespace dcsim::wl::serving
