// Speculative decoding / multi-token prediction: each decode step verifies k drafted tokens (the step processes
// 1 + k tokens per sequence) and emits the accepted ones plus one, on average acceptance[k - 1] tokens (the
// acceptance-length curve, from the scenario). Emission is deterministic: an accumulator hands out
// floor(acc + a) - floor(acc) tokens per step to every sequence of the step, so the long-run mean is exactly a and
// runs do not depend on a random stream. The draft cost is charged by InstanceModel (draft_layers per token).
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "workloads/serving/serving_workload.hpp"

namespace dcsim::wl::serving {

class AcceptanceCurve {
 public:
  explicit AcceptanceCurve(const SpeculativeSpec& s) : k_(s.draft_tokens) {
    if (k_ == 0) return;
    if (static_cast<int>(s.acceptance.size()) < k_) {
      throw std::invalid_argument("speculative decoding with " + std::to_string(k_) +
                                  " draft tokens needs an acceptance length for k = 1.." + std::to_string(k_));
    }
    mean_ = s.acceptance[static_cast<std::size_t>(k_ - 1)];
    if (mean_ < 1 || mean_ > k_ + 1) {
      throw std::invalid_argument("acceptance length must be within [1, k + 1]");
    }
  }
  int tokens_per_verify() const { return 1 + k_; }
  double mean_emitted() const { return mean_; }
  // Tokens every sequence of this step emits.
  std::int64_t next() {
    if (k_ == 0) return 1;
    const double before = std::floor(acc_);
    acc_ += mean_;
    return static_cast<std::int64_t>(std::floor(acc_) - before);
  }

 private:
  int k_ = 0;
  double mean_ = 1;
  double acc_ = 0;
};

}  // namespace dcsim::wl::serving
