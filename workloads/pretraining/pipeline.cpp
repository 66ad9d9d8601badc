// The pipeline schedules and their event simulation (docs/pretraining.md, "Pipeline").
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "sim/process.hpp"
#include "sim/simulator.hpp"
#include "workloads/pretraining/pretraining.hpp"

namespace dcsim::wl {

const char* to_string(PipelineSchedule s) {
  switch (s) {
    case PipelineSchedule::one_f_one_b: return "1f1b";
    case PipelineSchedule::interleaved: return "interleaved";
    case PipelineSchedule::gpipe: return "gpipe";
    case PipelineSchedule::zb_h1: return "zb-h1";
  }
  return "?";
}

const char* to_string(AttentionKernel k) { return k == AttentionKernel::unfused ? "unfused" : "flash"; }

const char* to_string(RsOverlap m) { return m == RsOverlap::ring_exchange ? "ring_exchange" : "pipeline"; }

const char* to_string(Recompute r) {
  switch (r) {
    case Recompute::none: return "none";
    case Recompute::selective: return "selective";
    case Recompute::full: return "full";
  }
  return "?";
}

std::vector<PipelineTask> stage_order(PipelineSchedule s, int pp, int v, int m, int stage) {
  std::vector<PipelineTask> out;
  if (s == PipelineSchedule::zb_h1) {
    // Qi et al. 2024 §2.1, Figure 3 (top), as their generator writes it (get_hand_schedule(p, n, f, b, w, c,
    // warmup_c=1), sail-sg/zero-bubble-pipeline-parallelism, megatron/core/pipeline_parallel/efficiency.py):
    // 1F1B's warm-up forwards, then per micro-batch F, B and, from iteration `delay` on, one W in micro-batch
    // order; the W passes not run by then close the stage. Stage s delays its W passes by p-1-warmup = s
    // iterations, so every stage has p micro-batches in flight (stage 0 as in 1F1B) and the delayed W passes fill
    // the cool-down bubbles.
    if (v != 1) throw std::invalid_argument("stage_order: zb-h1 runs one model chunk per stage (interleave 1)");
    const int warmup = std::min(pp - stage - 1, m);
    const int delay = pp - 1 - warmup;
    int w_next = 0;
    for (int i = 0; i < warmup; ++i) out.push_back({0, i, true});
    for (int i = 0; i < m; ++i) {
      if (warmup + i < m) out.push_back({0, warmup + i, true});
      out.push_back({0, i, false});
      if (i >= delay) out.push_back({0, w_next++, false, true});
    }
    while (w_next < m) out.push_back({0, w_next++, false, true});
    return out;
  }
  if (pp == 1 && s != PipelineSchedule::gpipe) {
    // One stage (Megatron-LM forward_backward_no_pipelining): each micro-batch's forward, then its backward.
    for (int i = 0; i < m; ++i) {
      for (int c = 0; c < v; ++c) out.push_back({c, i, true});
      for (int c = v; c-- > 0;) out.push_back({c, i, false});
    }
    return out;
  }
  if (s == PipelineSchedule::gpipe) {
    // GPipe, and any schedule on one stage: every forward, then every backward (gradient accumulation).
    for (int c = 0; c < v; ++c)
      for (int i = 0; i < m; ++i) out.push_back({c, i, true});
    for (int c = v; c-- > 0;)
      for (int i = 0; i < m; ++i) out.push_back({c, i, false});
    return out;
  }
  if (s == PipelineSchedule::one_f_one_b) {
    // Megatron-LM forward_backward_pipelining_without_interleaving.
    const int warmup = std::min(pp - stage - 1, m);
    const int steady = m - warmup;
    for (int i = 0; i < warmup; ++i) out.push_back({0, i, true});
    for (int i = 0; i < steady; ++i) {
      out.push_back({0, warmup + i, true});
      out.push_back({0, i, false});
    }
    for (int i = steady; i < m; ++i) out.push_back({0, i, false});
    return out;
  }
  // Megatron-LM forward_backward_pipelining_with_interleaving: k counts (chunk, micro-batch) units; groups of pp
  // micro-batches go through chunk 0, then chunk 1, ... (backward: the last chunk first).
  const int total = m * v;
  int warmup = (m == pp) ? total : std::min((pp - stage - 1) * 2 + (v - 1) * pp, total);
  auto unit = [&](int k, bool fwd) {
    const int in_group = k % (pp * v);
    int chunk = in_group / pp;
    if (!fwd) chunk = v - 1 - chunk;
    const int micro = (k / (pp * v)) * pp + in_group % pp;
    return PipelineTask{chunk, micro, fwd};
  };
  const int steady = total - warmup;
  for (int k = 0; k < warmup; ++k) out.push_back(unit(k, true));
  for (int k = 0; k < steady; ++k) {
    out.push_back(unit(warmup + k, true));
    out.push_back(unit(k, false));
  }
  for (int k = steady; k < total; ++k) out.push_back(unit(k, false));
  return out;
}

double analytic_bubble(PipelineSchedule s, int pp, int v, int m, double t_f, double t_b, double t_w) {
  const double p = pp;
  if (s == PipelineSchedule::zb_h1) {
    const double idle = (p - 1) * (t_f + t_b - t_w);
    return idle / (static_cast<double>(m) * (t_f + t_b + t_w) + idle);
  }
  if (s == PipelineSchedule::interleaved) return (p - 1) / (v * static_cast<double>(m) + p - 1);
  return (p - 1) / (static_cast<double>(m) + p - 1);
}

namespace {

struct PipeRun {
  sim::Simulator& sim;
  const PipelineDurations& d;
  int pp, v, m, chunks;
  bool split;  // the backward runs as B and W tasks (zb-h1)
  PipelineTransport* transport;
  std::vector<std::vector<PipelineTask>> orders;
  std::vector<std::unique_ptr<sim::Event>> act_in, grad_in;  // [global chunk * m + micro]
  PipelineTimeline out;

