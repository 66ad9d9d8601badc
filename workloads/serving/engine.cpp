#include "workloads/serving/engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>
#include <string>

#include "hw/power.hpp"
#include "workloads/input_error.hpp"
#include "workloads/observe.hpp"
#include "workloads/run_invariants.hpp"

namespace dcsim::wl::serving {
namespace {

const hw::StorageSpec* find_tier(const hw::ClusterSpec& c, hw::StorageTier t) {
  for (const auto& s : c.storage) {
    if (s.tier == t) return &s;
  }
  return nullptr;
}

const char* tier_name(KvTier t) {
  switch (t) {
    case KvTier::none: return "none";
    case KvTier::cpu_memory: return "cpu-memory";
    case KvTier::local_nvme: return "local-nvme";
    case KvTier::network_flash: return "network-flash";
  }
  return "?";
}

}  // namespace

Engine::Engine(const ServingWorkload& w_, const ModelSpec& model_, const hw::ClusterSpec& cluster, bool flow_network,
               sim::TraceRecorder* trace, std::uint64_t seed, const RunOutputs& outputs)
    : w(w_),
      model(model_),
      cluster_(cluster),
      flow_(flow_network),
      trace_(trace),
      source_(w_, seed),
      stats(w_),
      router_(w_.routing),
      decode_router_(w_.routing),
      requests_(outputs.requests),
      observing_(outputs.observe),
      class_names_(w_.class_names()) {
  topo_ = std::make_unique<hw::Topology>(hw::build_topology(cluster_));
  coll_ = std::make_unique<hw::Collectives>(*topo_, cluster_);
  PowerGroup main;
  main.power = std::make_unique<ClusterPower>(ledger_, cluster_, topo_->shape(), 0);
  power_.push_back(std::move(main));

  if (w.mode == ServingWorkload::Mode::colocated) {
    const int need = w.colocated.instances * w.colocated.gpus();
    if (need > cluster_.total_gpus()) {
      throw std::invalid_argument(std::to_string(w.colocated.instances) + " instances x " +
                                  std::to_string(w.colocated.gpus()) + " GPUs need " + std::to_string(need) +
                                  " GPUs; the cluster has " + std::to_string(cluster_.total_gpus()));
    }
    build_pool(w.colocated, Role::colocated, cluster_, coll_.get(), 0, 0);
  } else {
    const int need_p = w.prefill.instances * w.prefill.gpus();
    heterogeneous_ = w.decode.cluster.has_value();
    const int need_d = w.decode.instances * w.decode.gpus();
    const int need = need_p + (heterogeneous_ ? 0 : need_d);
    if (need > cluster_.total_gpus()) {
      throw std::invalid_argument("prefill (" + std::to_string(need_p) + " GPUs)" +
                                  (heterogeneous_ ? "" : " and decode (" + std::to_string(need_d) + " GPUs)") +
                                  " pools need " + std::to_string(need) + " GPUs; the cluster has " +
                                  std::to_string(cluster_.total_gpus()));
    }
    build_pool(w.prefill, Role::prefill, cluster_, coll_.get(), 0, 0);
    if (heterogeneous_) {
      const hw::ClusterSpec& dc = *w.decode.cluster;
      if (need_d > dc.total_gpus()) {
        throw std::invalid_argument("the decode pool needs " + std::to_string(need_d) + " GPUs; its system has " +
                                    std::to_string(dc.total_gpus()));
      }
      decode_topo_ = std::make_unique<hw::Topology>(hw::build_topology(dc));
      decode_coll_ = std::make_unique<hw::Collectives>(*decode_topo_, dc);
      PowerGroup g;
      g.power = std::make_unique<ClusterPower>(ledger_, dc, decode_topo_->shape(), 0);
      power_.push_back(std::move(g));
      build_pool(w.decode, Role::decode, dc, decode_coll_.get(), 0, 1);
    } else {
      build_pool(w.decode, Role::decode, cluster_, coll_.get(), need_p, 0);
    }
  }
  if (flow_) net_ = std::make_unique<hw::FlowNetwork>(sim, *topo_);
  double cross_bw = 0, cross_lat = 0;
  if (heterogeneous_) {
    cross_bw = std::min(cluster_.scale_out.nic_bandwidth, w.decode.cluster->scale_out.nic_bandwidth);
    cross_lat = cluster_.nic.latency + w.decode.cluster->nic.latency;
  }
  transfer_ = std::make_unique<KvTransfer>(sim, net_.get(), coll_.get(), cross_bw, cross_lat);
  router_.attach(front_);
  decode_router_.rank_full_last();
  decode_router_.attach(back_);
  levels_.resize(instances_.size());
  for (const auto& in : instances_) kv_blocks_total_ += static_cast<double>(in->kv().capacity());
  power_series_.set(0, ledger_.total_power_w());
  if (trace_) {
    trace_->process_name(0, "serving instances (steps, collectives)");
    trace_->process_name(1, "requests (arrival to last token; first token)");
    trace_->process_name(2, "KV-cache transfers (prefill to decode)");
    trace_->process_name(3, "serving counters");
  }
  if (requests_) {
    requests_->columns({"request", "class", "status", "arrival_s", "first_token_s", "finish_s", "ttft_s", "tpot_s",
                        "e2e_s", "input_tokens", "output_tokens", "cached_prompt_tokens", "instance",
                        "decode_instance", "preemptions", "measured"});
  }
}

void Engine::observe(const Instance& in) {
  const bool tracing = trace_ != nullptr && trace_->enabled();
  if (!observing_ && !tracing) return;
  Levels& l = levels_[static_cast<std::size_t>(in.index())];
  const Levels now{static_cast<double>(in.decoding()), static_cast<double>(in.kv().used()),
                   static_cast<double>(in.waiting())};
  level_sum_.decoding += now.decoding - l.decoding;
  level_sum_.kv_blocks += now.kv_blocks - l.kv_blocks;
  level_sum_.waiting += now.waiting - l.waiting;
  l = now;
  const sim::Time t = sim.now();
  const double kv = kv_blocks_total_ > 0 ? level_sum_.kv_blocks / kv_blocks_total_ : 0.0;
  if (observing_) {
    decoding_series_.set(t, level_sum_.decoding);
    kv_series_.set(t, kv);
    waiting_series_.set(t, level_sum_.waiting);
    power_series_.set(t, ledger_.total_power_w());
  }
  if (tracing) {
    trace_->counter("load", 3, t,
                    {{"decoding sequences", level_sum_.decoding},
                     {"waiting requests", level_sum_.waiting},
                     {"KV occupancy %", kv * 100}});
  }
}

int Engine::replicas() const { return instances_.empty() ? 0 : instances_.back()->replica() + 1; }

int Engine::replica_of(int index) const {
  return index < 0 ? index : instances_[static_cast<std::size_t>(index)]->replica();
}

void Engine::log_request(const Request& r, double finish, bool rejected) {
  if (trace_ && trace_->enabled() && !rejected) {
    trace_->async_span(class_names_[static_cast<std::size_t>(r.cls)] + " request", "request", 1, r.serial,
                       sim::from_seconds(r.arrival), sim::from_seconds(finish) - sim::from_seconds(r.arrival),
                       {{"request", static_cast<std::int64_t>(r.serial)},
                        {"input_tokens", r.input},
                        {"output_tokens", r.output},
                        {"instance", static_cast<std::int64_t>(replica_of(r.prefill_instance))},
                        {"preemptions", static_cast<std::int64_t>(r.preemptions)}});
    if (r.first_token >= r.arrival) {
      trace_->async_span("until first token", "request", 1, r.serial, sim::from_seconds(r.arrival),
                         sim::from_seconds(r.first_token) - sim::from_seconds(r.arrival));
    }
  }
  if (requests_ == nullptr) return;
  const std::vector<std::string>& names = class_names_;
  const auto time_or_blank = [](bool have, double v) { return have ? RequestCell{v} : RequestCell{std::string()}; };
  const bool done = !rejected;
  const bool first = done && r.first_token >= 0;
  const double tpot = done && r.output > 1 ? (finish - r.first_token) / static_cast<double>(r.output - 1) : 0.0;
  requests_->row({static_cast<std::int64_t>(r.serial), names[static_cast<std::size_t>(r.cls)],
                  std::string(rejected ? "rejected" : "finished"), r.arrival, time_or_blank(first, r.first_token),
                  time_or_blank(done, finish), time_or_blank(first, r.first_token - r.arrival),
                  time_or_blank(done && r.output > 1, tpot), time_or_blank(done, finish - r.arrival), r.input,
                  r.output, r.prefix_cached, static_cast<std::int64_t>(replica_of(r.prefill_instance)),
                  static_cast<std::int64_t>(replica_of(r.decode_instance)), static_cast<std::int64_t>(r.preemptions),
                  static_cast<std::int64_t>(r.measured ? 1 : 0)});
}

void Engine::observations(RunResult& out) const {
  if (!observing_) return;
  const sim::Time end = sim.now();
  Observations& ob = out.observed;
  ob.series.push_back(observe_series("output throughput", "tokens/s", tokens_series_, end));
  ob.series.push_back(observe_series("decoding sequences", "sequences", decoding_series_, end));
  ob.series.push_back(observe_series("KV-cache occupancy", "fraction", kv_series_, end));
  ob.series.push_back(observe_series("waiting requests", "requests", waiting_series_, end));
  ob.series.push_back(observe_series("IT power", "W", power_series_, end));
  ob.distributions.push_back(observe_distribution("TTFT", "s", stats.ttft()));
  ob.distributions.push_back(observe_distribution("TPOT", "s", stats.tpot()));
  ob.distributions.push_back(observe_distribution("end-to-end latency", "s", stats.e2e()));
}

Engine::~Engine() = default;

TierLink Engine::tier_link(const hw::ClusterSpec& c, KvTier tier, int gpus) const {
  if (tier == KvTier::none) return {};
  const hw::StorageTier t = tier == KvTier::cpu_memory   ? hw::StorageTier::cpu_memory
                            : tier == KvTier::local_nvme ? hw::StorageTier::local_nvme
                                                         : hw::StorageTier::network_flash;
  const hw::StorageSpec* s = find_tier(c, t);
  if (s == nullptr) {
    throw std::invalid_argument(std::string("KV tier ") + tier_name(tier) + " is not part of system " +
                                c.system.name);
  }
  // Storage entries are one GPU's share; CPU memory is further reached through the CPU's GPU link, shared by
  // the GPUs of one CPU.
  double per_gpu = s->bandwidth;
  double latency = s->latency;
  if (tier == KvTier::cpu_memory) {
    const double gpus_per_cpu = c.system.cpus > 0 ? static_cast<double>(c.system.gpus) / c.system.cpus : 1.0;
    per_gpu = std::min(per_gpu, c.cpu.gpu_link_bandwidth / gpus_per_cpu);
    latency += c.cpu.gpu_link_latency;
  }
  return TierLink{per_gpu * gpus, latency};
}

void Engine::build_pool(const PoolSpec& spec, Role role, const hw::ClusterSpec& cluster, const hw::Collectives* coll,
                        int first_gpu, int group) {
  // A pipeline-parallel instance runs one micro-batch slot per stage over the same GPUs (docs/serving.md,
  // "Pipeline stages"); every slot is scheduled, routed and stepped as an instance of its own.
  const int slots = spec.pp;
  const int first_index = static_cast<int>(instances_.size());
  // The slots of a pipelined instance share its links to the offload and prefix tiers.
  const auto share = [&](TierLink l) { return TierLink{l.bandwidth / slots, l.latency}; };
  const TierLink offload = w.preemption == ServingWorkload::Preemption::swap
                               ? share(tier_link(cluster, w.offload_tier, spec.gpus()))
                               : TierLink{};
  const TierLink prefix = share(tier_link(cluster, w.prefix_tier, spec.gpus()));
  for (int i = 0; i < spec.instances; ++i) {
    std::vector<int> gpus(static_cast<std::size_t>(spec.gpus()));
    std::iota(gpus.begin(), gpus.end(), first_gpu + i * spec.gpus());
    // One cost model per instance; its slots take copies (the dense-cost table stays shared).
    InstanceModel m(model, spec, cluster, coll, gpus, w);
    if (i > 0) m.share_dense_costs(instances_[static_cast<std::size_t>(first_index)]->model());
    PipelineStages* stages = nullptr;
    if (slots > 1) stages = pipelines_.emplace_back(std::make_unique<PipelineStages>(slots)).get();
    const int replica = replicas();
    for (int slot = 0; slot < slots; ++slot) {
      const int index = static_cast<int>(instances_.size());
      auto in = std::make_unique<Instance>(*this, index, replica, role, m, spec, w.speculative, stages);
      in->set_tiers(offload, prefix);
      (role == Role::decode ? back_ : front_).push_back(in.get());
      inst_power_.push_back(InstancePower{group, 0, false});
      if (slot == 0) {
        gpus_ += spec.gpus();
        peak_[role == Role::decode ? 1 : 0] += in->model().peak_flops();
      }
      if (trace_) {
        const std::string name = std::to_string(replica) + (slots > 1 ? " micro-batch " + std::to_string(slot) : "");
        if (role == Role::decode) trace_->thread_name(2, static_cast<std::uint32_t>(index), "into decode " + name);
        trace_->thread_name(0, static_cast<std::uint32_t>(index),
                            std::string(role == Role::decode    ? "decode "
                                        : role == Role::prefill ? "prefill "
                                                                : "instance ") +
                                name);
      }
      instances_.push_back(std::move(in));
    }
  }
}

void Engine::set_power(Instance& in, double p, bool busy) {
  InstancePower& ip = inst_power_[static_cast<std::size_t>(in.index())];
  PowerGroup& g = power_[static_cast<std::size_t>(ip.group)];
  const int n = in.power_gpus();
  if (ip.busy) {
    g.sum_p -= ip.p * n;
    g.busy -= n;
  }
  ip.p = p;
  ip.busy = busy;
  if (busy) {
    g.sum_p += p * n;
    g.busy += n;
  }
  // Each busy GPU's watts are summed, so the mean over busy GPUs gives the exact total.
  const double mean = g.busy > 0 ? std::max(0.0, g.sum_p / g.busy) : 0.0;
  g.power->set_gpu_power(mean, std::max(0, g.busy), sim.now());
}

void Engine::step_started(Instance& in, const IterationCost& c) {
  set_power(in, hw::gpu_power(in.model().cluster().gpu, c.activity), true);
  observe(in);
}

void Engine::went_idle(Instance& in) {
  set_power(in, 0, false);
  observe(in);
}

void Engine::step_done(Instance& in, const IterationCost& c, double t0, double t1) {
  stats.flops(c.model_flops, t0, t1, in.role() == Role::decode ? 1 : 0);
  stats.busy(in.role() == Role::decode ? 1 : 0, t0, t1);
  if (c.pure_decode) stats.decode_step(c.parts, c.decode_seqs, t0);
  if (trace_ && trace_->enabled()) {
    const auto tid = static_cast<std::uint32_t>(in.index());
    trace_->complete(c.pure_decode ? "decode step" : "step", "serving", 0, tid, sim::from_seconds(t0),
                     sim::from_seconds(t1) - sim::from_seconds(t0),
                     {{"decode_seqs", c.decode_seqs},
                      {"collectives_s", c.comm_s},
                      {"cpu_s", c.cpu_s}});
    // The step's TP all-reduces and EP all-to-alls run layer by layer inside it; drawn as one nested slice of
    // their summed time so the share is visible.
    if (c.comm_s > 0) {
      trace_->complete("TP/EP collectives (summed)", "comm", 0, tid, sim::from_seconds(t0),
                       std::min(sim::from_seconds(c.comm_s), sim::from_seconds(t1) - sim::from_seconds(t0)));
    }
  }
  // The levels it changed (KV, the decode set) are observed when the next step starts or the instance idles.
}

void Engine::after_step(Instance& in) {
  if (in.role() != Role::decode || !blocked_prefill_) return;
  blocked_prefill_ = false;
  stats.backpressure(blocked_since_, sim.now());
  for (Instance* p : front_) p->kick();
}

void Engine::first_token(ReqId id, double t) {
  Request& r = pool[id];
  r.first_token = t;
  stats.first_token(r.arrival, t, r.input, r.measured, r.cls);
}

void Engine::finish(ReqId id, double t) {
  Request& r = pool[id];
  stats.finished(r.arrival, r.first_token, t, r.output, r.measured, r.cls);
  log_request(r, t, false);
  const int user = r.user;
  pool.release(id);
  in_system_.set(sim.now(), static_cast<double>(pool.live()));
  if (user >= 0) {
    const double think = source_.think_time();
    if (t + think < w.duration_s) {
      sim.schedule_in(sim::from_seconds(think), [this, user] { closed_loop_send(user); });
    }
  }
  if (w.arrivals.kind == ArrivalSpec::Kind::offline && pool.live() == 0) end_window();
}

bool Engine::reserve_decode(ReqId id) {
  Request& r = pool[id];
  if (r.output <= 1) return true;  // the prefill's token is the whole answer: no decode
  const std::size_t i = decode_router_.pick();
  if (back_[i]->reserve(id, r.input)) return true;
  if (!blocked_prefill_) blocked_since_ = sim.now();
  blocked_prefill_ = true;
  return false;
}

void Engine::stream_kv(Instance& src, ReqId id, std::int64_t tokens, double start, double dt) {
  Request& r = pool[id];
  if (r.decode_instance < 0) return;
  r.prefill_instance = src.index();
  Instance& dst = *instances_[static_cast<std::size_t>(r.decode_instance)];
  const double bytes = static_cast<double>(tokens) * src.model().kv_bytes_per_token();
  const int groups = std::max(1, w.kv_transfer_groups);
  const int pairs = static_cast<int>(std::min(src.model().gpus().size(), dst.model().gpus().size()));
  r.pending_transfers += groups * pairs;
  const std::uint32_t gen = r.generation;
  for (int g = 0; g < groups; ++g) {
    const double at = start + dt * (g + 1) / groups;
    sim.schedule_at(sim::from_seconds(at), [this, id, gen, bytes, groups, &src, &dst] {
      const sim::Time began = sim.now();
      const std::uint64_t serial = pool[id].serial;
      transfer_->start(src.model().gpus(), dst.model().gpus(), bytes / groups, heterogeneous_,
                       [this, id, gen, began, serial, bytes, groups, &src, &dst] {
        if (trace_ && trace_->enabled()) {
          trace_->complete("KV transfer", "kv", 2, static_cast<std::uint32_t>(dst.index()), began, sim.now() - began,
                           {{"request", static_cast<std::int64_t>(serial)},
                            {"bytes", bytes / groups},
                            {"from_instance", static_cast<std::int64_t>(replica_of(src.index()))}});
        }
        Request& q = pool[id];
        if (!q.live || q.generation != gen) return;
        if (--q.pending_transfers == 0 && q.prefill_finished) handoff_complete(id);
      });
    });
  }
}

void Engine::prefill_done(Instance& src, ReqId id) {
  Request& r = pool[id];
  r.prefill_instance = src.index();
  r.prefill_finished = true;
  if (r.pending_transfers == 0) handoff_complete(id);
}

void Engine::handoff_complete(ReqId id) {
  Request& r = pool[id];
  instances_[static_cast<std::size_t>(r.prefill_instance)]->release_handoff(r.done);
  instances_[static_cast<std::size_t>(r.decode_instance)]->arrive(id);
}

void Engine::admit_new(const NewRequest& nr, int user) {
  const double arrival = nr.arrival_s;
  const ReqId id = pool.alloc();
  Request& r = pool[id];
  r.arrival = arrival;
  r.input = std::max<std::int64_t>(1, nr.input);
  r.output = std::max<std::int64_t>(1, nr.output);
  r.cls = std::max(0, nr.cls);
  r.user = user;
  r.prefix_cached = std::min<std::int64_t>(r.input - 1, static_cast<std::int64_t>(std::floor(w.prefix_hit_rate *
                                                                                             static_cast<double>(r.input))));
  r.target = r.input;
  r.measured = arrival >= w.warmup_s;
  r.serial = next_serial_++;
  in_system_.set(sim.now(), static_cast<double>(pool.live()));
  // A request whose KV can never fit one instance (one micro-batch slot's share of it when pipelined) is refused at
  // the door.
  const Instance& f = *front_.front();
  bool fits = f.kv().blocks_for(f.role() == Role::prefill ? r.input : r.input + r.output) <= f.kv().capacity();
  if (!back_.empty()) fits = fits && back_.front()->kv().blocks_for(r.input + r.output) <= back_.front()->kv().capacity();
  if (!fits) {
    stats.rejected();
    log_request(r, arrival, true);
    pool.release(id);
    in_system_.set(sim.now(), static_cast<double>(pool.live()));
    if (user >= 0) sim.schedule_in(0, [this, user] { closed_loop_send(user); });
    return;
  }
  Instance& to = *front_[router_.pick()];
  r.prefill_instance = to.index();
  to.enqueue(id);
  observe(to);
}

void Engine::arrival() {
  // The pending request arrives now; fetch the next one and schedule it (one arrival event in flight).
  const NewRequest r = *pending_;
  pending_ = source_.next();
  if (!pending_) end_window();
  if (pending_) sim.schedule_at(sim::from_seconds(pending_->arrival_s), [this] { arrival(); });
  admit_new(r, -1);
}

void Engine::closed_loop_send(int user) {
  if (now() >= w.duration_s) return;
  admit_new(source_.draw(now()), user);
}

void Engine::snapshot_start() { start_energy_ = PowerSnapshot::take(ledger_, sim.now()); }

void Engine::end_window() {
  if (have_end_energy_) return;
  stats.set_window_end(now());
  end_energy_ = PowerSnapshot::take(ledger_, sim.now());
  have_end_energy_ = true;
}

RunResult Engine::run() {
  if (w.arrivals.kind == ArrivalSpec::Kind::closed_loop) {
    sim.schedule_at(sim::from_seconds(w.duration_s), [this] { end_window(); });
    for (int u = 0; u < w.arrivals.users; ++u) sim.schedule_at(0, [this, u] { closed_loop_send(u); });
  } else if (w.arrivals.kind == ArrivalSpec::Kind::offline) {
    sim.schedule_at(0, [this] {
      while (auto r = source_.next()) {
        r->arrival_s = 0;
        admit_new(*r, -1);
      }
    });
  } else {
    pending_ = source_.next();
    if (pending_) sim.schedule_at(sim::from_seconds(pending_->arrival_s), [this] { arrival(); });
  }
  if (w.warmup_s > 0) {
    sim.schedule_at(sim::from_seconds(w.warmup_s), [this] { snapshot_start(); });
  } else {
    snapshot_start();
  }
  sim.run();
  end_window();  // a source that never ended its window (nothing arrived)
  // An empty measurement window has no throughput, latency or energy to report: the input's mistake, said so.
  if (stats.window_end() <= stats.window_start()) {
    const auto secs = [](double s) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g s", s);
      return std::string(buf);
    };
    if (pool.high_water() == 0)
      throw InputError("duration", "no request arrived during the run; raise the arrival rate or the duration");
    if (w.warmup_s <= 0)  // every request at t = 0 (a trace whose requests share one timestamp)
      throw InputError("arrivals", "every request arrived at once, so there is no window to measure a rate over; "
                                   "use arrivals: {process: offline, ...} for a batch");
    throw InputError("warmup", "the measurement window [warmup, last arrival] = [" + secs(stats.window_start()) +
                                   ", " + secs(stats.window_end()) +
                                   "] is empty: no request arrived after the warmup; shorten the warmup or "
                                   "lengthen the duration");
  }
  // Requests in = out: the queue ran dry, so every admitted request finished or was rejected (#18).
  if (pool.live() != 0)
    throw InvariantViolation("serving: " + std::to_string(pool.live()) +
                             " requests were neither finished nor rejected when the event queue ran dry");

