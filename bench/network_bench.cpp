// Scale of the hardware layer: building a 100,000-GPU cluster's topology, and a collective executed flow by flow
// across many nodes. Run: build/bench/dcsim_bench --benchmark_filter='Topology|Collective'
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>

#include "app/catalog.hpp"
#include "app/scenario.hpp"
#include "hw/topology.hpp"
#include "workloads/collective_workload.hpp"

namespace {

using namespace dcsim;

hw::ClusterSpec h100_cluster(int nodes, const char* scale_out_switch = "quantum-2") {
  const app::Catalog catalog(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs");
  const auto file = std::filesystem::temp_directory_path() / "dcsim_network_bench.yaml";
  {
    std::ofstream out(file);
    out << "name: b\nhardware: {system: h100-hgx, count: " << nodes
        << ", scale_out: {switch: " << scale_out_switch << "}}\nworkload: {kind: collective, op: all_reduce, bytes: 1 GiB}\n";
  }
  auto s = app::load_scenario({file, {}, {}}, catalog);
  std::filesystem::remove(file);
  return s.cluster;
}

// 12,500 HGX H100 nodes = 100,000 GPUs on a three-tier rail-optimized fat-tree of 144-port Quantum-X800
// switches (64-port Quantum-2 tops out at 64^3/4 = 65,536 endpoints in three tiers).
void BM_BuildTopology100kGpus(benchmark::State& state) {
  const hw::ClusterSpec c = h100_cluster(12'500, "quantum-x800");
  for (auto _ : state) {
    hw::Topology t = hw::build_topology(c);
    benchmark::DoNotOptimize(t.links().size());
  }
  state.counters["gpus"] = c.total_gpus();
}
BENCHMARK(BM_BuildTopology100kGpus)->Unit(benchmark::kMillisecond);

// A ring all-reduce of 1 GiB over N nodes, every ring step a set of flows sharing links max-min fairly.
void collective_flow(benchmark::State& state, const char* algorithm) {
  const hw::ClusterSpec c = h100_cluster(static_cast<int>(state.range(0)));
  wl::CollectiveWorkload w;
  w.bytes = {1073741824.0};
  w.algorithm = algorithm;
  w.iterations = 1;
  w.gpus = c.total_gpus();
  std::uint64_t events = 0;
  for (auto _ : state) {
    const wl::RunResult r = wl::run_collective(w, c, wl::NetworkFidelity::flow, nullptr);
    events = r.engine.events;
  }
  state.counters["events"] = static_cast<double>(events);
  state.SetItemsProcessed(static_cast<std::int64_t>(events) * state.iterations());
}
void BM_CollectiveFlowRing(benchmark::State& state) { collective_flow(state, "ring"); }
BENCHMARK(BM_CollectiveFlowRing)->Arg(16)->Arg(128)->Unit(benchmark::kMillisecond);

// NCCL's tree all-reduce of 1 GiB: per channel a chain in every node and the double binary tree across nodes,
// reduce then broadcast (two phases of flows).
void BM_CollectiveFlowTree(benchmark::State& state) { collective_flow(state, "tree"); }
BENCHMARK(BM_CollectiveFlowTree)->Arg(16)->Arg(128)->Unit(benchmark::kMillisecond);

}  // namespace
