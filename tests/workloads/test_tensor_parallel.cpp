// The tp rules every workload shares (workloads/tensor_parallel.hpp), by hand on Llama 3 70B (64 heads, 8 KV heads).
#include <gtest/gtest.h>

#include "tests/support/scenario_text.hpp"
#include "workloads/tensor_parallel.hpp"

namespace dcsim::wl {
namespace {

app::Scenario on(const char* system) {
  return testing::scenario_from_text(std::string("name: t\nhardware: {system: ") + system +
                                         ", count: 1}\nmodel: llama3-70b\nworkload: {kind: collective, op: "
                                         "all_reduce, bytes: 1 MiB}\n",
                                     {}, "dcsim_tp_rules");
}

TEST(TensorParallelRules, DomainHeadsAndKvHeadsByHand) {
  using Rule = TensorParallelProblem::Rule;
  const app::Scenario hgx = on("h100-hgx");  // one 8-GPU NVLink domain
  const app::Scenario nvl = on("gb200-nvl72");  // one 72-GPU domain
  const ModelSpec& m = *hgx.model;
  EXPECT_FALSE(tensor_parallel_problem(m, 8, hgx.cluster));
  // 3 does not divide 8: a group of GPUs 6, 7, 8 would straddle two nodes.
  EXPECT_EQ(tensor_parallel_problem(m, 3, hgx.cluster)->rule, Rule::domain);
  EXPECT_EQ(tensor_parallel_problem(m, 16, hgx.cluster)->rule, Rule::domain);
  EXPECT_FALSE(tensor_parallel_problem(m, 16, hgx.cluster, true));  // allow_tp_across_domains (pretraining)
  // 36 divides the 72-GPU domain but not the 64 heads.
  EXPECT_EQ(tensor_parallel_problem(m, 36, nvl.cluster)->rule, Rule::heads);
  // KV heads are split (tp divides them) or replicated (they divide tp); 3 KV heads and tp 2 are neither.
  ModelSpec odd = m;
  odd.kv_heads = 3;
  EXPECT_EQ(tensor_parallel_problem(odd, 2, hgx.cluster)->rule, Rule::kv_heads);
  EXPECT_FALSE(tensor_parallel_problem(odd, 1, hgx.cluster));
}

}  // namespace
}  // namespace dcsim::wl
