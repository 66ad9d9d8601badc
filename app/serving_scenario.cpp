#include "app/serving_scenario.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "app/errors.hpp"
#include "app/limits.hpp"
#include "hw/topology.hpp"
#include "workloads/serving/instance_model.hpp"
#include "workloads/serving/trace_source.hpp"
#include "workloads/tensor_parallel.hpp"

namespace dcsim::app {

hw::Precision precision_of(const std::string& s) {
  if (s == "fp8") return hw::Precision::fp8;
  if (s == "fp4") return hw::Precision::fp4;
  return hw::Precision::bf16;
}

double element_bytes(const std::string& s) { return s == "fp8" ? 1.0 : s == "fp4" ? wl::kFp4StorageBytes : 2.0; }

using schema::Bounds;
using schema::Reader;
using schema::Value;

namespace {

void parse_expert_layout(const Reader& n, wl::PoolSpec& p, const wl::ModelSpec& model) {
  if (!model.is_moe()) {
    for (const char* key : {"expert_tp", "eplb", "attention_dp_balance"}) {
      if (n.has(key)) n.at(key).fail(model.name + " is dense: `" + key + "` needs a mixture-of-experts model");
    }
    return;
  }
  p.expert_tp = static_cast<int>(n.integer_if("expert_tp").value_or(0));
  if ((p.tp * p.ep) % p.expert_split() != 0) {
    n.at("expert_tp").fail_value("a divisor of tp x ep = " + std::to_string(p.tp * p.ep));
  }
  if (p.expert_ranks() > model.moe.experts) {
    n.at(n.has("expert_tp") ? "expert_tp" : "ep")
        .fail("tp x ep / expert_tp = " + std::to_string(p.expert_ranks()) + " expert-parallel ranks, more than " +
              model.name + "'s " + std::to_string(model.moe.experts) + " experts: raise expert_tp or lower ep");
  }
  p.eplb = n.boolean("eplb");
  if (auto b = n.section_if("attention_dp_balance")) {
    if (p.ep <= 1) {
      n.at("attention_dp_balance")
          .fail("balances attention data-parallel groups, which need ep > 1 (here ep = " + std::to_string(p.ep) +
                "): raise ep or drop attention_dp_balance");
    }
    p.adp_balance.enabled = true;
    p.adp_balance.timeout_iters = static_cast<int>(b->integer("timeout_iters"));
    p.adp_balance.batching_wait_iters = static_cast<int>(b->integer("batching_wait_iters"));
    b->finish();
  }
}

void parse_memory_policy(const Reader& n, wl::PoolSpec& p) {
  if (n.has("activation_reserve")) {
    n.at("activation_reserve")
        .fail("activation_reserve is replaced by the engine's memory policy: memory_utilization (vLLM's "
              "gpu_memory_utilization, default 0.9) or kv_free_memory_fraction (TensorRT-LLM's "
              "kv_cache_free_gpu_memory_fraction); activations and runtime buffers are now estimated");
  }
  if (n.has("memory_utilization") && n.has("kv_free_memory_fraction")) {
    n.at("kv_free_memory_fraction")
        .fail("give memory_utilization (vLLM's policy) or kv_free_memory_fraction (TensorRT-LLM's), not both");
  }
  p.memory_utilization = n.number("memory_utilization");
  p.kv_free_memory_fraction = n.number_if("kv_free_memory_fraction").value_or(0);
}

}  // namespace

void parse_engine_instance(const Reader& n, wl::PoolSpec& p, const wl::ModelSpec& model) {
  p.tp = static_cast<int>(n.integer("tp"));
  p.pp = static_cast<int>(n.integer("pp"));
  p.ep = static_cast<int>(n.integer("ep"));
  parse_expert_layout(n, p, model);
  const std::string prec = n.choice("precision");
  p.precision = precision_of(prec);
  const std::string compute = n.choice_if("compute_precision").value_or(prec);
  p.compute = precision_of(compute);
  if (element_bytes(compute) < element_bytes(prec)) {
    n.at("compute_precision").fail_value("a precision at least as wide as the weights' (" + prec + ")");
  }
  if (const auto attention = n.choice_if("attention_precision")) p.attention_precision = precision_of(*attention);
  p.kv_bytes_per_element = element_bytes(n.choice_if("kv_precision").value_or(prec == "fp4" ? "fp8" : prec));
  p.max_batch = static_cast<int>(n.integer("max_batch"));
  p.token_budget = n.integer("token_budget");
  // Attention data parallelism: each of the ep groups takes floor(limit / ep) (TensorRT-LLM's per-rank limits).
  if (p.ep > 1 && p.max_batch < p.ep) {
    n.at(n.has("max_batch") ? "max_batch" : "ep").fail_value("at least ep = " + std::to_string(p.ep) +
                                 ": each attention data-parallel group takes max_batch / ep sequences");
  }
  if (p.ep > 1 && p.token_budget < p.ep) {
    n.at(n.has("token_budget") ? "token_budget" : "ep").fail_value("at least ep = " + std::to_string(p.ep) +
                                    ": each attention data-parallel group takes token_budget / ep tokens a step");
  }
  p.block_size = static_cast<int>(n.integer("block_size"));
  const std::string graphs = n.choice("cuda_graphs");
  p.cuda_graphs = graphs == "all"    ? wl::PoolSpec::CudaGraphs::all
                  : graphs == "none" ? wl::PoolSpec::CudaGraphs::none
                                     : wl::PoolSpec::CudaGraphs::decode_only;
  p.cuda_graph_max_batch = static_cast<int>(n.integer("cuda_graph_max_batch"));
  if (p.cuda_graphs == wl::PoolSpec::CudaGraphs::none && n.has("cuda_graph_max_batch")) {
    n.at("cuda_graph_max_batch").fail("cuda_graphs is none: no step is captured, so drop cuda_graph_max_batch");
  }
  if (const auto sizes = n.value_if("cuda_graph_batch_sizes")) {
    if (p.cuda_graphs == wl::PoolSpec::CudaGraphs::none) {
      n.at("cuda_graph_batch_sizes").fail("cuda_graphs is none: no step is captured, so drop cuda_graph_batch_sizes");
    }
    if (n.has("cuda_graph_max_batch")) {
      n.at("cuda_graph_max_batch").fail("cuda_graph_batch_sizes names the captured sizes (its largest is the largest "
                                        "captured step): drop cuda_graph_max_batch");
    }
    for (const Value& v : sizes->items()) {
      const int size = static_cast<int>(v.integer());
      if (!p.cuda_graph_batch_sizes.empty() && size <= p.cuda_graph_batch_sizes.back()) {
        v.node().fail_value("sizes in ascending order, each once",
                            std::to_string(size) + " follows " + std::to_string(p.cuda_graph_batch_sizes.back()));
      }
      p.cuda_graph_batch_sizes.push_back(size);
    }
    p.cuda_graph_max_batch = p.cuda_graph_batch_sizes.back();
  }
  parse_memory_policy(n, p);
}

void check_instance_precision(const Reader& n, const wl::PoolSpec& p, const hw::GpuSpec& gpu) {
  if (gpu.flops.at(p.compute) <= 0) {
    n.at(n.has("compute_precision") ? "compute_precision" : "precision")
        .fail_value(std::string("a precision ") + gpu.name + " supports",
                    std::string(gpu.name) + " has no " + hw::to_string(p.compute) + " peak");
  }
}

namespace {

wl::LengthDist parse_length(const Value& v) {
  wl::LengthDist d;
  if (v.is_scalar()) {  // `input: 128`
    d.value = static_cast<double>(v.integer());
    return d;
  }
  const Reader n = v.section();
  const std::string kind = n.choice("dist");
  if (kind == "fixed") {
    d.kind = wl::LengthDist::Kind::fixed;
    d.value = static_cast<double>(n.integer("tokens"));
  } else if (kind == "uniform") {
    d.kind = wl::LengthDist::Kind::uniform;
    d.lo = static_cast<double>(n.integer("low"));
    d.hi = static_cast<double>(n.integer("high"));
    if (d.hi < d.lo) n.at("high").fail_value("at least low (" + std::to_string(static_cast<long long>(d.lo)) + ")");
  } else if (kind == "lognormal") {
    d.kind = wl::LengthDist::Kind::lognormal;
    d.median = n.number("median");
    d.sigma = n.number("sigma");
  } else {
    d.kind = wl::LengthDist::Kind::empirical;
    double last_v = 0, last_p = 0;
    for (const Value& pt : n.value("cdf").items()) {
      const auto xy = pt.items();
      const double x = xy[0].number(), prob = xy[1].number(Bounds{0, 1});
      if (x < last_v || prob < last_p) pt.node().fail_value("points with non-decreasing tokens and probabilities");
      d.cdf.emplace_back(x, prob);
      last_v = x;
      last_p = prob;
    }
    if (d.cdf.back().second != 1.0) n.at("cdf").fail_value("points ending at probability 1");
  }
  d.min = n.integer("min");
  d.max = n.integer("max", Bounds{static_cast<double>(d.min), 1e300});
  n.finish();
  return d;
}

// workload.classes: [{name, share, input, output}, ...]; shares sum to 1 (within kShareTolerance).
constexpr double kShareTolerance = 1e-6;

// With a trace the lengths come from its lines, so `input` and `output` given here would be silently unused.
void refuse_lengths(const Reader& n) {
  for (const char* key : {"input", "output"}) {
    if (n.has(key)) {
      n.at(key).fail(std::string("the trace (arrivals.process: trace) gives every request its input and output "
                                    "tokens; remove `") + key + "`");
    }
  }
}

std::vector<wl::RequestClass> parse_classes(const Value& list, bool from_trace) {
  std::vector<wl::RequestClass> out;
  double sum = 0;
  for (const Value& entry : list.items()) {
    const Reader item = entry.section();
    wl::RequestClass c;
    c.name = item.text("name");
    for (const wl::RequestClass& earlier : out) {
      if (earlier.name == c.name) item.at("name").fail("class '" + c.name + "' is declared twice; names must be unique");
    }
    c.share = item.number("share");
    if (from_trace) {
      refuse_lengths(item);
    } else {
      c.input = parse_length(item.value("input"));
      c.output = parse_length(item.value("output"));
    }
    item.finish();
    sum += c.share;
    out.push_back(std::move(c));
  }
  if (std::fabs(sum - 1.0) > kShareTolerance) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", sum);
    list.node().fail("the classes' shares sum to " + std::string(buf) + "; they must sum to 1 (within 1e-6)");
  }
  return out;
}

wl::ArrivalSpec parse_arrivals(const Reader& n, const std::vector<std::string>& classes) {
  wl::ArrivalSpec a;
  const std::string p = n.choice("process");
  if (p == "poisson" || p == "gamma") {
    a.kind = p == "poisson" ? wl::ArrivalSpec::Kind::poisson : wl::ArrivalSpec::Kind::gamma;
    a.rate = n.number("rate");
    if (p == "gamma") a.cv = n.number("cv");
  } else if (p == "closed-loop") {
    a.kind = wl::ArrivalSpec::Kind::closed_loop;
    a.users = static_cast<int>(n.integer("users"));
    a.think_time_s = n.quantity("think_time");
  } else if (p == "offline") {
    a.kind = wl::ArrivalSpec::Kind::offline;
  } else {
    a.kind = wl::ArrivalSpec::Kind::trace;
    const std::string file = n.text("file");
    std::filesystem::path path(file);
    if (path.is_relative()) {
      // Relative to the scenario file's folder.
      path = std::filesystem::path(n.node().location().file).parent_path() / path;
    }
    if (!std::filesystem::is_regular_file(path)) n.at("file").fail_value("an existing CSV or JSONL trace file");
    a.trace_file = path.string();
    // Read the whole trace once now, so that a bad line is a bad-input error before anything runs.
    try {
      wl::serving::TraceReader reader(a.trace_file, classes);
      while (reader.next()) {
      }
    } catch (const std::runtime_error& e) {
      throw BadInput(e.what());
    }
    a.trace_time_scale = n.number("time_scale");
  }
  a.requests = n.integer("requests");
  if (a.kind == wl::ArrivalSpec::Kind::offline && a.requests == 0) {
    n.at("requests").fail_value("the number of requests an offline run sends");
  }
  n.finish();
  return a;
}

// A system named by a pool (heterogeneous disaggregation), resolved like hardware.system without overrides.
hw::ClusterSpec resolve_system(const Reader& pool, const Catalog& catalog, const hw::ClusterSpec& base) {
  hw::ClusterSpec c;
  const std::string name = *pool.catalog_name_if("system", catalog.names("system"));
  c.system = load_system(catalog, name);
  c.systems = static_cast<int>(pool.integer("systems"));
  c.gpus_per_system = c.system.gpus;
  c.gpu = load_gpu(catalog, c.system.gpu);
  c.cpu = load_cpu(catalog, c.system.cpu);
  c.nic = load_nic(catalog, c.system.nic);
  c.scale_up_switch = load_switch(catalog, c.system.scale_up.switch_name);
  for (const std::string& s : c.system.storage) c.storage.push_back(load_storage(catalog, s));
  c.scale_out.switch_name = c.system.scale_out_switch;
  c.scale_out.optics = c.system.scale_out_optics;
  c.scale_out.nic_bandwidth = c.nic.bandwidth;
  c.scale_out_switch = load_switch(catalog, c.scale_out.switch_name);
  if (!c.scale_out.optics.empty()) c.scale_out_optics = load_optics(catalog, c.scale_out.optics);
  c.pue = base.pue;
  try {  // its fabric must be buildable too (at most three switch tiers), found here rather than mid-run
    (void)hw::build_topology(c);
  } catch (const std::invalid_argument& e) {
    (pool.has("systems") ? pool.at("systems") : pool.node()).fail(std::string("this pool's fabric cannot be built: ") +
                                                                   e.what());
  }
  return c;
}

wl::PoolSpec parse_pool(const Reader& n, const Catalog& catalog, const hw::ClusterSpec& base,
                        const wl::ModelSpec& model, bool allow_system) {
  wl::PoolSpec p;
  // `count: auto`: as many instances as the GPUs left for the pool hold (resolved in parse_serving), so a plan that
  // varies hardware.count brings the instances with it.
  const auto count = n.value_if("count");
  p.instances = count && count->is_word("auto") ? 0 : static_cast<int>(n.integer("count"));
  parse_engine_instance(n, p, model);
  if (allow_system && n.has("system")) p.cluster = resolve_system(n, catalog, base);
  check_instance_precision(n, p, p.cluster ? p.cluster->gpu : base.gpu);
  n.finish();
  return p;
}

wl::KvTier kv_tier_of(const std::string& s) {
  if (s == "cpu-memory") return wl::KvTier::cpu_memory;
  if (s == "local-nvme") return wl::KvTier::local_nvme;
  if (s == "network-flash") return wl::KvTier::network_flash;
  return wl::KvTier::none;
}

}  // namespace