  RunResult out;
  Metrics& m = out.metrics;
  stats.report(m, gpus_, peak_);
  const double pue = cluster_.pue;
  stats.report_energy(m, ledger_, start_energy_, end_energy_, pue, gpus_, w.all_in_kw_per_gpu);
  std::vector<const ClusterPower*> groups;  // a disaggregated decode pool may be another system
  for (const PowerGroup& g : power_) groups.push_back(g.power.get());
  set_system_metrics(m, groups, pue, gpus_);
  m.set("gpus", gpus_);
  m.set("instances", static_cast<double>(replicas()));
  std::uint64_t steps = 0, eager_steps = 0, preemptions = 0;
  for (const auto& in : instances_) {
    steps += in->steps();
    eager_steps += in->eager_steps();
    preemptions += in->preemptions();
  }
  // Steps run without a CUDA graph, launching every kernel from the host (kernel_launches.hpp).
  if (steps > 0) m.set("eager_step_fraction", static_cast<double>(eager_steps) / static_cast<double>(steps));
  double balance_sum = 0;
  std::uint64_t balance_steps = 0;
  for (const auto& in : instances_) {
    balance_sum += in->balance_sum();
    balance_steps += in->balance_steps();
  }
  // Attention data parallelism: the mean over steps of mean / max tokens of the groups (TensorRT-LLM blog10).
  if (balance_steps > 0) m.set("attention_dp_balance_ratio", balance_sum / static_cast<double>(balance_steps));
  m.set("iterations", static_cast<double>(steps));
  m.set("preemptions", static_cast<double>(preemptions));
  m.set("kv_capacity_tokens", static_cast<double>(front_.front()->model().kv_capacity_tokens()));
  // How one GPU of the (front) pool divides its memory (engine_memory.hpp).
  const GpuMemoryPlan& mem = front_.front()->model().memory();
  m.set("memory_per_gpu.usable_bytes", mem.usable);
  m.set("memory_per_gpu.weights_bytes", mem.weights);
  m.set("memory_per_gpu.activations_bytes", mem.activations);
  m.set("memory_per_gpu.runtime_bytes", mem.runtime);
  m.set("memory_per_gpu.kv_bytes", mem.kv);
  if (!back_.empty()) m.set("decode_kv_capacity_tokens", static_cast<double>(back_.front()->model().kv_capacity_tokens()));
  // How busy each pool was: instance-seconds stepping / (instances x window), a pipelined instance's micro-batch
  // slots each counted as one (so the share of time its stages work). A disaggregated layout whose prefill pool is
  // saturated while its decode pool idles (or the reverse) says so: its throughput is that pool's.
  const double window = stats.window_end() - stats.window_start();
  const auto busy_fraction = [&](int which, std::size_t instances) {
    return window > 0 && instances > 0 ? stats.busy_seconds(which) / (window * static_cast<double>(instances)) : 0.0;
  };
  const double front_busy = busy_fraction(0, front_.size());
  if (back_.empty()) {
    m.set("busy_fraction", front_busy);
  } else {
    const double back_busy = busy_fraction(1, back_.size());
    m.set("busy_fraction_prefill_pool", front_busy);
    m.set("busy_fraction_decode_pool", back_busy);
    // The decode pool limits when prefills wait for its KV blocks (back-pressure); the prefill pool when its
    // instances never rest without being held back. Decode instances step whenever they hold a sequence, so their
    // busy time says nothing about saturation.
    const double held = window > 0 ? stats.backpressure_seconds() / window : 0.0;
    m.set("decode_backpressure_fraction", held);
    if (held > 0.05) {
      out.info.emplace_back("saturated_pool", "decode (prefills waited for decode KV blocks " +
                                                  std::to_string(static_cast<int>(std::lround(held * 100))) +
                                                  "% of the window)");
    } else if (front_busy >= 0.95) {
      out.info.emplace_back("saturated_pool", "prefill (its instances stepped " +
                                                  std::to_string(static_cast<int>(std::lround(front_busy * 100))) +
                                                  "% of the window)");
    }
    (void)back_busy;
  }
  m.set("kv_transfer_bytes", transfer_->bytes_moved());
  m.set("live_requests_peak", static_cast<double>(pool.high_water()));
  // Time-average of requests in the system over the whole run [0, end] (Little's law: = arrivals / end x mean
  // e2e when the run starts and ends empty).
  m.set("requests_in_system_mean", in_system_.mean(sim.now()));
  m.set("run_s", now());
  out.info.emplace_back("mode", w.mode == ServingWorkload::Mode::colocated ? "colocated" : "disaggregated");
  out.info.emplace_back("model", model.name);
  out.info.emplace_back("network_model", flow_ ? "flow" : "analytical");
  observations(out);
  out.engine.events = sim.events_executed();
  out.engine.fingerprint = sim.fingerprint();
  return out;
}

}  // namespace dcsim::wl::serving

namespace dcsim::wl {

RunResult run_serving(const ServingWorkload& w, const ModelSpec& model, const hw::ClusterSpec& cluster,
                      bool flow_network, sim::TraceRecorder* trace, std::uint64_t seed, const RunOutputs& outputs) {
  serving::Engine e(w, model, cluster, flow_network, trace, seed, outputs);
  return e.run();
}

}  // namespace dcsim::wl
