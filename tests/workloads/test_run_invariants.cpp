// The relations every result obeys (workloads/run_invariants.hpp): a consistent result passes, and each broken
// relation is named with its numbers.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "workloads/run_invariants.hpp"

namespace dcsim::wl {
namespace {

// 1000 tokens in a 10 s window at 500 W IT (PUE 1.2): 5 kJ, 6 kJ facility, 0.2 tokens/J.
Metrics consistent() {
  Metrics m;
  m.set("tokens", 1000);
  m.set("tokens_by_class.chat", 600);
  m.set("tokens_by_class.coding", 400);
  m.set("tokens_per_s", 100);
  m.set("mfu", 0.4);
  m.set("hfu", 0.5);
  m.set("mfu_causal", 0.3);
  m.set("energy_j", 5000);
  m.set("energy_facility_j", 6000);
  m.set("power_w.it", 500);
  m.set("power_w.facility", 600);
  m.set("power_w.gpu", 300);
  m.set("power_w.cpu", 50);
  m.set("power_w.network", 100);
  m.set("power_w.storage", 20);
  m.set("power_w.other", 30);
  m.set("tokens_per_joule", 0.2);
  m.set("requests", 7);
  return m;
}

std::string violation(const Metrics& m) {
  try {
    check_run_invariants(m);
  } catch (const InvariantViolation& e) {
    return e.what();
  }
  return "";
}

TEST(RunInvariants, AConsistentResultPasses) { EXPECT_EQ(violation(consistent()), ""); }

TEST(RunInvariants, EachBrokenRelationIsNamed) {
  const auto broken = [](const char* key, double value) {
    Metrics m = consistent();
    m.set(key, value);
    return violation(m);
  };
  EXPECT_EQ(broken("ttft_s.p99", std::numeric_limits<double>::quiet_NaN()),
            "invariant violated: ttft_s.p99 is nan, not a finite number");
  EXPECT_EQ(broken("run_s", -1), "invariant violated: run_s = -1 is negative");
  EXPECT_EQ(broken("hfu", 1.2), "invariant violated: hfu = 1.2 exceeds 1 (the GPUs' peak)");
  EXPECT_EQ(broken("mfu_causal", 0.55), "invariant violated: mfu_causal = 0.55 exceeds hfu = 0.5");
  // The full-attention mfu may pass hfu (it counts FLOPs never executed), not mfu_causal.
  EXPECT_EQ(broken("mfu", 0.6), "");
  EXPECT_EQ(broken("mfu", 0.25), "invariant violated: mfu_causal = 0.3 exceeds mfu = 0.25");
  EXPECT_NE(broken("power_w.gpu", 310).find("power_w.it = 500 but the sum of its parts"), std::string::npos);
  EXPECT_NE(broken("energy_facility_j", 7000).find("energy_facility_j / energy_j = 1.4"), std::string::npos);
  Metrics longer = consistent();  // energy for 10.2 s of power, throughput for 10 s
  longer.set("energy_j", 5100);
  longer.set("energy_facility_j", 6120);
  EXPECT_NE(violation(longer).find("energy_j = 5100 but power_w.it x window (tokens / tokens_per_s) = 5000"),
            std::string::npos);
  EXPECT_NE(broken("tokens_per_joule", 0.3).find("tokens_per_joule = 0.3 but tokens / energy_j = 0.2"),
            std::string::npos);
  EXPECT_NE(broken("tokens_by_class.chat", 500).find("the sum of tokens_by_class.* = 900"), std::string::npos);
  EXPECT_EQ(broken("requests", 7.5), "invariant violated: requests = 7.5 is not a whole count");
}

TEST(RunInvariants, MfuAloneIsBoundedByHfuWithoutACausalCount) {
  Metrics serving;  // serving reports mfu only: it is the executed count
  serving.set("mfu", 0.6);
  serving.set("hfu", 0.5);
  EXPECT_EQ(violation(serving), "invariant violated: mfu = 0.6 exceeds hfu = 0.5");
}

}  // namespace
}  // namespace dcsim::wl
