#include "workloads/collective_workload.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "hw/collectives.hpp"
#include "hw/flow_network.hpp"
#include "hw/topology.hpp"
#include "sim/energy.hpp"
#include "sim/process.hpp"
#include "sim/simulator.hpp"
#include "workloads/cluster_power.hpp"

namespace dcsim::wl {
namespace {

hw::CollectiveOp op_of(const std::string& s) {
  for (auto op : {hw::CollectiveOp::all_reduce, hw::CollectiveOp::all_gather, hw::CollectiveOp::reduce_scatter,
                  hw::CollectiveOp::all_to_all, hw::CollectiveOp::broadcast, hw::CollectiveOp::send_recv}) {
    if (s == hw::to_string(op)) return op;
  }
  throw std::invalid_argument("unknown collective '" + s + "'");
}

hw::CollectiveAlgo algo_of(const std::string& s) {
  if (s == "auto") return hw::CollectiveAlgo::automatic;
  for (auto a : {hw::CollectiveAlgo::ring, hw::CollectiveAlgo::tree, hw::CollectiveAlgo::nvls, hw::CollectiveAlgo::nvls_tree,
                 hw::CollectiveAlgo::hierarchical}) {
    if (s == hw::to_string(a)) return a;
  }
  throw std::invalid_argument("unknown collective algorithm '" + s + "'");
}

// One message size: the mean over its iterations.
struct SizeResult {
  double bytes = 0;
  double time = 0;
  hw::CollectiveCost cost;  // the analytical figures (algorithm and protocol chosen, bytes per link kind)
};

// GPU activity while a collective runs: NCCL kernels move data through HBM (each byte sent is read, each byte
// received is written) and reduce with few SMs, so the power follows memory traffic, not tensor-core work.
hw::GpuActivity collective_activity(const hw::ClusterSpec& c, double busbw) {
  return hw::GpuActivity{0.0, std::min(1.0, 2.0 * busbw / c.gpu.hbm_bandwidth)};
}

struct Run {
  const CollectiveWorkload& w;
  const hw::ClusterSpec& cluster;
  NetworkFidelity fidelity;
  sim::TraceRecorder* trace;
  sim::Simulator& sim;
  hw::FlowNetwork* net;
  const hw::Collectives& coll;
  ClusterPower& power;
  std::vector<int> group;
  hw::CollectiveOp op;
  hw::CollectiveAlgo algo;
  std::vector<SizeResult> results;
};

sim::Process run_sizes(Run& r) {
  for (double bytes : r.w.bytes) {
    SizeResult s;
    s.bytes = bytes;
    s.cost = r.coll.estimate(r.op, r.group, bytes, r.algo);
    // The analytical cost chose the algorithm; the flow model executes that same choice.
    const hw::CollectiveAlgo chosen = r.algo == hw::CollectiveAlgo::automatic ? s.cost.algorithm : r.algo;
    const sim::Time start = r.sim.now();
    r.power.set_gpu_activity(collective_activity(r.cluster, s.cost.busbw), static_cast<int>(r.group.size()),
                             r.sim.now());
    const double up_bytes = s.cost.bytes_by_kind[static_cast<int>(hw::LinkKind::scale_up)];
    r.power.set_scale_up_traffic(s.cost.time > 0 ? up_bytes / s.cost.time : 0.0, r.sim.now());
    for (int i = 0; i < r.w.iterations; ++i) {
      const sim::Time t0 = r.sim.now();
      if (r.fidelity == NetworkFidelity::flow) {
        co_await r.coll.run(*r.net, r.op, r.group, bytes, chosen);
      } else {
        co_await r.sim.delay(sim::from_seconds(s.cost.time));
      }
      if (r.trace) {
        r.trace->complete(std::string(hw::to_string(r.op)) + " " + std::to_string(static_cast<long long>(bytes)) + " B",
                          hw::to_string(chosen), 0, 0, t0, r.sim.now() - t0);
      }
    }
    s.time = sim::to_seconds(r.sim.now() - start) / r.w.iterations;
    r.results.push_back(s);
  }
  r.power.set_gpu_activity({}, 0, r.sim.now());
  r.power.set_scale_up_traffic(0, r.sim.now());
}

void report_size(Metrics& m, const std::string& prefix, const SizeResult& s, hw::CollectiveOp op, int n) {
  const double algbw = s.time > 0 ? s.bytes / s.time : 0.0;
  m.set(prefix + "time_s", s.time);
  m.set(prefix + "algbw_gbs", algbw / 1e9);
  m.set(prefix + "busbw_gbs", algbw * hw::bus_factor(op, n) / 1e9);
}

bool splits_over_ranks(const std::string& op) {
  return op == "all_gather" || op == "reduce_scatter" || op == "all_to_all";
}

}  // namespace

double nccl_aligned_bytes(const std::string& op, double requested, int ranks, int element_bytes) {
  const double count = std::floor(requested / element_bytes);
  if (!splits_over_ranks(op) || ranks < 1) return count * element_bytes;
  return std::floor(count / ranks) * ranks * element_bytes;
}

std::int64_t nccl_count(const std::string& op, double aligned, int ranks, int element_bytes) {
  const double count = std::floor(aligned / element_bytes);
  return static_cast<std::int64_t>(splits_over_ranks(op) && ranks > 0 ? std::floor(count / ranks) : count);
}

std::optional<std::string> collective_plan_error(const CollectiveWorkload& w, const hw::ClusterSpec& cluster) {
  const hw::CollectiveAlgo algo = algo_of(w.algorithm);
  if (algo == hw::CollectiveAlgo::automatic || w.bytes.empty()) return std::nullopt;  // auto always has ring
  const hw::Topology topo = hw::build_topology(cluster);
  const hw::Collectives coll(topo, cluster);
  std::vector<int> group(static_cast<std::size_t>(w.gpus));
  std::iota(group.begin(), group.end(), 0);
  try {
    // Feasibility does not depend on the size: the smallest is the cheapest to cost.
    coll.estimate(op_of(w.op), group, w.bytes.front(), algo);
  } catch (const std::invalid_argument& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

RunResult run_collective(const CollectiveWorkload& w, const hw::ClusterSpec& cluster, NetworkFidelity fidelity,
                         sim::TraceRecorder* trace) {
  if (w.bytes.empty()) throw std::invalid_argument("collective workload without message sizes");
  const hw::Topology topo = hw::build_topology(cluster);
  const hw::Collectives coll(topo, cluster);
  sim::Simulator sim;
  sim::EnergyLedger ledger(0);
  ClusterPower power(ledger, cluster, topo.shape(), 0);
  hw::FlowNetwork net(sim, topo);

  Run r{w, cluster, fidelity, trace, sim, &net, coll, power, {}, op_of(w.op), algo_of(w.algorithm), {}};
  r.group.resize(static_cast<std::size_t>(w.gpus));
  std::iota(r.group.begin(), r.group.end(), 0);
  if (trace) {
    trace->process_name(0, "collective");
    trace->thread_name(0, 0, std::string(hw::to_string(r.op)) + " on " + std::to_string(w.gpus) + " GPUs");
  }
  sim.spawn(run_sizes(r));
  sim.run();

  RunResult out;
  Metrics& m = out.metrics;
  const int n = w.gpus;
  // Headline figures at the largest size (nccl-tests' large-message regime), every size under by_size.<bytes>.
  report_size(m, "", r.results.back(), r.op, n);
  m.set("gpus", n);
  for (const SizeResult& s : r.results) {
    report_size(m, "by_size." + std::to_string(static_cast<long long>(s.bytes)) + ".", s, r.op, n);
  }
  m.set("tokens", 0);
  m.set("tokens_per_s", 0);
  m.set("mfu", 0);
  m.set("hfu", 0);
  power.report(m, 0, sim.now(), 0);
  out.info.emplace_back("op", w.op);
  for (const SizeResult& s : r.results) {
    out.info.emplace_back("algorithm." + std::to_string(static_cast<long long>(s.bytes)),
                          std::string(hw::to_string(s.cost.algorithm)) + "/" + hw::to_string(s.cost.protocol));
  }
  out.info.emplace_back("network_model", fidelity == NetworkFidelity::flow ? "flow" : "analytical");
  SizeCurve busbw{"bus bandwidth", "GB/s", {}}, time{"time", "s", {}};
  for (const SizeResult& s : r.results) {
    const double algbw = s.time > 0 ? s.bytes / s.time : 0.0;
    busbw.points.emplace_back(s.bytes, algbw * hw::bus_factor(r.op, n) / 1e9);
    time.points.emplace_back(s.bytes, s.time);
  }
  out.observed.size_curves = {std::move(busbw), std::move(time)};
  out.engine.events = sim.events_executed();
  out.engine.fingerprint = sim.fingerprint();
  return out;
}

}  // namespace dcsim::wl
