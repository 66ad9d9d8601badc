#include "workloads/pretraining/dp_fabric.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include "workloads/pretraining/chunking.hpp"
#include "workloads/pretraining/counts.hpp"
#include "workloads/pretraining/state_bytes.hpp"
#include "workloads/roofline.hpp"

namespace dcsim::wl {
namespace {

using i64 = std::int64_t;
using counts::d;

}  // namespace

hw::CollectiveOp gradient_op(const PretrainingWorkload& w) {
  return w.zero >= 1 ? hw::CollectiveOp::reduce_scatter : hw::CollectiveOp::all_reduce;
}

std::vector<StageTraffic> stage_traffic(const LayerCostModel& model, const StageChunks& chunks) {
  const PretrainingWorkload& w = model.w;
  const double shard = d(w.dp) * w.cp;
  const double expert_shard = expert_data_parallel_size(w);
  std::vector<StageTraffic> out(static_cast<std::size_t>(w.pp));
  for (int s = 0; s < w.pp; ++s) {
    const auto su = static_cast<std::size_t>(s);
    StageTraffic& t = out[su];
    double params = 0, experts = 0;
    for (const ChunkCost& ch : chunks[su]) {
      params += ch.params;
      experts += ch.expert_params;
    }
    const double dense = params - experts;
    t.optimizer_bytes =
        (dense / (w.zero >= 1 ? shard : 1) + experts / (w.zero >= 1 ? expert_shard : 1)) * kOptimizerStepBytes;
    t.optimizer_s = op_time(model.c.gpu, hw::Precision::bf16, 0, t.optimizer_bytes).time;
    if (w.zero >= 1 && w.zero < 3) {
      t.gather_dense_bytes = dense * param_gather_bytes(w);
      t.gather_expert_bytes = experts * param_gather_bytes(w);
    }
  }
  return out;
}

bool completes_gradients(const PretrainingWorkload& w, const PipelineTask& task) {
  const bool split = w.schedule == PipelineSchedule::zb_h1;
  return w.zero < 3 && !task.forward && task.weight == split && task.micro == static_cast<int>(w.micro_batches()) - 1;
}

std::vector<GradientBucket> chunk_buckets(const LayerCostModel& model, const ChunkCost& ch, double start, double end,
                                          double compute_end) {
  const PretrainingWorkload& w = model.w;
  const double per_param = gradient_bytes(w);
  const double n = d(static_cast<i64>(ch.bucket_params.size()));
  std::vector<GradientBucket> out;
  for (std::size_t b = 0; b < ch.bucket_params.size(); ++b) {
    const double ready = w.overlap_grad_reduce ? start + (d(static_cast<i64>(b)) + 1) / n * (end - start) : compute_end;
    // Dense gradients over the data-parallel group, the routed experts' over the expert one.
    const double experts = ch.bucket_experts[b];
    out.push_back({ready, (ch.bucket_params[b] - experts) * per_param, experts * per_param});
  }
  return out;
}

ReductionTail reduction_tail(const PretrainingWorkload& w, double busy_until, double compute_end, double reduce_total) {
  ReductionTail t;
  const double end = std::max(busy_until, compute_end);
  t.exposed = end - compute_end;
  const double hidden = std::max(0.0, reduce_total - t.exposed);
  t.contention = w.overlap_grad_reduce ? w.comm_sm_share * hidden : 0.0;
  t.end = end + t.contention;
  return t;
}

StepFabric::StepFabric(const LayerCostModel& model, const hw::Topology& topo, std::vector<StageTraffic> traffic,
                       const StageChunks* chunks)
    : model_(model), topo_(topo), chunks_(chunks), traffic_(std::move(traffic)), channels_(traffic_.size()),
      stages_(traffic_.size()), grad_op_(gradient_op(model.w)), send_bytes_(pipeline_send_bytes(model)) {
  for (std::size_t s = 0; s < stages_.size(); ++s) {
    stages_[s].dense = model_.dp_groups(static_cast<int>(s));
    stages_[s].expert = model_.edp_groups(static_cast<int>(s));
  }
}

void StepFabric::attach(sim::Simulator& sim) {
  if (sim_ != nullptr) throw std::logic_error("StepFabric: attached to a second simulation");
  sim_ = &sim;
  net_ = std::make_unique<hw::FlowNetwork>(sim, topo_);
  // Buckets given up front wait for their ready time.
  for (std::size_t s = 0; s < stages_.size(); ++s) next_bucket(static_cast<int>(s));
}

double StepFabric::now() const { return sim::to_seconds(sim_->now()); }

void StepFabric::at(double seconds, std::function<void()> fn) {
  sim_->schedule_at(std::max(sim_->now(), sim::from_seconds(seconds)), std::move(fn));
}

void StepFabric::send(int from, int to, std::function<void()> arrived) {
  const PretrainingWorkload& w = model_.w;
  auto left = std::make_shared<std::size_t>(static_cast<std::size_t>(w.tp) * w.cp * w.dp);
  auto done = std::make_shared<std::function<void()>>(std::move(arrived));
  for (int k = 0; k < w.dp; ++k)
    for (int j = 0; j < w.cp; ++j)
      for (int t = 0; t < w.tp; ++t) {
        model_.coll.start(*net_, hw::CollectiveOp::send_recv, {model_.rank(t, j, k, from), model_.rank(t, j, k, to)},
                          send_bytes_, [left, done] {
                            if (--*left == 0) (*done)();
                          });
      }
}

void StepFabric::task_started(int stage, const PipelineTask& task, double end_s) {
  const PretrainingWorkload& w = model_.w;
  if (chunks_ == nullptr || !completes_gradients(w, task)) return;
  const auto su = static_cast<std::size_t>(stage);
  if (!w.overlap_grad_reduce) {
    stages_[su].held.push_back(task.chunk);
    return;
  }
  for (const GradientBucket& b : chunk_buckets(model_, (*chunks_)[su][static_cast<std::size_t>(task.chunk)], now(),
                                               end_s, end_s)) {
    traffic_[su].buckets.push_back(b);
  }
  next_bucket(stage);
}

void StepFabric::stage_done(int stage) {
  const auto su = static_cast<std::size_t>(stage);
  Stage& st = stages_[su];
  StageTraffic& t = traffic_[su];
  t.compute_end = now();
  for (int c : st.held) {
    for (const GradientBucket& b : chunk_buckets(model_, (*chunks_)[su][static_cast<std::size_t>(c)], 0, 0, now())) {
      t.buckets.push_back(b);
    }
  }
  st.held.clear();
  st.done = true;
  next_bucket(stage);
}

void StepFabric::run_on_all(Stage& st, hw::CollectiveOp op, const std::vector<std::vector<int>>& groups, double bytes,
                            std::function<void()> then) {
  st.pending = 0;
  if (bytes > 0) {
    for (const auto& g : groups) st.pending += g.size() > 1 ? 1 : 0;
  }
  if (st.pending == 0) {
    then();
    return;
  }
  auto done = std::make_shared<std::function<void()>>(std::move(then));
  for (const auto& g : groups) {
    if (g.size() < 2) continue;
    model_.coll.start(*net_, op, g, bytes, [&st, done] {
      if (--st.pending == 0) (*done)();
    });
  }
}

void StepFabric::next_bucket(int stage) {
  const auto su = static_cast<std::size_t>(stage);
  Stage& st = stages_[su];
  if (st.busy || sim_ == nullptr) return;
  const auto& buckets = traffic_[su].buckets;
  if (st.next == buckets.size()) {
    if (st.done && !st.gathered) gather(stage);
    return;
  }
  st.busy = true;
  const GradientBucket b = buckets[st.next];
  at(b.ready, [this, &st, b, stage] {
    st.opened = now();
    run_on_all(st, grad_op_, st.dense, b.dense_bytes, [this, &st, b, stage] {
      run_on_all(st, grad_op_, st.expert, b.expert_bytes, [this, &st, stage] {
        StageChannel& ch = channels_[static_cast<std::size_t>(stage)];
        ch.start.push_back(st.opened);
        ch.end.push_back(now());
        ch.reduce_total += now() - st.opened;
        ++st.next;
        st.busy = false;
        next_bucket(stage);
      });
    });
  });
}

void StepFabric::gather(int stage) {
  const auto su = static_cast<std::size_t>(stage);
  Stage& st = stages_[su];
  const StageTraffic& t = traffic_[su];
  st.gathered = true;
  if (t.gather_dense_bytes <= 0 && t.gather_expert_bytes <= 0) return;
  const StageChannel& ch = channels_[su];
  const ReductionTail tail = reduction_tail(model_.w, ch.busy_until(), t.compute_end, ch.reduce_total);
  at(tail.end + t.optimizer_s, [this, &st, &t, su] {
    st.opened = now();
    run_on_all(st, hw::CollectiveOp::all_gather, st.dense, t.gather_dense_bytes, [this, &st, &t, su] {
      run_on_all(st, hw::CollectiveOp::all_gather, st.expert, t.gather_expert_bytes,
                 [this, &st, su] { channels_[su].gather_s = now() - st.opened; });
    });
  });
}

std::vector<StageChannel> run_dp_fabric(const LayerCostModel& model, const hw::Topology& topo,
                                        const std::vector<StageTraffic>& traffic) {
  sim::Simulator sim;
  StepFabric fabric(model, topo, traffic, nullptr);
  fabric.attach(sim);
  for (std::size_t s = 0; s < traffic.size(); ++s) {
    sim.schedule_at(sim::from_seconds(traffic[s].compute_end), [&fabric, s] { fabric.stage_done(static_cast<int>(s)); });
  }
  sim.run();
  return fabric.channels();
}

}  // namespace dcsim::wl
