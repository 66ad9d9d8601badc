// Failures and goodput of a training campaign (#12, workloads/pretraining/goodput.hpp): rates from per-part
// causes, Daly's optimum, and the simulated campaign against hand computations and the first-order formula.
#include <cmath>

#include <gtest/gtest.h>

#include "workloads/pretraining/goodput.hpp"

namespace dcsim::wl {
namespace {

hw::FailureCause cause(std::string name, hw::FailurePart part, double per_hour, bool planned = false) {
  return hw::FailureCause{std::move(name), "test", part, per_hour, planned};
}

GoodputJob job_of(double gpus) {
  GoodputJob j;
  j.gpus = gpus;
  j.hosts = gpus / 8;
  j.links = gpus;
  j.checkpoint_bytes = 60e12;  // 60 TB at 1 TB/s: a 60 s write
  j.snapshot_s = 2;
  return j;
}

TEST(Goodput, DalysOptimumByHand) {
  // delta = 60 s, M = 3 h: sqrt(2 x 60 x 10,800) - 60 = 1,138.42 - 60 = 1,078.42 s.
  EXPECT_NEAR(optimal_checkpoint_interval(60, 10800), std::sqrt(2.0 * 60 * 10800) - 60, 1e-9);
  EXPECT_NEAR(optimal_checkpoint_interval(60, 10800), 1078.42, 0.01);
  // A stall of at least twice the MTBF: checkpoint once per MTBF (Daly's limit).
  EXPECT_EQ(optimal_checkpoint_interval(100, 40), 40);
  // First-order ETTR: lambda = 1/10,800 s, loss 600 s, tau 1,800 s, delta 60 s:
  // (1 - (600 + 900) / 10,800) / (1 + 60 / 1,800) = 0.861111 / 1.033333 = 0.833333.
  EXPECT_NEAR(expected_ettr(1.0 / 10800, 600, 1800, 60), 0.833333, 1e-6);
}

TEST(Goodput, TheJobsRateIsEachCausesRateTimesItsParts) {
  GoodputSpec spec;
  spec.profile.causes = {cause("gpu", hw::FailurePart::gpu, 1e-5), cause("host", hw::FailurePart::host, 1e-4),
                         cause("link", hw::FailurePart::link, 2e-6), cause("maint", hw::FailurePart::job, 0.01, true)};
  spec.checkpoint_write_bandwidth = 1e12;
  spec.duration_s = 86400;
  // 1,024 GPUs, 128 hosts, 1,024 links: 0.01024 + 0.0128 + 0.002048 = 0.025088 per hour unplanned; 0.01 planned.
  const GoodputResult r = simulate_goodput(spec, job_of(1024), 1);
  EXPECT_NEAR(r.unplanned_rate_per_s * 3600, 0.025088, 1e-12);
  EXPECT_NEAR(r.planned_rate_per_s * 3600, 0.01, 1e-12);
  EXPECT_DOUBLE_EQ(r.checkpoint_write_s, 60);
  EXPECT_DOUBLE_EQ(r.checkpoint_restore_s, 60);  // read bandwidth defaults to the write's
  EXPECT_DOUBLE_EQ(r.checkpoint_block_s, 60);    // synchronous: the whole write stalls
}

TEST(Goodput, WithoutFailuresOnlyCheckpointsCost) {
  GoodputSpec spec;
  spec.profile.causes = {cause("none", hw::FailurePart::gpu, 0)};
  spec.checkpoint_write_bandwidth = 1e12;
  spec.checkpoint_interval_s = 1740;   // 29 min of training, then a 60 s stall: 30 min cycles
  spec.duration_s = 100 * 1800.0;
  const GoodputResult r = simulate_goodput(spec, job_of(64), 7);
  EXPECT_EQ(r.unplanned + r.planned, 0);
  EXPECT_NEAR(r.ettr, 1740.0 / 1800.0, 1e-12);
  EXPECT_NEAR(r.checkpoint_s, 100 * 60.0, 1e-6);
}

TEST(Goodput, EverySecondOfTheCampaignIsAccountedFor) {
  GoodputSpec spec;
  spec.profile.causes = {cause("gpu", hw::FailurePart::gpu, 3e-5), cause("maint", hw::FailurePart::job, 0.02, true)};
  spec.checkpoint_write_bandwidth = 1e12;
  spec.duration_s = 54 * 86400.0;
  for (const bool async : {false, true}) {
    spec.async_checkpoint = async;
    const GoodputResult r = simulate_goodput(spec, job_of(16384), 3);
    EXPECT_NEAR(r.unplanned, 637, 4 * std::sqrt(637.0));  // 16,384 x 3e-5 = 0.4915 per hour x 1,296 h
    EXPECT_NEAR(r.useful_s + r.lost_work_s + r.checkpoint_s + r.restart_s + r.restore_s, spec.duration_s,
                1e-6 * spec.duration_s)
        << "async " << async;
    std::int64_t by_cause = 0;
    for (const auto& [name, n] : r.by_cause) by_cause += n;
    EXPECT_EQ(by_cause, r.unplanned + r.planned);
  }
}

TEST(Goodput, PlannedInterruptionsLoseNoWork) {
  GoodputSpec spec;
  spec.profile.causes = {cause("maint", hw::FailurePart::job, 0.05, true)};
  spec.checkpoint_write_bandwidth = 1e12;
  spec.duration_s = 30 * 86400.0;
  const GoodputResult r = simulate_goodput(spec, job_of(512), 5);
  EXPECT_GT(r.planned, 20);
  EXPECT_EQ(r.lost_work_s, 0);
  // Each costs a save, a restart and a restore: 60 + 600 + 60 s.
  EXPECT_NEAR(r.restart_s, 600.0 * r.planned, 600.0);
}

TEST(Goodput, TheSimulatedCampaignMatchesTheFirstOrderFormulaWhenFailuresAreRare) {
  // M = 10 h (lambda tau small), tau = 30 min, delta = 60 s, R = 10 min + 60 s restore, ten years: ~8,800
  // interruptions, so the simulated ETTR is within a few tenths of a percent of (1 - lambda (R + loss)) / (1 + d/t).
  GoodputSpec spec;
  spec.profile.causes = {cause("gpu", hw::FailurePart::gpu, 1.0 / 10 / 1024)};
  spec.checkpoint_write_bandwidth = 1e12;
  spec.checkpoint_interval_s = 1800;
  spec.duration_s = 3650 * 86400.0;
  const GoodputResult r = simulate_goodput(spec, job_of(1024), 11);
  EXPECT_NEAR(r.unplanned, 8760, 4 * std::sqrt(8760.0));
  EXPECT_NEAR(r.ettr, r.ettr_expected, 0.005);
  EXPECT_NEAR(r.ettr_expected, (1 - (660 + (1800.0 * 1800 / 2 + 1800 * 60) / 1860) / 36000) / (1 + 60.0 / 1800), 1e-9);
}

TEST(Goodput, DalysIntervalBeatsItsNeighbours) {
  GoodputSpec spec;
  spec.profile.causes = {cause("gpu", hw::FailurePart::gpu, 1.0 / 3 / 16384)};  // M = 3 h on 16,384 GPUs
  spec.checkpoint_write_bandwidth = 1e12;
  spec.duration_s = 3650 * 86400.0;
  const GoodputResult best = simulate_goodput(spec, job_of(16384), 2);
  EXPECT_NEAR(best.interval_s, 1078.42, 0.01);  // delta 60 s, M 3 h
  for (const double factor : {0.25, 4.0}) {
    spec.checkpoint_interval_s = best.interval_s * factor;
    EXPECT_LT(simulate_goodput(spec, job_of(16384), 2).ettr, best.ettr) << factor;
  }
}

TEST(Goodput, AsynchronousCheckpointsStallOnlyForTheSnapshot) {
  GoodputSpec spec;
  spec.profile.causes = {cause("gpu", hw::FailurePart::gpu, 1.0 / 3 / 16384)};
  spec.checkpoint_write_bandwidth = 1e12;
  spec.async_checkpoint = true;
  spec.duration_s = 365 * 86400.0;
  const GoodputResult r = simulate_goodput(spec, job_of(16384), 4);
  EXPECT_DOUBLE_EQ(r.checkpoint_block_s, 2);
  EXPECT_NEAR(r.interval_s, std::sqrt(2.0 * 2 * 10800) - 2, 1e-9);  // Daly for the 2 s stall: 205.8 s
  spec.async_checkpoint = false;
  EXPECT_GT(r.ettr, simulate_goodput(spec, job_of(16384), 4).ettr);
  // A write longer than Daly's interval: the next snapshot waits for it (600 TB at 1 TB/s = 600 s).
  spec.async_checkpoint = true;
  GoodputJob big = job_of(16384);
  big.checkpoint_bytes = 600e12;
  EXPECT_DOUBLE_EQ(simulate_goodput(spec, big, 4).interval_s, 600);
}

TEST(Goodput, TheSameSeedGivesTheSameCampaign) {
  GoodputSpec spec;
  spec.profile.causes = {cause("gpu", hw::FailurePart::gpu, 1e-5)};
  spec.checkpoint_write_bandwidth = 1e12;
  const GoodputResult a = simulate_goodput(spec, job_of(8192), 9), b = simulate_goodput(spec, job_of(8192), 9);
  EXPECT_EQ(a.unplanned, b.unplanned);
  EXPECT_EQ(a.ettr, b.ettr);
  EXPECT_NE(a.ettr, simulate_goodput(spec, job_of(8192), 10).ettr);
}

}  // namespace
}  // namespace dcsim::wl
