// Failures and goodput of a long training run (#12): interruptions drawn per cause from a reliability profile's
// per-part rates (configs/hw/reliability/), checkpoints written every interval to a storage system, and on each
// unplanned interruption the work since the last durable checkpoint lost, plus the restart and the restore.
// Over a campaign of `duration` it reports the effective training time ratio (ETTR: useful training time over
// wall-clock time), goodput per day, and the checkpoint interval that maximises ETTR (Young 1974, Daly 2006).
// docs/pretraining.md, "Failures and goodput", has the model, its sources and its limits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hw/spec.hpp"

namespace dcsim::wl {

struct GoodputSpec {
  hw::ReliabilitySpec profile;
  double duration_s = 30 * 86400.0;        // the campaign's wall-clock time
  double checkpoint_interval_s = 0;        // training time between checkpoints; 0: the optimum (Daly)
  double checkpoint_write_bandwidth = 0;   // bytes/s into the checkpoint store, the whole job together
  double checkpoint_read_bandwidth = 0;    // bytes/s out of it on restore; 0: the write bandwidth
  bool async_checkpoint = false;           // only the copy to host memory stalls training; the write overlaps
  double restart_s = 600;                  // detection, rescheduling and job start, per interruption
};

// What the job is made of, for the per-part rates, and what a checkpoint costs.
struct GoodputJob {
  double gpus = 0, hosts = 0, links = 0;
  double checkpoint_bytes = 0;   // the whole job's model and optimizer state
  double snapshot_s = 0;         // an asynchronous checkpoint's stall: one GPU's state over its host link
};

struct GoodputResult {
  double unplanned_rate_per_s = 0, planned_rate_per_s = 0;  // the job's interruption rates
  double checkpoint_write_s = 0, checkpoint_block_s = 0, checkpoint_restore_s = 0;
  double interval_s = 0;          // the one used
  double optimal_interval_s = 0;  // Daly's first-order optimum for this job
  double ettr = 0;                // simulated
  double ettr_expected = 0;       // first-order expectation (the hand formula), for comparison
  double useful_s = 0, lost_work_s = 0, restart_s = 0, restore_s = 0, checkpoint_s = 0;
  std::int64_t unplanned = 0, planned = 0;
  std::vector<std::pair<std::string, std::int64_t>> by_cause;  // in the profile's order
};

// Daly (2006, eq. 20), the higher-order optimum: sqrt(2 delta M) (1 + sqrt(x)/3 + x/9) - delta with x = delta/(2M),
// for delta < 2M, else M (M: mean time between unplanned interruptions, delta: the checkpoint's stall). For
// delta << M it is Young's sqrt(2 delta M).
double optimal_checkpoint_interval(double stall_s, double mtbf_s);

// First-order ETTR (Kokolis et al. 2024, after Daly): (1 - lambda (R + tau/2)) / (1 + delta/tau), with R the cost
// of an interruption beyond the lost work (restart and restore), clamped at 0.
double expected_ettr(double rate_per_s, double loss_s, double interval_s, double stall_s);

// Simulates the campaign: interruptions as Poisson processes per cause over the whole campaign, recoveries
// included (named random stream "pretraining.failures"), checkpoints every interval of training. Deterministic for
// a seed. InputError when the rates give more than ten million interruptions.
GoodputResult simulate_goodput(const GoodputSpec& spec, const GoodputJob& job, std::uint64_t seed);

}  // namespace dcsim::wl
