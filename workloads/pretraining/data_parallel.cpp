#include "workloads/pretraining/data_parallel.hpp"
#include "workloads/pretraining/counts.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "workloads/pretraining/state_bytes.hpp"
#include "workloads/roofline.hpp"

namespace dcsim::wl {
namespace {

using i64 = std::int64_t;
using counts::d;

}  // namespace

StageFinish finish_stages(const LayerCostModel& model, const StageChunks& chunks, const PipelineDurations& durations,
                          const PipelineTimeline& timeline) {
  // DP reduction: one bucket per layer, ready as the last backward of its chunk passes it (zb-h1: the last W pass,
  // which finishes the layer's weight gradient); a serial channel per stage. Then ZeRO's parameter all-gather and
  // the optimizer step (memory-bound).
  const PretrainingWorkload& w = model.w;
  const hw::GpuSpec& g = model.c.gpu;
  const int pp = w.pp, v = w.interleave, mi = static_cast<int>(w.micro_batches());
  const double dp_bytes_per_param = gradient_bytes(w);
  const bool split = w.schedule == PipelineSchedule::zb_h1;
  const double shard = d(w.dp) * w.cp;
  std::vector<double> stage_end(static_cast<std::size_t>(pp)), dp_exposed(static_cast<std::size_t>(pp)),
      opt_time(static_cast<std::size_t>(pp)), opt_bytes(static_cast<std::size_t>(pp)),
      dp_contention(static_cast<std::size_t>(pp));
  const hw::CollectiveOp grad_op = w.zero >= 1 ? hw::CollectiveOp::reduce_scatter : hw::CollectiveOp::all_reduce;
  std::vector<TimelineSpan> dp_spans;  // for the report's timeline
  for (int s = 0; s < pp; ++s) {
    const auto su = static_cast<std::size_t>(s);
    double busy_until = 0, params = 0, experts = 0, first_fwd = 0, reduce_total = 0;
    for (int cidx = 0; cidx < v; ++cidx) {
      params += chunks[su][static_cast<std::size_t>(cidx)].params;
      experts += chunks[su][static_cast<std::size_t>(cidx)].expert_params;
    }
    const double dense = params - experts;
    if (w.zero < 3) {
      // Spans of this stage's last backward (or W) per chunk, in the order they ran.
      for (const TaskSpan& sp : timeline.spans) {
        if (sp.stage != s || sp.task.forward || sp.task.micro != mi - 1 || sp.task.weight != split) continue;
        const ChunkCost& ch = chunks[su][static_cast<std::size_t>(sp.task.chunk)];
        const double n = d(static_cast<i64>(ch.bucket_params.size()));
        for (std::size_t b = 0; b < ch.bucket_params.size(); ++b) {
          const double ready = w.overlap_grad_reduce ? sp.start + (d(static_cast<i64>(b)) + 1) / n * (sp.end - sp.start)
                                                     : timeline.compute_end[su];
          // Dense gradients over the data-parallel group, the routed experts' over the expert one, one after the
          // other on the stage's channel.
          const double experts_b = ch.bucket_experts[b];
          const double t =
              model.collective_time(grad_op, model.dp_group, (ch.bucket_params[b] - experts_b) * dp_bytes_per_param) +
              model.collective_time(grad_op, model.edp_group, experts_b * dp_bytes_per_param);
          // (no span for a group of one: nothing to reduce)
          if (t > 0) dp_spans.push_back({s, std::max(busy_until, ready), std::max(busy_until, ready) + t, "DP gradient reduction"});
          busy_until = std::max(busy_until, ready) + t;
          reduce_total += t;
        }
      }
    }
    double end = std::max(busy_until, timeline.compute_end[su]);
    double exp_dp = end - timeline.compute_end[su];
    // The part of the reduction that ran under the backward slows that compute down (NCCL holds SMs); it is
    // charged at the stage's end: + share x overlapped reduction time.
    const double hidden_dp = std::max(0.0, reduce_total - exp_dp);
    dp_contention[su] = w.overlap_grad_reduce ? w.comm_sm_share * hidden_dp : 0.0;
    end += dp_contention[su];
    const double expert_shard = expert_data_parallel_size(w);
    opt_bytes[su] = (dense / (w.zero >= 1 ? shard : 1) + experts / (w.zero >= 1 ? expert_shard : 1)) * kOptimizerStepBytes;
    opt_time[su] = op_time(g, hw::Precision::bf16, 0, opt_bytes[su]).time;
    end += opt_time[su];
    if (w.zero >= 1 && w.zero < 3) {
      const double ag =
          model.collective_time(hw::CollectiveOp::all_gather, model.dp_group, dense * param_gather_bytes(w)) +
          model.collective_time(hw::CollectiveOp::all_gather, model.edp_group, experts * param_gather_bytes(w));
      first_fwd = durations.fwd[su][0];
      const double e = w.overlap_param_gather ? std::max(0.0, ag - first_fwd) : ag;
      end += e + contention(ag, first_fwd, w.overlap_param_gather, w.comm_sm_share);
      exp_dp += e;
    }
    stage_end[su] = end;
    dp_exposed[su] = exp_dp;
  }
  StageFinish f;
  const auto crit_it = std::max_element(stage_end.begin(), stage_end.end());
  f.critical = static_cast<int>(crit_it - stage_end.begin());
  f.step = *crit_it;
  f.end = std::move(stage_end);
  f.dp_exposed = std::move(dp_exposed);
  f.optimizer_s = std::move(opt_time);
  f.optimizer_bytes = std::move(opt_bytes);
  f.dp_contention = std::move(dp_contention);
  f.dp_spans = std::move(dp_spans);
  return f;
}

}  // namespace dcsim::wl