wl::ServingWorkload parse_serving(const Reader& w, const hw::ClusterSpec& cluster,
                                  const std::optional<wl::ModelSpec>& model, const Catalog& catalog) {
  if (!model) w.fail("a serving workload needs a top-level `model:` (a catalog name or an inline model)");
  wl::ServingWorkload s;
  s.mode = w.choice("mode") == "disaggregated" ? wl::ServingWorkload::Mode::disaggregated
                                               : wl::ServingWorkload::Mode::colocated;
  // A trace gives every request its own lengths: input and output distributions would go unused.
  const Reader arrivals = w.section("arrivals");
  const bool from_trace = arrivals.choice("process") == "trace";
  if (w.has("classes")) {
    for (const char* key : {"input", "output"}) {
      if (w.has(key)) {
        w.at(key).fail(std::string("workload.classes gives each class its own input and output; remove `") + key +
                       "` (or remove `classes` for one class of requests)");
      }
    }
    s.classes = parse_classes(w.value("classes"), from_trace);
  } else if (from_trace) {
    refuse_lengths(w);
  } else {
    s.input = parse_length(w.value("input"));
    s.output = parse_length(w.value("output"));
  }
  s.arrivals = parse_arrivals(arrivals, s.class_names());
  if (s.mode == wl::ServingWorkload::Mode::colocated) {
    s.colocated = parse_pool(w.section("instance"), catalog, cluster, *model, false);
  } else {
    s.prefill = parse_pool(w.section("prefill"), catalog, cluster, *model, false);
    s.decode = parse_pool(w.section("decode"), catalog, cluster, *model, true);
  }
  const std::string routing = w.choice("routing");
  s.routing = routing == "round-robin"    ? wl::ServingWorkload::Routing::round_robin
              : routing == "kv-aware"     ? wl::ServingWorkload::Routing::kv_aware
                                          : wl::ServingWorkload::Routing::least_loaded;
  s.kv_admission = w.choice("kv_admission") == "guaranteed-no-evict"
                       ? wl::ServingWorkload::KvAdmission::guaranteed_no_evict
                       : wl::ServingWorkload::KvAdmission::on_demand;
  s.preemption = w.choice("preemption") == "swap" ? wl::ServingWorkload::Preemption::swap
                                                  : wl::ServingWorkload::Preemption::recompute;
  s.offload_tier = kv_tier_of(w.choice("offload_tier"));
  if (auto pc = w.section_if("prefix_cache")) {
    s.prefix_hit_rate = pc->number("hit_rate");
    s.prefix_tier = kv_tier_of(pc->choice("tier"));
    pc->finish();
  }
  if (auto sp = w.section_if("speculative")) {
    s.speculative.draft_tokens = static_cast<int>(sp->integer("draft_tokens"));
    for (const Value& a : sp->value("acceptance").items()) s.speculative.acceptance.push_back(a.number());
    if (static_cast<int>(s.speculative.acceptance.size()) < s.speculative.draft_tokens) {
      sp->at("acceptance").fail_value("one mean accepted length per draft length 1.." +
                                      std::to_string(s.speculative.draft_tokens));
    }
    const double a = s.speculative.acceptance[static_cast<std::size_t>(s.speculative.draft_tokens - 1)];
    if (a > s.speculative.draft_tokens + 1) {
      sp->at("acceptance").fail_value("lengths of at most draft_tokens + 1 (the verified token included)");
    }
    s.speculative.draft_layers = sp->number("draft_layers");
    sp->finish();
  }
  s.duration_s = w.quantity("duration");
  s.warmup_s = w.quantity("warmup");
  if (s.warmup_s >= s.duration_s && s.arrivals.kind != wl::ArrivalSpec::Kind::offline) {
    w.at("warmup").fail_value("less than the duration");
  }
  if (auto slo = w.section_if("slo")) {
    s.slo.ttft_s = slo->quantity_if("ttft").value_or(s.slo.ttft_s);
    s.slo.tpot_s = slo->quantity_if("tpot").value_or(s.slo.tpot_s);
    slo->finish();
  }
  if (auto cpu = w.section_if("cpu")) {
    s.cpu_iteration_s = cpu->quantity("iteration");
    s.cpu_per_sequence_s = cpu->quantity("per_sequence");
    s.cpu_per_kernel_s = cpu->quantity("per_kernel");
    s.cpu_overlap = cpu->boolean("overlap");
    cpu->finish();
  }
  s.kv_transfer_groups = static_cast<int>(w.integer("kv_transfer_groups"));
  // Absent: from the hardware. Given: a real all-in figure (0.1 to 1000 kW per GPU); 1e-300 made tokens per MW
  // astronomical.
  s.all_in_kw_per_gpu = w.number_if("all_in_kw_per_gpu").value_or(0);

  // Pools must fit the cluster and their weights their GPUs; say so against the pool's key.
  auto check_pool = [&](wl::PoolSpec& p, const char* key, int gpus_available) {
    const Reader node = w.section(key);
    const hw::ClusterSpec& pool_cluster = p.cluster ? *p.cluster : cluster;
    if (const auto problem = wl::tensor_parallel_problem(*model, p.tp, pool_cluster))
      node.at("tp").fail(problem->message);
    // In 64 bits: tp x pp x ep and the instance count can pass int (tp and pp to 1024, ep to 100,000).
    const std::int64_t per_instance = std::int64_t{p.tp} * p.pp * p.ep;
    if (p.instances == 0) {  // count: auto
      if (std::string(key) == "prefill") {
        node.at("count").fail_value("a number of prefill instances",
                                       "auto is for the colocated and decode pools: the GPUs left after the prefill pool");
      }
      if (per_instance > gpus_available) {
        node.at("count").fail("auto: the " + std::to_string(gpus_available) + " GPUs available hold no instance of " +
                                 std::to_string(per_instance) + " GPUs (tp x pp x ep); add hardware or lower tp/pp/ep");
      }
      p.instances = static_cast<int>(gpus_available / per_instance);
    }
    if (per_instance > gpus_available) {
      node.fail("an instance of tp x pp x ep = " + std::to_string(p.tp) + " x " + std::to_string(p.pp) + " x " +
                std::to_string(p.ep) + " = " + std::to_string(per_instance) + " GPUs; " +
                std::to_string(gpus_available) + " are available");
    }
    const std::int64_t need = std::int64_t{p.instances} * per_instance;
    if (need > gpus_available) {
      node.fail(std::to_string(p.instances) + " instances x " + std::to_string(per_instance) + " GPUs (tp x pp x ep) = " +
                std::to_string(need) + " GPUs; " + std::to_string(gpus_available) + " are available");
    }
    std::vector<int> gpus(static_cast<std::size_t>(p.gpus()));
    std::iota(gpus.begin(), gpus.end(), 0);
    try {
      wl::serving::InstanceModel probe(*model, p, p.cluster ? *p.cluster : cluster, nullptr, gpus, s);
    } catch (const std::invalid_argument& e) {
      node.fail(e.what());
    }
  };
  if (s.mode == wl::ServingWorkload::Mode::colocated) {
    check_pool(s.colocated, "instance", cluster.total_gpus());
  } else {
    check_pool(s.prefill, "prefill", cluster.total_gpus());
    const int left = s.decode.cluster ? s.decode.cluster->total_gpus()
                                      : cluster.total_gpus() - s.prefill.instances * s.prefill.gpus();
    check_pool(s.decode, "decode", left);
  }
  w.finish();
  return s;
}

}  // namespace dcsim::app
