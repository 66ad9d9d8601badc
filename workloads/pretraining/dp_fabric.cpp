#include "workloads/pretraining/dp_fabric.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <utility>

#include "hw/flow_network.hpp"
#include "sim/simulator.hpp"

namespace dcsim::wl {
namespace {

struct StageRun {
  const StageTraffic* traffic = nullptr;
  std::vector<std::vector<int>> dense, expert;
  StageChannel out;
  std::size_t next = 0;     // the bucket to run next
  std::size_t pending = 0;  // collectives of the current wave still running
  double opened = 0;        // start of the bucket or all-gather in flight
};

// The stages' channels as callbacks on one simulator and one flow network.
class Fabric {
 public:
  Fabric(const LayerCostModel& model, const hw::Topology& topo, hw::CollectiveOp grad_op)
      : model_(model), net_(sim_, topo), grad_op_(grad_op) {}

  FabricRun run(const std::vector<StageTraffic>& traffic) {
    runs_.resize(traffic.size());  // never resized again: the callbacks hold references
    for (std::size_t s = 0; s < traffic.size(); ++s) {
      StageRun& st = runs_[s];
      st.traffic = &traffic[s];
      st.dense = stage_dense_groups(model_, static_cast<int>(s));
      st.expert = stage_expert_groups(model_, static_cast<int>(s));
      st.out.start.resize(traffic[s].buckets.size());
      st.out.end.resize(traffic[s].buckets.size());
      next_bucket(st);
    }
    sim_.run();
    FabricRun out;
    for (StageRun& st : runs_) out.stages.push_back(std::move(st.out));
    out.events = sim_.events_executed();
    out.fingerprint = sim_.fingerprint();
    return out;
  }

 private:
  double now() const { return sim::to_seconds(sim_.now()); }
  void at(double seconds, std::function<void()> fn) {
    sim_.schedule_at(std::max(sim_.now(), sim::from_seconds(seconds)), std::move(fn));
  }

  // Starts `bytes` of `op` on every group of more than one GPU; `then` runs when the last has finished.
  void wave(StageRun& st, hw::CollectiveOp op, const std::vector<std::vector<int>>& groups, double bytes,
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
      model_.coll.start(net_, op, g, bytes, [&st, done] {
        if (--st.pending == 0) (*done)();
      });
    }
  }

  void next_bucket(StageRun& st) {
    const auto& buckets = st.traffic->buckets;
    if (st.next == buckets.size()) {
      gather(st);
      return;
    }
    const GradientBucket& b = buckets[st.next];
    at(b.ready, [this, &st, &b] {
      st.opened = now();
      wave(st, grad_op_, st.dense, b.dense_bytes, [this, &st, &b] {
        wave(st, grad_op_, st.expert, b.expert_bytes, [this, &st] {
          st.out.start[st.next] = st.opened;
          st.out.end[st.next] = now();
          st.out.reduce_total += now() - st.opened;
          ++st.next;
          next_bucket(st);
        });
      });
    });
  }

  // ZeRO's parameter all-gather, after the reduction's tail and the optimizer step.
  void gather(StageRun& st) {
    const StageTraffic& t = *st.traffic;
    if (t.gather_dense_bytes <= 0 && t.gather_expert_bytes <= 0) return;
    const double busy_until = st.out.end.empty() ? 0.0 : st.out.end.back();
    const ReductionTail tail = reduction_tail(model_.w, busy_until, t.compute_end, st.out.reduce_total);
    at(tail.end + t.optimizer_s, [this, &st, &t] {
      st.opened = now();
      wave(st, hw::CollectiveOp::all_gather, st.dense, t.gather_dense_bytes, [this, &st, &t] {
        wave(st, hw::CollectiveOp::all_gather, st.expert, t.gather_expert_bytes,
             [this, &st] { st.out.gather_s = now() - st.opened; });
      });
    });
  }

  const LayerCostModel& model_;
  sim::Simulator sim_;
  hw::FlowNetwork net_;
  hw::CollectiveOp grad_op_;
  std::vector<StageRun> runs_;
};

}  // namespace

ReductionTail reduction_tail(const PretrainingWorkload& w, double busy_until, double compute_end, double reduce_total) {
  ReductionTail t;
  const double end = std::max(busy_until, compute_end);
  t.exposed = end - compute_end;
  const double hidden = std::max(0.0, reduce_total - t.exposed);
  t.contention = w.overlap_grad_reduce ? w.comm_sm_share * hidden : 0.0;
  t.end = end + t.contention;
  return t;
}

std::vector<std::vector<int>> stage_dense_groups(const LayerCostModel& model, int stage) {
  const PretrainingWorkload& w = model.w;
  std::vector<std::vector<int>> groups(static_cast<std::size_t>(w.tp));
  for (int t = 0; t < w.tp; ++t) {
    auto& g = groups[static_cast<std::size_t>(t)];
    for (int k = 0; k < w.dp; ++k)
      for (int j = 0; j < w.cp; ++j) g.push_back(model.rank(t, j, k, stage));
  }
  return groups;
}

std::vector<std::vector<int>> stage_expert_groups(const LayerCostModel& model, int stage) {
  const PretrainingWorkload& w = model.w;
  if (!model.m.is_moe()) return {};
  // Rank x of the stage's dp x tp ranks (tp fastest) holds the experts of EP rank x mod ep.
  std::vector<std::vector<int>> groups(static_cast<std::size_t>(w.ep));
  for (int e = 0; e < w.ep; ++e) {
    auto& g = groups[static_cast<std::size_t>(e)];
    for (int k = 0; k < w.dp * w.tp / w.ep; ++k) {
      const int x = k * w.ep + e;
      for (int j = 0; j < w.cp; ++j) g.push_back(model.rank(x % w.tp, j, x / w.tp, stage));
    }
  }
  return groups;
}

FabricRun run_dp_fabric(const LayerCostModel& model, const hw::Topology& topo, const std::vector<StageTraffic>& stages,
                        hw::CollectiveOp grad_op) {
  Fabric f(model, topo, grad_op);
  return f.run(stages);
}

}  // namespace dcsim::wl
