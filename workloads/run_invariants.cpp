#include "workloads/run_invariants.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

namespace dcsim::wl {

namespace {

// Metrics are sums and ratios of doubles computed along different paths: equal to a few ulps per term.
constexpr double kRelTol = 1e-6;

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

bool close(double a, double b) { return std::fabs(a - b) <= kRelTol * std::max({std::fabs(a), std::fabs(b), 1e-300}); }

[[noreturn]] void fail(const std::string& what) { throw InvariantViolation(what); }

void require_close(const std::string& lhs_name, double lhs, const std::string& rhs_name, double rhs) {
  if (!close(lhs, rhs)) fail(lhs_name + " = " + num(lhs) + " but " + rhs_name + " = " + num(rhs));
}

}  // namespace

void check_run_invariants(const Metrics& m) {
  for (const Metric& e : m.entries()) {
    if (!std::isfinite(e.value)) fail(e.key + " is " + num(e.value) + ", not a finite number");
    if (e.value < 0) fail(e.key + " = " + num(e.value) + " is negative");
  }
  const auto get = [&m](const char* key) { return m.get(key); };

  // Flops: model <= hardware <= peak.
  const auto mfu = get("mfu"), hfu = get("hfu"), mfu_causal = get("mfu_causal");
  // The executed model FLOPs: mfu_causal where the workload counts attention both ways (pretraining's mfu uses the
  // full count, which flash attention does not execute), else mfu.
  const auto executed = mfu_causal ? mfu_causal : mfu;
  if (executed && hfu && *hfu > 0 && *executed > *hfu * (1 + kRelTol))
    fail((mfu_causal ? "mfu_causal = " : "mfu = ") + num(*executed) + " exceeds hfu = " + num(*hfu));
  if (hfu && *hfu > 1 + kRelTol) fail("hfu = " + num(*hfu) + " exceeds 1 (the GPUs' peak)");
  if (executed && *executed > 1 + kRelTol) fail("executed model FLOPs " + num(*executed) + " exceed 1 (the GPUs' peak)");
  if (mfu && mfu_causal && *mfu_causal > *mfu * (1 + kRelTol))
    fail("mfu_causal = " + num(*mfu_causal) + " exceeds mfu = " + num(*mfu));

  // Power: the parts sum to IT; facility = IT x PUE, the same PUE for energy.
  const auto it = get("power_w.it"), facility = get("power_w.facility");
  if (it) {
    double parts = 0;
    for (const char* k : {"power_w.gpu", "power_w.cpu", "power_w.network", "power_w.storage", "power_w.other"})
      parts += get(k).value_or(0);
    require_close("power_w.it", *it, "the sum of its parts (gpu, cpu, network, storage, other)", parts);
  }
  const auto energy = get("energy_j"), energy_facility = get("energy_facility_j");
  std::optional<double> pue;
  if (it && facility && *it > 0) {
    pue = *facility / *it;
    if (*pue < 1 - kRelTol) fail("power_w.facility = " + num(*facility) + " is below power_w.it = " + num(*it));
  }
  if (pue && energy && energy_facility && *energy > 0)
    require_close("energy_facility_j / energy_j", *energy_facility / *energy, "power_w.facility / power_w.it (PUE)",
                  *pue);

  // Energy is average power over the window the throughput is measured in.
  const auto tokens = get("tokens"), tokens_per_s = get("tokens_per_s"), per_joule = get("tokens_per_joule");
  if (tokens && tokens_per_s && it && energy && *tokens_per_s > 0)
    require_close("energy_j", *energy, "power_w.it x window (tokens / tokens_per_s)", *it * *tokens / *tokens_per_s);
  if (tokens && per_joule && energy && *energy > 0)
    require_close("tokens_per_joule", *per_joule, "tokens / energy_j", *tokens / *energy);

  // Token classes partition the tokens.
  double by_class = 0;
  bool any_class = false;
  for (const Metric& e : m.entries()) {
    if (!e.key.starts_with(kTokensByClassPrefix)) continue;
    by_class += e.value;
    any_class = true;
  }
  if (any_class && tokens) require_close("tokens", *tokens, "the sum of tokens_by_class.*", by_class);

  for (const char* k : {"requests", "requests_rejected", "tasks", "llm_calls", "tool_calls", "iterations"}) {
    if (const auto v = get(k); v && *v != std::floor(*v)) fail(std::string(k) + " = " + num(*v) + " is not a whole count");
  }
}

}  // namespace dcsim::wl
