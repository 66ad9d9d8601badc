#include "workloads/serving/serving_metrics.hpp"

#include <algorithm>
#include <string>

namespace dcsim::wl::serving {

void ServingStats::first_token(double arrival, double t, std::int64_t input, bool measured, int cls) {
  if (measured) ttft_.add(t - arrival);
  if (measured && per_class_latency_) ttft_by_class_[static_cast<std::size_t>(cls)].add(t - arrival);
  if (in_window(t)) input_tokens_ += input;
}

void ServingStats::finished(double arrival, double first, double t, std::int64_t output, bool measured, int cls) {
  ++completed_;
  const double ttft = first - arrival;
  const double tpot = output > 1 ? (t - first) / static_cast<double>(output - 1) : 0.0;
  const bool ok = ttft <= slo_.ttft_s && tpot <= slo_.tpot_s;
  if (measured) {
    tpot_.add(tpot);
    if (per_class_latency_) tpot_by_class_[static_cast<std::size_t>(cls)].add(tpot);
    e2e_.add(t - arrival);
    ++measured_;
    if (ok) ++measured_ok_;
  }
  if (in_window(t)) {
    ++completed_window_;
    if (ok) ++good_window_;
  }
}

void ServingStats::flops(double f, double t0, double t1, int pool) {
  if (t1 <= t0) return;
  const double lo = std::max(t0, warmup_);
  const double hi = has_end_ ? std::min(t1, end_) : t1;
  if (hi > lo) flops_[pool] += f * (hi - lo) / (t1 - t0);
}

void set_distribution(Metrics& m, const std::string& key, const sim::SampleSet& s) {
  const bool any = s.count() > 0;
  m.set(key + ".mean", any ? s.mean() : 0.0);
  m.set(key + ".p50", any ? s.p50() : 0.0);
  m.set(key + ".p90", any ? s.p90() : 0.0);
  m.set(key + ".p99", any ? s.p99() : 0.0);
}

void ServingStats::report(Metrics& m, int gpus, const double (&peak_by_pool)[2]) const {
  const double window = std::max(0.0, end_ - warmup_);
  const double per_s = window > 0 ? 1.0 / window : 0.0;
  m.set("requests", static_cast<double>(completed_));
  m.set("requests_rejected", static_cast<double>(rejected_));
  m.set("window_s", window);
  set_distribution(m, "ttft_s", ttft_);
  set_distribution(m, "tpot_s", tpot_);
  set_distribution(m, "e2e_s", e2e_);
  m.set("throughput_rps", static_cast<double>(completed_window_) * per_s);
  m.set("goodput_rps", static_cast<double>(good_window_) * per_s);
  m.set("slo_attainment", measured_ > 0 ? static_cast<double>(measured_ok_) / static_cast<double>(measured_) : 0.0);
  // MLPerf convention: the run meets its latency constraints when the p99 TTFT and the p99 TPOT are within them.
  const bool p99_ok = ttft_.count() > 0 && ttft_.p99() <= slo_.ttft_s && tpot_.count() > 0 && tpot_.p99() <= slo_.tpot_s;
  m.set("slo_p99_met", p99_ok ? 1.0 : 0.0);
  m.set("tokens", static_cast<double>(output_tokens_));
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    m.set(std::string(kTokensByClassPrefix) + classes_[c], static_cast<double>(tokens_by_class_[c]));
  }
  const double tps = static_cast<double>(output_tokens_) * per_s;
  m.set("tokens_per_s", tps);
  m.set("input_tokens_per_s", static_cast<double>(input_tokens_) * per_s);
  m.set("tokens_per_s_per_gpu", gpus > 0 ? tps / gpus : 0.0);
  // Interactivity (InferenceX): the token rate one user sees while its answer streams, 1 / mean TPOT.
  m.set("tokens_per_s_per_user", tpot_.count() > 0 && tpot_.mean() > 0 ? 1.0 / tpot_.mean() : 0.0);
  const double peak = peak_by_pool[0] + peak_by_pool[1];
  const double mfu = window > 0 && peak > 0 ? (flops_[0] + flops_[1]) / window / peak : 0.0;
  m.set("mfu", mfu);
  m.set("hfu", mfu);
  if (peak_by_pool[1] > 0 && window > 0) {
    m.set("mfu_prefill_pool", flops_[0] / window / peak_by_pool[0]);
    m.set("mfu_decode_pool", flops_[1] / window / peak_by_pool[1]);
  }
  // The mean pure decode step and where its time goes (docs/serving.md, "Step breakdown").
  const double n = static_cast<double>(decode_steps_);
  m.set("decode_step.count", n);
  m.set("decode_step.batch", n > 0 ? decode_seqs_ / n : 0.0);
  m.set("decode_step.time_s", n > 0 ? decode_parts_.total() / n : 0.0);
  for (std::size_t i = 0; i < kStepParts; ++i) {
    const auto part = static_cast<StepPart>(i);
    m.set(std::string("decode_step.") + to_string(part) + "_s", n > 0 ? decode_parts_[part] / n : 0.0);
  }
  // Per-class latency with declared classes (the whole-run figures above cover every class).
  for (std::size_t c = 0; c < ttft_by_class_.size(); ++c) {
    const std::string key = "by_class." + classes_[c] + ".";
    const auto& ttft = ttft_by_class_[c];
    const auto& tpot = tpot_by_class_[c];
    m.set(key + "ttft_s.p50", ttft.count() > 0 ? ttft.p50() : 0.0);
    m.set(key + "ttft_s.p99", ttft.count() > 0 ? ttft.p99() : 0.0);
    m.set(key + "tpot_s.p50", tpot.count() > 0 ? tpot.p50() : 0.0);
    m.set(key + "tpot_s.p99", tpot.count() > 0 ? tpot.p99() : 0.0);
  }
}

void ServingStats::report_energy(Metrics& m, const sim::EnergyLedger& ledger, const PowerSnapshot& a,
                                 const PowerSnapshot& b, double pue, int gpus, double all_in_kw_per_gpu) const {
  const double window = std::max(0.0, end_ - warmup_);
  const double tokens = static_cast<double>(output_tokens_);
  wl::report_energy(m, ledger, a, b, window, pue, tokens);
  // InferenceX: tok/s/MW = tokens/s per GPU x 1000 / all-in kW per GPU. Without a stated all-in figure the
  // simulated facility power stands in for it.
  const double tps = window > 0 ? tokens / window : 0.0;
  double mw = 0;
  if (all_in_kw_per_gpu > 0) {
    mw = all_in_kw_per_gpu * gpus / 1000.0;
  } else {
    mw = m.at("power_w.facility") / 1e6;
  }
  m.set("tokens_per_s_per_mw", mw > 0 ? tps / mw : 0.0);
}

}  // namespace dcsim::wl::serving
