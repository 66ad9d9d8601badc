#include "workloads/pretraining/data_parallel.hpp"

#include <algorithm>
#include <utility>

namespace dcsim::wl {

StageFinish finish_stages(const LayerCostModel& model, const StageChunks& chunks, const PipelineDurations& durations,
                          const PipelineTimeline& timeline, const std::vector<StageChannel>* flows) {
  // DP reduction: one bucket per layer, ready as the last backward of its chunk passes it (zb-h1: the last W pass,
  // which finishes the layer's weight gradient); a serial channel per stage. Then ZeRO's parameter all-gather and
  // the optimizer step (memory-bound).
  const PretrainingWorkload& w = model.w;
  const int pp = w.pp;
  const hw::CollectiveOp grad_op = gradient_op(w);

  // What each stage moves: its buckets in the order its last backwards (or W passes) ran, the optimizer, the gather.
  std::vector<StageTraffic> traffic = stage_traffic(model, chunks);
  for (int s = 0; s < pp; ++s) {
    const auto su = static_cast<std::size_t>(s);
    StageTraffic& t = traffic[su];
    t.compute_end = timeline.compute_end[su];
    if (flows != nullptr) continue;  // as flows, the channels ran the buckets already
    for (const TaskSpan& sp : timeline.spans) {
      if (sp.stage != s || !completes_gradients(w, sp.task)) continue;
      for (const GradientBucket& b :
           chunk_buckets(model, chunks[su][static_cast<std::size_t>(sp.task.chunk)], sp.start, sp.end, t.compute_end)) {
        t.buckets.push_back(b);
      }
    }
  }

  // How each stage's channel ran: every group's traffic at once as flows (the pipeline's simulation ran them), or
  // priced collective by collective on the representative groups of an idle fabric.
  std::vector<StageChannel> priced;
  if (flows == nullptr) {
    for (const StageTraffic& t : traffic) {
      StageChannel ch;
      double busy_until = 0;
      for (const GradientBucket& b : t.buckets) {
        const double dt = model.collective_time(grad_op, model.dp_group, b.dense_bytes) +
                          model.collective_time(grad_op, model.edp_group, b.expert_bytes);
        ch.start.push_back(std::max(busy_until, b.ready));
        busy_until = ch.start.back() + dt;
        ch.end.push_back(busy_until);
        ch.reduce_total += dt;
      }
      ch.gather_s = model.collective_time(hw::CollectiveOp::all_gather, model.dp_group, t.gather_dense_bytes) +
                    model.collective_time(hw::CollectiveOp::all_gather, model.edp_group, t.gather_expert_bytes);
      priced.push_back(std::move(ch));
    }
  }
  const std::vector<StageChannel>& channels = flows != nullptr ? *flows : priced;

  std::vector<double> stage_end(static_cast<std::size_t>(pp)), dp_exposed(static_cast<std::size_t>(pp)),
      opt_time(static_cast<std::size_t>(pp)), opt_bytes(static_cast<std::size_t>(pp)),
      dp_contention(static_cast<std::size_t>(pp));
  std::vector<TimelineSpan> dp_spans;  // for the report's timeline
  for (int s = 0; s < pp; ++s) {
    const auto su = static_cast<std::size_t>(s);
    const StageTraffic& t = traffic[su];
    const StageChannel& ch = channels[su];
    for (std::size_t b = 0; b < ch.start.size(); ++b) {
      // (no span for a group of one: nothing to reduce)
      if (ch.end[b] > ch.start[b]) dp_spans.push_back({s, ch.start[b], ch.end[b], "DP gradient reduction"});
    }
    const ReductionTail tail = reduction_tail(w, ch.busy_until(), t.compute_end, ch.reduce_total);
    dp_contention[su] = tail.contention;
    double end = tail.end;
    double exp_dp = tail.exposed;
    opt_time[su] = t.optimizer_s;
    opt_bytes[su] = t.optimizer_bytes;
    end += opt_time[su];
    if (w.zero >= 1 && w.zero < 3) {
      const double ag = ch.gather_s;
      const double first_fwd = durations.fwd[su][0];
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
  f.flows = flows != nullptr;
  return f;
}

}  // namespace dcsim::wl
