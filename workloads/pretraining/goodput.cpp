#include "workloads/pretraining/goodput.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/random.hpp"
#include "workloads/input_error.hpp"

namespace dcsim::wl {
namespace {

double parts_of(const GoodputJob& job, hw::FailurePart p) {
  switch (p) {
    case hw::FailurePart::gpu: return job.gpus;
    case hw::FailurePart::host: return job.hosts;
    case hw::FailurePart::link: return job.links;
    case hw::FailurePart::job: return 1;
  }
  return 0;
}

}  // namespace

double optimal_checkpoint_interval(double stall_s, double mtbf_s) {
  if (!(mtbf_s > 0) || !std::isfinite(mtbf_s)) return std::numeric_limits<double>::infinity();
  if (stall_s >= 2 * mtbf_s) return mtbf_s;
  const double x = stall_s / (2 * mtbf_s);
  return std::max(std::sqrt(2 * stall_s * mtbf_s) * (1 + std::sqrt(x) / 3 + x / 9) - stall_s, 1e-3);
}

double expected_ettr(double rate_per_s, double loss_s, double interval_s, double stall_s) {
  if (!(interval_s > 0)) return 0;
  return std::max(0.0, (1 - rate_per_s * (loss_s + interval_s / 2)) / (1 + stall_s / interval_s));
}

GoodputResult simulate_goodput(const GoodputSpec& spec, const GoodputJob& job, std::uint64_t seed) {
  if (!(spec.duration_s > 0) || !(spec.checkpoint_write_bandwidth > 0) || !(job.checkpoint_bytes >= 0)) {
    throw std::invalid_argument("goodput: a campaign needs a positive duration and checkpoint write bandwidth");
  }
  GoodputResult r;
  std::vector<double> rates;  // per cause, per second, for the whole job
  for (const hw::FailureCause& c : spec.profile.causes) {
    const double rate = c.rate_per_hour / 3600 * parts_of(job, c.part);
    rates.push_back(rate);
    (c.planned ? r.planned_rate_per_s : r.unplanned_rate_per_s) += rate;
    r.by_cause.emplace_back(c.name, 0);
  }
  const double total_rate = r.planned_rate_per_s + r.unplanned_rate_per_s;
  // Each interruption is a step of the loop below: past ten million the campaign is not a what-if anyone runs.
  constexpr double kMaxInterruptions = 1e7;
  if (total_rate * spec.duration_s > kMaxInterruptions) {
    throw InputError("reliability.duration",
                     "the profile's rates over this job give " + std::to_string(std::llround(total_rate * spec.duration_s)) +
                         " interruptions in the campaign, more than 10 million; shorten the duration");
  }
  const double read_bw = spec.checkpoint_read_bandwidth > 0 ? spec.checkpoint_read_bandwidth
                                                            : spec.checkpoint_write_bandwidth;
  r.checkpoint_write_s = job.checkpoint_bytes / spec.checkpoint_write_bandwidth;
  r.checkpoint_restore_s = job.checkpoint_bytes / read_bw;
  r.checkpoint_block_s = spec.async_checkpoint ? job.snapshot_s : r.checkpoint_write_s;
  const double mtbf = r.unplanned_rate_per_s > 0 ? 1 / r.unplanned_rate_per_s : std::numeric_limits<double>::infinity();
  r.optimal_interval_s = optimal_checkpoint_interval(r.checkpoint_block_s, mtbf);
  // Never more often than a second of training, and an asynchronous write must finish before the next snapshot.
  double tau = spec.checkpoint_interval_s > 0 ? spec.checkpoint_interval_s : r.optimal_interval_s;
  tau = std::min(std::max(tau, 1.0), spec.duration_s);
  if (spec.async_checkpoint) tau = std::max(tau, r.checkpoint_write_s);
  r.interval_s = tau;
  const double delta = r.checkpoint_block_s;
  const double recover = spec.restart_s + r.checkpoint_restore_s;
  const double lost_per_unplanned = (tau * tau / 2 + tau * delta) / (tau + delta) +
                                    (spec.async_checkpoint ? r.checkpoint_write_s : 0);
  r.ettr_expected = expected_ettr(r.unplanned_rate_per_s, recover + lost_per_unplanned - tau / 2, tau, delta) -
                    r.planned_rate_per_s * (r.checkpoint_write_s + recover) / (1 + delta / tau);
  r.ettr_expected = std::max(0.0, r.ettr_expected);

  sim::RandomStream rng(seed, "pretraining.failures");
  const double D = spec.duration_s;
  const auto next_after = [&](double t) {
    return total_rate > 0 ? t + rng.exponential(1 / total_rate) : std::numeric_limits<double>::infinity();
  };
  // Overhead from `from` for `amounts` in order, cut at `until` (the end of the campaign, or an interruption that
  // cuts a recovery short); returns when it would have ended.
  const auto spend = [&](double from, double until, const std::vector<std::pair<double*, double>>& amounts) {
    double t = from;
    for (const auto& [counter, amount] : amounts) {
      *counter += std::clamp(until - t, 0.0, amount);
      t += amount;
    }
    return t;
  };
  double t = 0, next = next_after(0);
  double inflight = 0, inflight_durable_at = 0;  // an asynchronous checkpoint's work, being written
  const auto commit_by = [&](double now) {
    if (inflight > 0 && inflight_durable_at <= now) {
      r.useful_s += inflight;
      inflight = 0;
    }
  };
  // An interruption at `at` after `progress` seconds of training since the last checkpoint. Interruptions keep
  // arriving during the recovery (the rates are per hour of the campaign, not of running); one that does restarts
  // the recovery (Daly 2006).
  const auto interrupt = [&](double at, double progress) {
    while (true) {
      double pick = rng.next_double() * total_rate;
      std::size_t cause = 0;
      while (cause + 1 < rates.size() && pick >= rates[cause]) pick -= rates[cause++];
      ++r.by_cause[cause].second;
      commit_by(at);
      std::vector<std::pair<double*, double>> recovery;
      if (spec.profile.causes[cause].planned) {
        ++r.planned;
        r.useful_s += progress + inflight;  // announced: the job saves everything first
        recovery = {{&r.checkpoint_s, r.checkpoint_write_s}, {&r.restart_s, spec.restart_s},
                    {&r.restore_s, r.checkpoint_restore_s}};
      } else {
        ++r.unplanned;
        r.lost_work_s += progress + inflight;
        recovery = {{&r.restart_s, spec.restart_s}, {&r.restore_s, r.checkpoint_restore_s}};
      }
      inflight = 0;
      progress = 0;
      const double again = next_after(at);
      double end = at;
      for (const auto& [counter, amount] : recovery) end += amount;
      if (again < std::min(end, D)) {
        spend(at, again, recovery);
        at = again;
        continue;
      }
      t = spend(at, D, recovery);
      next = again;
      return;
    }
  };
  const double cycle = tau + delta;
  while (t < D) {
    // The whole cycles before the next interruption (or the end) at once, the last one left to the steps below:
    // a ten-year campaign at a 1 s interval is 3e8 cycles, and interruptions are what needs stepping through.
    const double whole = std::floor((std::min(next, D) - t) / cycle) - 1;
    if (whole >= 1) {
      if (spec.async_checkpoint) {
        commit_by(t + whole * cycle);  // every earlier checkpoint's write is done before the next snapshot
        r.useful_s += (whole - 1) * tau;
        inflight = tau;
        inflight_durable_at = t + whole * cycle + r.checkpoint_write_s;
      } else {
        r.useful_s += whole * tau;
      }
      r.checkpoint_s += whole * delta;
      t += whole * cycle;
    }
    const double end_train = t + tau;
    if (next < std::min(end_train, D)) {  // interrupted while training
      interrupt(next, next - t);
      continue;
    }
    if (end_train >= D) {  // the campaign ends mid-interval: its training counts
      commit_by(D);
      r.useful_s += D - t + inflight;
      inflight = 0;
      break;
    }
    const double end_stall = end_train + delta;
    if (next < std::min(end_stall, D)) {  // interrupted while checkpointing: this checkpoint is lost
      r.checkpoint_s += next - end_train;
      interrupt(next, tau);
      continue;
    }
    if (end_stall >= D) {
      commit_by(D);
      r.useful_s += tau + inflight;
      inflight = 0;
      r.checkpoint_s += D - end_train;
      break;
    }
    r.checkpoint_s += delta;
    t = end_stall;
    if (spec.async_checkpoint) {
      commit_by(t);
      inflight = tau;
      inflight_durable_at = t + r.checkpoint_write_s;
    } else {
      r.useful_s += tau;
    }
  }
  r.ettr = r.useful_s / D;
  return r;
}

}  // namespace dcsim::wl
