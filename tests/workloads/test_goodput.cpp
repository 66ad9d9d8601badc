// Failures and goodput of a training campaign (#12, workloads/pretraining/goodput.hpp): rates from per-part
// causes, Daly's optimum, and the simulated campaign against hand computations and the first-order formula.
#include <cmath>

#include <gtest/gtest.h>

#include "workloads/input_error.hpp"
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
  // delta = 60 s, M = 3 h: x = 60 / 21,600 = 0.0027778; sqrt(2 x 60 x 10,800) = 1,138.42;
  // x (1 + sqrt(x)/3 + x/9) = 1.017877 -> 1,158.77 - 60 = 1,098.77 s (Daly 2006, eq. 20).
  EXPECT_NEAR(optimal_checkpoint_interval(60, 10800), 1098.77, 0.01);
  // Young's sqrt(2 delta M) when the stall is small against M: delta = 1 s, M = 1e6 s -> 1,414.2 s, within 0.1%.
  EXPECT_NEAR(optimal_checkpoint_interval(1, 1e6), std::sqrt(2e6), 0.001 * std::sqrt(2e6));
  // Near delta = 2M the higher-order form stays near M (x -> 1: sqrt(4 M^2) (1 + 1/3 + 1/9) - 2M = 0.889 M), and
  // at or past it Daly takes M: no collapse towards 0 as the first-order form had.
  EXPECT_NEAR(optimal_checkpoint_interval(79.9, 40), std::sqrt(2 * 79.9 * 40) * (1 + std::sqrt(79.9 / 80) / 3 +
                                                      79.9 / 80 / 9) - 79.9, 1e-9);
  EXPECT_GT(optimal_checkpoint_interval(79.9, 40), 35);
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
    // 16,384 x 3e-5 = 0.4915 per hour x 1,296 h = 637: the rates hold over the whole campaign, recoveries included.
    EXPECT_NEAR(r.unplanned, 637, 3 * std::sqrt(637.0));
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
  EXPECT_NEAR(r.unplanned, 8760, 3 * std::sqrt(8760.0));
  EXPECT_NEAR(r.ettr, r.ettr_expected, 0.005);
  EXPECT_NEAR(r.ettr_expected, (1 - (660 + (1800.0 * 1800 / 2 + 1800 * 60) / 1860) / 36000) / (1 + 60.0 / 1800), 1e-9);
}

TEST(Goodput, DalysIntervalBeatsItsNeighbours) {
  GoodputSpec spec;
  spec.profile.causes = {cause("gpu", hw::FailurePart::gpu, 1.0 / 3 / 16384)};  // M = 3 h on 16,384 GPUs
  spec.checkpoint_write_bandwidth = 1e12;
  spec.duration_s = 3650 * 86400.0;
  const GoodputResult best = simulate_goodput(spec, job_of(16384), 2);
  EXPECT_NEAR(best.interval_s, 1098.77, 0.01);  // delta 60 s, M 3 h
  for (const double factor : {0.5, 0.8, 1.25, 2.0}) {
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
  // Daly for the 2 s stall: sqrt(43,200) = 207.846 x (1 + 0.0032075 + 0.0000103) - 2 = 206.515 s.
  EXPECT_NEAR(r.interval_s, optimal_checkpoint_interval(2, 10800), 1e-9);
  EXPECT_NEAR(r.interval_s, 206.515, 0.001);
  spec.async_checkpoint = false;
  EXPECT_GT(r.ettr, simulate_goodput(spec, job_of(16384), 4).ettr);
  // A write longer than Daly's interval: the next snapshot waits for it (600 TB at 1 TB/s = 600 s).
  spec.async_checkpoint = true;
  GoodputJob big = job_of(16384);
  big.checkpoint_bytes = 600e12;
  EXPECT_DOUBLE_EQ(simulate_goodput(spec, big, 4).interval_s, 600);
}

TEST(Goodput, InterruptionsArriveAtTheirRateOverTheWholeCampaign) {
  // One cause at 1 per hour and an hour's recovery: drawn only while running, half of them would go missing.
  GoodputSpec spec;
  spec.profile.causes = {cause("job", hw::FailurePart::job, 1.0)};
  spec.checkpoint_write_bandwidth = 1e12;
  spec.restart_s = 3600;
  spec.duration_s = 10000 * 3600.0;
  const GoodputResult r = simulate_goodput(spec, job_of(8), 8);
  EXPECT_NEAR(r.unplanned, 10000, 3 * std::sqrt(10000.0));
  EXPECT_NEAR(r.useful_s + r.lost_work_s + r.checkpoint_s + r.restart_s + r.restore_s, spec.duration_s, 1e-3);
}

TEST(Goodput, EdgesOfTheCampaign) {
  GoodputSpec spec;
  spec.profile.causes = {cause("none", hw::FailurePart::gpu, 0)};
  spec.checkpoint_write_bandwidth = 1e12;
  spec.duration_s = 3600;
  // No failures and the auto interval: Daly's interval is infinite, so the campaign is one interval, no checkpoint.
  GoodputResult r = simulate_goodput(spec, job_of(8), 1);
  EXPECT_EQ(r.ettr, 1);
  EXPECT_EQ(r.checkpoint_s, 0);
  // A given interval longer than the campaign: clamped to it.
  spec.checkpoint_interval_s = 7200;
  EXPECT_EQ(simulate_goodput(spec, job_of(8), 1).interval_s, 3600);
  // Rates that would give more than ten million interruptions are refused, not looped through.
  spec.profile.causes = {cause("storm", hw::FailurePart::gpu, 1e3)};
  spec.duration_s = 3650 * 86400.0;
  EXPECT_THROW(simulate_goodput(spec, job_of(16384), 1), InputError);
  spec.checkpoint_write_bandwidth = 0;
  EXPECT_THROW(simulate_goodput(spec, job_of(8), 1), std::invalid_argument);
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
