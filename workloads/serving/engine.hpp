// The serving run's shared state: the request pool, the source, the instances and their routers, KV transfers,
// statistics and power. Instances call back into it when tokens appear, requests finish, steps start and end.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hw/collectives.hpp"
#include "hw/flow_network.hpp"
#include "hw/topology.hpp"
#include "sim/binned_series.hpp"
#include "sim/energy.hpp"
#include "sim/simulator.hpp"
#include "sim/stats.hpp"
#include "sim/trace.hpp"
#include "workloads/cluster_power.hpp"
#include "workloads/serving/instance.hpp"
#include "workloads/serving/kv_transfer.hpp"
#include "workloads/serving/request.hpp"
#include "workloads/serving/request_source.hpp"
#include "workloads/serving/router.hpp"
#include "workloads/serving/serving_metrics.hpp"

namespace dcsim::wl::serving {

class Engine {
 public:
  Engine(const ServingWorkload& w, const ModelSpec& model, const hw::ClusterSpec& cluster, bool flow_network,
         sim::TraceRecorder* trace, std::uint64_t seed, const RunOutputs& outputs = {});
  ~Engine();

  RunResult run();

  // --- called by instances ---
  double now() const { return sim::to_seconds(sim.now()); }
  void first_token(ReqId id, double t);
  void tokens(std::int64_t n, double t, int cls) {
    stats.tokens(n, t, cls);
    if (observing_) tokens_series_.add(sim.now(), static_cast<double>(n));
  }
  void tokens_by_class(const std::vector<std::int64_t>& n, double t) {
    stats.tokens_by_class(n, t);
    if (!observing_) return;
    double all = 0;
    for (const std::int64_t k : n) all += static_cast<double>(k);
    tokens_series_.add(sim.now(), all);
  }
  void finish(ReqId id, double t);
  void step_started(Instance& in, const IterationCost& c);
  void went_idle(Instance& in);
  void step_done(Instance& in, const IterationCost& c, double t0, double t1);
  void after_step(Instance& in);
  bool reserve_decode(ReqId id);
  void stream_kv(Instance& src, ReqId id, std::int64_t tokens, double start, double dt);
  void prefill_done(Instance& src, ReqId id);
  // The instance's load (sequences, free KV, queued prompt tokens) may have changed: its router re-ranks it.
  // Instances are numbered front pool first (build_pool), so an index is a position in front_, then in back_.
  void instance_changed(const Instance& in) {
    const auto i = static_cast<std::size_t>(in.index());
    if (i < front_.size()) {
      router_.changed(i);
    } else if (i - front_.size() < back_.size()) {
      decode_router_.changed(i - front_.size());
    }
  }

  const ServingWorkload& w;
  const ModelSpec& model;
  sim::Simulator sim;
  RequestPool pool;

 private:
  struct PowerGroup {
    std::unique_ptr<hw::Topology> topo;
    std::unique_ptr<ClusterPower> power;
    double sum_p = 0;  // sum over busy GPUs of their utilisation of the dynamic range
    int busy = 0;
  };
  struct InstancePower {
    int group = 0;
    double p = 0;
    bool busy = false;
  };

  void build_pool(const PoolSpec& spec, Role role, const hw::ClusterSpec& cluster, const hw::Collectives* coll,
                  int first_gpu, int group);
  TierLink tier_link(const hw::ClusterSpec& c, KvTier tier, int gpus) const;
  void arrival();
  void closed_loop_send(int user);
  void admit_new(const NewRequest& nr, int user);
  void handoff_complete(ReqId id);
  void set_power(Instance& in, double p, bool busy);
  void snapshot_start();
  void end_window();
  // Pictures and per-request output (observations.hpp, request_log.hpp, the trace).
  void observe(const Instance& in);
  void log_request(const Request& r, double finish, bool rejected);
  // The configured instance a slot belongs to (-1 stays -1), and how many there are so far.
  int replica_of(int index) const;
  int replicas() const;
  void observations(RunResult& out) const;

  const hw::ClusterSpec& cluster_;
  bool flow_;
  sim::TraceRecorder* trace_;
  std::unique_ptr<hw::Topology> topo_;
  std::unique_ptr<hw::Collectives> coll_;
  std::unique_ptr<hw::Topology> decode_topo_;
  std::unique_ptr<hw::Collectives> decode_coll_;
  std::unique_ptr<hw::FlowNetwork> net_;
  std::unique_ptr<KvTransfer> transfer_;
  sim::EnergyLedger ledger_{0};
  std::vector<PowerGroup> power_;
  std::vector<InstancePower> inst_power_;
  RequestSource source_;
  ServingStats stats;
  Router router_, decode_router_;
  std::vector<std::unique_ptr<Instance>> instances_;  // micro-batch slots: pp per configured instance
  std::vector<std::unique_ptr<PipelineStages>> pipelines_;  // one per pipeline-parallel instance
  std::vector<Instance*> front_, back_;
  bool heterogeneous_ = false;
  int gpus_ = 0;
  double peak_[2] = {0, 0};
  bool blocked_prefill_ = false;
  double blocked_since_ = 0;  // when prefills last began waiting for decode KV blocks
  PowerSnapshot start_energy_, end_energy_;
  bool have_end_energy_ = false;
  std::optional<NewRequest> pending_;
  sim::TimeWeightedAverage in_system_{0, 0.0};  // live requests over the whole run (Little's law)

  RequestLog* requests_ = nullptr;
  bool observing_ = false;
  std::vector<std::string> class_names_;  // w.class_names(), once
  std::uint64_t next_serial_ = 0;
  struct Levels {  // one instance's share of the series below
    double decoding = 0, kv_blocks = 0, waiting = 0;
  };
  std::vector<Levels> levels_;
  Levels level_sum_;
  double kv_blocks_total_ = 0;
  sim::BinnedSeries tokens_series_{sim::BinnedSeries::Kind::rate, sim::kMillisecond};
  sim::BinnedSeries decoding_series_{sim::BinnedSeries::Kind::level, sim::kMillisecond};
  sim::BinnedSeries kv_series_{sim::BinnedSeries::Kind::level, sim::kMillisecond};
  sim::BinnedSeries waiting_series_{sim::BinnedSeries::Kind::level, sim::kMillisecond};
  sim::BinnedSeries power_series_{sim::BinnedSeries::Kind::level, sim::kMillisecond};
};

}  // namespace dcsim::wl::serving
