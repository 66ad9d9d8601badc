// Attention data parallelism (ep > 1): the rules TensorRT-LLM's scheduler applies when it places new requests on
// attention data-parallel ranks, and its ADP balance (docs/serving.md, "Attention data parallelism"). Pure
// functions, so that tests check them against the published rules one iteration at a time.
#pragma once

#include "workloads/serving/serving_workload.hpp"

namespace dcsim::wl::serving {

// The score of placing a new request on a group, lower first: TensorRT-LLM's GlobalCoordinator
// calculate_assignment_score (negated): 100 x the group's token load over its token budget, plus 2 per prompt it
// is prefilling and 1 per sequence it is decoding.
inline double group_assignment_score(double tokens, double budget, double prompts, double decoding) {
  return 100.0 * tokens / budget + 2.0 * prompts + decoding;
}

// ADP balance's iteration counters.
struct AdpCounters {
  int wait = 0;        // iterations new prompts waited for every group to get one
  int batch_wait = 0;  // iterations groups that all had prompts waited to gather more
};

// Whether new prompts wait this iteration (TensorRT-LLM GlobalCoordinator.should_wait_for_context_batching, blog10):
// when every group gets one, they wait batching_wait_iters iterations to gather more if every group is also
// decoding; otherwise they wait for the others, at most timeout_iters iterations, and never when a group has
// nothing to decode (it would idle). Off: never.
inline bool adp_hold_prompts(const PoolSpec::AdpBalance& b, bool every_group_gets_prompt, bool every_group_decoding,
                             AdpCounters& c) {
  if (!b.enabled) return false;
  if (every_group_gets_prompt) {
    c.wait = 0;
    if (every_group_decoding && c.batch_wait < b.batching_wait_iters) {
      ++c.batch_wait;
      return true;
    }
    c.batch_wait = 0;
    return false;
  }
  if (++c.wait >= b.timeout_iters || !every_group_decoding) {
    c.wait = 0;
    return false;
  }
  return true;
}

}  // namespace dcsim::wl::serving