  sim::Event& act(int j, int i) { return *act_in[static_cast<std::size_t>(j * m + i)]; }
  sim::Event& grad(int j, int i) { return *grad_in[static_cast<std::size_t>(j * m + i)]; }
  double p2p(const std::vector<std::vector<double>>& over, int s, int c) const {
    return over.empty() ? d.p2p : over[static_cast<std::size_t>(s)][static_cast<std::size_t>(c)];
  }
};

void arrive_later(sim::Simulator& sim, sim::Event& ev, double seconds) {
  sim::Event* e = &ev;
  sim.schedule_in(sim::from_seconds(seconds), [e] { e->trigger(); });
}

sim::Process stage_proc(PipeRun& r, int s) {
  const auto su = static_cast<std::size_t>(s);
  for (const PipelineTask& t : r.orders[su]) {
    const int j = t.chunk * r.pp + s;  // global model chunk
    const auto cu = static_cast<std::size_t>(t.chunk);
    // A W pass needs only its own B, which ran earlier on this stage.
    if (!t.weight) co_await (t.forward ? r.act(j, t.micro) : r.grad(j, t.micro));
    const sim::Time start = r.sim.now();
    double dur = 0;
    if (t.forward) {
      dur = r.d.fwd[su][cu];
    } else if (!r.split) {
      dur = r.d.bwd[su][cu];
    } else {
      dur = t.weight ? r.d.wgt[su][cu] : r.d.bwd[su][cu] - r.d.wgt[su][cu];
    }
    const sim::Time end = start + sim::from_seconds(dur);
    if (r.transport) r.transport->task_started(s, t, sim::to_seconds(end));
    co_await r.sim.delay(end - start);
    r.out.spans.push_back({s, t, sim::to_seconds(start), sim::to_seconds(r.sim.now())});
    r.out.busy[su] += sim::to_seconds(r.sim.now() - start);
    double send = 0;
    sim::Event* to = nullptr;  // what the send delivers
    if (t.weight) {
      // Weight gradients stay on the stage: nothing to send.
    } else if (t.forward) {
      if (j + 1 < r.chunks) {
        send = r.p2p(r.d.fwd_p2p, s, t.chunk);
        to = &r.act(j + 1, t.micro);
      } else {
        r.grad(j, t.micro).trigger();  // the loss: backward of the last chunk may start
      }
    } else if (j > 0) {
      send = r.p2p(r.d.bwd_p2p, s, t.chunk);
      to = &r.grad(j - 1, t.micro);
    }
    if (to != nullptr && r.transport != nullptr) {
      // On the shared network: every replica's send as traffic; a blocking sender waits for its arrival.
      const int dest = (t.forward ? j + 1 : j - 1) % r.pp;
      const std::size_t span = r.out.spans.size() - 1;
      auto arrive = [&r, to, span] {
        r.out.spans[span].arrived = sim::to_seconds(r.sim.now());
        to->trigger();
      };
      if (r.d.blocking) {
        sim::Event sent(r.sim);
        r.transport->send(s, dest, [arrive, &sent] {
          arrive();
          sent.trigger();
        });
        co_await sent;
      } else {
        r.transport->send(s, dest, arrive);
      }
    } else if (to != nullptr) {
      arrive_later(r.sim, *to, send);
      if (r.d.blocking && send > 0) co_await r.sim.delay(sim::from_seconds(send));
    }
  }
  r.out.compute_end[su] = sim::to_seconds(r.sim.now());
  if (r.transport) r.transport->stage_done(s);
}

}  // namespace

PipelineTimeline simulate_pipeline(const PipelineDurations& d, PipelineSchedule s, int pp, int v, int m,
                                   PipelineTransport* transport) {
  if (pp < 1 || v < 1 || m < 1) throw std::invalid_argument("simulate_pipeline: pp, interleave and micro-batches >= 1");
  const bool split = s == PipelineSchedule::zb_h1;
  if (split) {
    if (v != 1) throw std::invalid_argument("simulate_pipeline: zb-h1 runs one model chunk per stage (interleave 1)");
    if (d.wgt.size() != d.bwd.size()) {
      throw std::invalid_argument("simulate_pipeline: zb-h1 needs PipelineDurations::wgt (the W part of bwd)");
    }
    for (std::size_t st = 0; st < d.bwd.size(); ++st) {
      for (std::size_t c = 0; c < d.bwd[st].size(); ++c) {
        if (d.wgt[st].size() != d.bwd[st].size() || d.wgt[st][c] < 0 || d.wgt[st][c] > d.bwd[st][c]) {
          throw std::invalid_argument("simulate_pipeline: wgt must lie in [0, bwd] for every stage and chunk");
        }
      }
    }
  }
  sim::Simulator sim;
  PipeRun r{sim, d, pp, v, m, pp * v, split, transport, {}, {}, {}, {}};
  if (transport) transport->attach(sim);
  const std::size_t units = static_cast<std::size_t>(r.chunks) * static_cast<std::size_t>(m);
  r.act_in.reserve(units);
  r.grad_in.reserve(units);
  for (std::size_t k = 0; k < units; ++k) {
    r.act_in.push_back(std::make_unique<sim::Event>(sim));
    r.grad_in.push_back(std::make_unique<sim::Event>(sim));
  }
  for (int i = 0; i < m; ++i) r.act(0, i).trigger();  // the data loader: every micro-batch is ready at 0
  r.out.compute_end.assign(static_cast<std::size_t>(pp), 0.0);
  r.out.busy.assign(static_cast<std::size_t>(pp), 0.0);
  r.out.spans.reserve(units * (split ? 3 : 2));
  for (int st = 0; st < pp; ++st) r.orders.push_back(stage_order(s, pp, v, m, st));
  std::vector<sim::ProcessHandle> handles;
  for (int st = 0; st < pp; ++st) handles.push_back(sim.spawn(stage_proc(r, st)));
  sim.run();
  for (const auto& h : handles) {
    if (!h.done()) throw std::logic_error("pipeline schedule deadlocked (a dependency never arrived)");
  }
  r.out.makespan = *std::max_element(r.out.compute_end.begin(), r.out.compute_end.end());
  r.out.events = sim.events_executed();
  r.out.fingerprint = sim.fingerprint();
  return std::move(r.out);
}

}  // namespace dcsim::wl
