// What a serving run measures (DESIGN.md §6-7; docs/serving.md "Metrics").
//
// Measurement window: [warmup_s, end], end = the last arrival for open-loop sources (Poisson, gamma, trace),
// duration_s for closed loop, the last completion for offline. Requests that arrive before warmup_s are served
// but left out of the latency figures. Throughput counts tokens when they are emitted inside the window (so a
// backlog drained after the window does not inflate it); throughput_rps and goodput_rps count completions inside
// the window; energy and MFU are integrated over the window. Output tokens are also counted by request class
// (tokens_by_class.<class>, summing to `tokens`); with declared classes (workload.classes) TTFT and TPOT are
// also reported per class (by_class.<class>.{ttft_s,tpot_s}.{p50,p99}).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/energy.hpp"
#include "sim/stats.hpp"
#include "workloads/cluster_power.hpp"
#include "workloads/metrics.hpp"
#include "workloads/serving/serving_workload.hpp"
#include "workloads/serving/step_breakdown.hpp"

namespace dcsim::wl::serving {

// Sets key.mean, key.p50, key.p90 and key.p99 of a sample set (0 when it is empty); agents reports with it too.
void set_distribution(Metrics& m, const std::string& key, const sim::SampleSet& s);

class ServingStats {
 public:
  explicit ServingStats(const ServingWorkload& w)
      : slo_(w.slo),
        warmup_(w.warmup_s),
        classes_(w.class_names()),
        per_class_latency_(!w.classes.empty()),
        tokens_by_class_(classes_.size(), 0),
        ttft_by_class_(per_class_latency_ ? classes_.size() : 0),
        tpot_by_class_(per_class_latency_ ? classes_.size() : 0) {}

  void set_window_end(double t) { end_ = t; has_end_ = true; }
  bool has_window_end() const { return has_end_; }
  double window_start() const { return warmup_; }
  double window_end() const { return end_; }
  bool in_window(double t) const { return t >= warmup_ && (!has_end_ || t <= end_); }

  void first_token(double arrival, double t, std::int64_t input, bool measured, int cls = 0);
  void tokens(std::int64_t n, double t, int cls = 0) {
    if (!in_window(t)) return;
    output_tokens_ += n;
    tokens_by_class_[static_cast<std::size_t>(cls)] += n;
  }
  // n[c]: tokens of class c emitted at t.
  void tokens_by_class(const std::vector<std::int64_t>& n, double t) {
    if (!in_window(t)) return;
    for (std::size_t c = 0; c < n.size(); ++c) {
      output_tokens_ += n[c];
      tokens_by_class_[c] += n[c];
    }
  }
  void finished(double arrival, double first, double t, std::int64_t output, bool measured, int cls = 0);
  // Spreads f uniformly over [t0, t1] and keeps the window's share; `pool` 0 colocated/prefill, 1 decode.
  void flops(double f, double t0, double t1, int pool = 0);
  void rejected() { ++rejected_; }
  // An instance of `pool` (0 colocated/prefill, 1 decode) stepped over [t0, t1]: its window share is busy time.
  void busy(int pool, double t0, double t1) {
    const double lo = std::max(t0, warmup_), hi = has_end_ ? std::min(t1, end_) : t1;
    if (hi > lo) busy_s_[pool] += hi - lo;
  }
  double busy_seconds(int pool) const { return busy_s_[pool]; }
  // Prefills were held back by the decode pool (no KV blocks to reserve) over [t0, t1].
  void backpressure(double t0, double t1) {
    const double lo = std::max(t0, warmup_), hi = has_end_ ? std::min(t1, end_) : t1;
    if (hi > lo) blocked_s_ += hi - lo;
  }
  double backpressure_seconds() const { return blocked_s_; }
  // A pure decode step (no prefill chunk) of `seqs` sequences that started at t0: counted when t0 is in the window.
  void decode_step(const StepBreakdown& parts, std::int64_t seqs, double t0) {
    if (!in_window(t0)) return;
    decode_parts_ += parts;
    decode_seqs_ += static_cast<double>(seqs);
    ++decode_steps_;
  }

  // Writes every metric but the power ones (see report_energy).
  // peak_by_pool: dense peak FLOP/s of the front pool (colocated or prefill) and of the decode pool (0: none).
  void report(Metrics& m, int gpus, const double (&peak_by_pool)[2]) const;
  // Energy over the window from two ledger snapshots, with tokens_per_joule(_facility) and tokens_per_s_per_mw.
  void report_energy(Metrics& m, const sim::EnergyLedger& ledger, const PowerSnapshot& a, const PowerSnapshot& b,
                     double pue, int gpus,
                     double all_in_kw_per_gpu) const;

  std::int64_t completed() const { return completed_; }
  std::int64_t output_tokens() const { return output_tokens_; }
  const std::vector<std::int64_t>& output_tokens_by_class() const { return tokens_by_class_; }
  const sim::SampleSet& ttft() const { return ttft_; }
  const sim::SampleSet& tpot() const { return tpot_; }
  const sim::SampleSet& e2e() const { return e2e_; }

 private:
  SloSpec slo_;
  double warmup_;
  double end_ = 0;
  bool has_end_ = false;
  sim::SampleSet ttft_, tpot_, e2e_;
  std::int64_t completed_ = 0, rejected_ = 0, completed_window_ = 0, good_window_ = 0;
  std::int64_t measured_ = 0, measured_ok_ = 0;
  std::int64_t output_tokens_ = 0, input_tokens_ = 0;
  double flops_[2] = {0, 0};
  double busy_s_[2] = {0, 0};  // instance-seconds stepping inside the window, by pool
  double blocked_s_ = 0;       // seconds the prefill pool waited for decode KV blocks
  StepBreakdown decode_parts_;  // summed over the window's pure decode steps
  double decode_seqs_ = 0;
  std::int64_t decode_steps_ = 0;
  std::vector<std::string> classes_;
  bool per_class_latency_ = false;
  std::vector<std::int64_t> tokens_by_class_;
  std::vector<sim::SampleSet> ttft_by_class_, tpot_by_class_;  // only with declared classes
};

}  // namespace dcsim::wl::serving
