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

void parse_expert_layout(const ConfigNode& n, wl::PoolSpec& p, const wl::ModelSpec& model) {
  if (!model.is_moe()) {
    for (const char* key : {"expert_tp", "eplb"}) {
      if (n.has(key)) n.child(key).fail(model.name + " is dense: `" + key + "` needs a mixture-of-experts model");
    }
    return;
  }
  p.expert_tp = static_cast<int>(n.get_int_or("expert_tp", 0, 1, 100'000));
  if ((p.tp * p.ep) % p.expert_split() != 0) {
    n.child("expert_tp").fail_value("a divisor of tp x ep = " + std::to_string(p.tp * p.ep));
  }
  if (p.expert_ranks() > model.moe.experts) {
    n.child(n.has("expert_tp") ? "expert_tp" : "ep")
        .fail("tp x ep / expert_tp = " + std::to_string(p.expert_ranks()) + " expert-parallel ranks, more than " +
              model.name + "'s " + std::to_string(model.moe.experts) + " experts: raise expert_tp or lower ep");
  }
  p.eplb = n.get_bool_or("eplb", false);
}

void parse_memory_policy(const ConfigNode& n, wl::PoolSpec& p) {
  if (n.has("activation_reserve")) {
    n.child("activation_reserve")
        .fail("activation_reserve is replaced by the engine's memory policy: memory_utilization (vLLM's "
              "gpu_memory_utilization, default 0.9) or kv_free_memory_fraction (TensorRT-LLM's "
              "kv_cache_free_gpu_memory_fraction); activations and runtime buffers are now estimated");
  }
  if (n.has("memory_utilization") && n.has("kv_free_memory_fraction")) {
    n.child("kv_free_memory_fraction")
        .fail("give memory_utilization (vLLM's policy) or kv_free_memory_fraction (TensorRT-LLM's), not both");
  }
  p.memory_utilization = n.get_number_or("memory_utilization", p.memory_utilization, 0.05, 1);
  p.kv_free_memory_fraction = n.get_number_or("kv_free_memory_fraction", 0, 0.01, 1);
}

namespace {

wl::LengthDist parse_length(const ConfigNode& n) {
  wl::LengthDist d;
  if (n.is_scalar()) {  // `input: 128`
    d.value = static_cast<double>(n.as_int(1, 10'000'000));
    return d;
  }
  const std::string kind = n.get_enum("dist", {"fixed", "uniform", "lognormal", "empirical"});
  if (kind == "fixed") {
    d.kind = wl::LengthDist::Kind::fixed;
    d.value = static_cast<double>(n.get_int("tokens", 1, 10'000'000));
  } else if (kind == "uniform") {
    d.kind = wl::LengthDist::Kind::uniform;
    d.lo = static_cast<double>(n.get_int("low", 1, 10'000'000));
    d.hi = static_cast<double>(n.get_int("high", 1, 10'000'000));
    if (d.hi < d.lo) n.child("high").fail_value("at least low (" + std::to_string(static_cast<long long>(d.lo)) + ")");
  } else if (kind == "lognormal") {
    d.kind = wl::LengthDist::Kind::lognormal;
    d.median = n.get_number("median", 1, 1e7);
    d.sigma = n.get_number("sigma", 0, 5);
  } else {
    d.kind = wl::LengthDist::Kind::empirical;
    double last_v = 0, last_p = 0;
    for (const ConfigNode& pt : n.get_list("cdf")) {
      const auto xy = pt.items();
      if (xy.size() != 2) pt.fail_value("a [tokens, cumulative probability] pair");
      const double v = xy[0].as_number(0, 1e7), p = xy[1].as_number(0, 1);
      if (v < last_v || p < last_p) pt.fail_value("points with non-decreasing tokens and probabilities");
      d.cdf.emplace_back(v, p);
      last_v = v;
      last_p = p;
    }
    if (d.cdf.empty() || d.cdf.back().second != 1.0) n.child("cdf").fail_value("points ending at probability 1");
  }
  d.min = n.get_int_or("min", 1, 1, 10'000'000);
  d.max = n.get_int_or("max", 10'000'000, d.min, 10'000'000);
  n.finish();
  return d;
}

// A class name becomes part of metric keys (tokens_by_class.NAME, by_class.NAME.ttft_s.p99): letters, digits,
// '_' and '-' only.
bool valid_class_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// workload.classes: [{name, share, input, output}, ...]; shares sum to 1 (within kShareTolerance).
constexpr double kShareTolerance = 1e-6;

// With a trace the lengths come from its lines, so `input` and `output` given here would be silently unused.
void refuse_lengths(const ConfigNode& n) {
  for (const char* key : {"input", "output"}) {
    if (n.has(key)) {
      n.child(key).fail(std::string("the trace (arrivals.process: trace) gives every request its input and output "
                                    "tokens; remove `") + key + "`");
    }
  }
}

std::vector<wl::RequestClass> parse_classes(const ConfigNode& list, bool from_trace) {
  if (!list.is_sequence()) {
    list.fail_value("a list of request classes, e.g. [{name: chat, share: 0.7, input: ..., output: ...}, ...]");
  }
  std::vector<wl::RequestClass> out;
  double sum = 0;
  for (const ConfigNode& item : list.items()) {
    if (!item.is_map()) item.fail_value("a request class {name, share, input, output}");
    wl::RequestClass c;
    c.name = item.get_string("name");
    if (!valid_class_name(c.name)) {
      item.child("name").fail_value("a class name of letters, digits, '_' and '-' (it becomes part of metric keys)");
    }
    for (const wl::RequestClass& earlier : out) {
      if (earlier.name == c.name) item.child("name").fail("class '" + c.name + "' is declared twice; names must be unique");
    }
    c.share = item.get_number("share", 0, 1);
    if (from_trace) {
      refuse_lengths(item);
    } else {
      c.input = parse_length(item.child("input"));
      c.output = parse_length(item.child("output"));
    }
    item.finish();
    sum += c.share;
    out.push_back(std::move(c));
  }
  if (out.empty()) list.fail_value("at least one request class");
  if (std::fabs(sum - 1.0) > kShareTolerance) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", sum);
    list.fail("the classes' shares sum to " + std::string(buf) + "; they must sum to 1 (within 1e-6)");
  }
  return out;
}

wl::ArrivalSpec parse_arrivals(const ConfigNode& n, const std::vector<std::string>& classes) {
  wl::ArrivalSpec a;
  const std::string p = n.get_enum("process", {"poisson", "gamma", "closed-loop", "offline", "trace"});
  if (p == "poisson" || p == "gamma") {
    a.kind = p == "poisson" ? wl::ArrivalSpec::Kind::poisson : wl::ArrivalSpec::Kind::gamma;
    a.rate = n.get_number("rate", 1e-6, 1e9);
    if (p == "gamma") a.cv = n.get_number("cv", 0.01, 100);
  } else if (p == "closed-loop") {
    a.kind = wl::ArrivalSpec::Kind::closed_loop;
    a.users = static_cast<int>(n.get_int("users", 1, 10'000'000));
    a.think_time_s = n.get_quantity_or("think_time", Dimension::time, 0, 0, kMaxScenarioTime);
  } else if (p == "offline") {
    a.kind = wl::ArrivalSpec::Kind::offline;
  } else {
    a.kind = wl::ArrivalSpec::Kind::trace;
    const std::string file = n.get_string("file");
    std::filesystem::path path(file);
    if (path.is_relative()) {
      // Relative to the scenario file's folder.
      path = std::filesystem::path(n.location().file).parent_path() / path;
    }
    if (!std::filesystem::is_regular_file(path)) n.child("file").fail_value("an existing CSV or JSONL trace file");
    a.trace_file = path.string();
    // Read the whole trace once now, so that a bad line is a bad-input error before anything runs.
    try {
      wl::serving::TraceReader reader(a.trace_file, classes);
      while (reader.next()) {
      }
    } catch (const std::runtime_error& e) {
      throw BadInput(e.what());
    }
    a.trace_time_scale = n.get_number_or("time_scale", 1.0, 1e-6, 1e6);
  }
  a.requests = n.get_int_or("requests", 0, 0, 1'000'000'000);
  if (a.kind == wl::ArrivalSpec::Kind::offline && a.requests == 0) {
    n.child("requests").fail_value("the number of requests an offline run sends");
  }
  n.finish();
  return a;
}

// A system named by a pool (heterogeneous disaggregation), resolved like hardware.system without overrides.
hw::ClusterSpec resolve_system(const ConfigNode& pool, const Catalog& catalog, const hw::ClusterSpec& base) {
  hw::ClusterSpec c;
  const std::string name = pool.get_enum("system", catalog.names("system"));
  c.system = load_system(catalog, name);
  c.systems = static_cast<int>(pool.get_int_or("systems", 1, 1, 100'000));
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
    (pool.has("systems") ? pool.child("systems") : pool).fail(std::string("this pool's fabric cannot be built: ") + e.what());
  }
  return c;
}

wl::PoolSpec parse_pool(const ConfigNode& n, const Catalog& catalog, const hw::ClusterSpec& base,
                        const wl::ModelSpec& model, bool allow_system) {
  wl::PoolSpec p;
  // `count: auto`: as many instances as the GPUs left for the pool hold (resolved in parse_serving), so a plan that
  // varies hardware.count brings the instances with it.
  const bool auto_count = n.has("count") && n.child("count").is_scalar() && n.child("count").as_string() == "auto";
  p.instances = auto_count ? 0 : static_cast<int>(n.get_int_or("count", 1, 1, 1'000'000));
  p.tp = static_cast<int>(n.get_int_or("tp", 1, 1, 1024));
  p.pp = static_cast<int>(n.get_int_or("pp", 1, 1, 1024));
  p.ep = static_cast<int>(n.get_int_or("ep", 1, 1, 100'000));
  parse_expert_layout(n, p, model);
  const std::string prec = n.get_enum_or("precision", kPrecisions, "bf16");
  p.precision = precision_of(prec);
  const std::string compute = n.get_enum_or("compute_precision", kPrecisions, prec);
  p.compute = precision_of(compute);
  if (element_bytes(compute) < element_bytes(prec)) {
    n.child("compute_precision").fail_value("a precision at least as wide as the weights' (" + prec + ")");
  }
  p.kv_bytes_per_element = element_bytes(n.get_enum_or("kv_precision", kPrecisions, prec == "fp4" ? "fp8" : prec));
  p.max_batch = static_cast<int>(n.get_int_or("max_batch", p.max_batch, 1, 1'000'000));  // defaults: PoolSpec
  p.token_budget = n.get_int_or("token_budget", p.token_budget, 1, 10'000'000);
  p.block_size = static_cast<int>(n.get_int_or("block_size", p.block_size, 1, 4096));
  parse_memory_policy(n, p);
  if (allow_system && n.has("system")) p.cluster = resolve_system(n, catalog, base);
  const hw::GpuSpec& gpu = p.cluster ? p.cluster->gpu : base.gpu;
  if (gpu.flops.at(p.compute) <= 0) {
    n.child(n.has("compute_precision") ? "compute_precision" : "precision")
        .fail_value(std::string("a precision ") + gpu.name + " supports",
                    std::string(gpu.name) + " has no " + hw::to_string(p.compute) + " peak");
  }
  n.finish();
  return p;
}

wl::KvTier tier_of(const std::string& s) {
  if (s == "cpu-memory") return wl::KvTier::cpu_memory;
  if (s == "local-nvme") return wl::KvTier::local_nvme;
  if (s == "network-flash") return wl::KvTier::network_flash;
  return wl::KvTier::none;
}

}  // namespace

wl::ServingWorkload parse_serving(const ConfigNode& w, const hw::ClusterSpec& cluster,
                                  const std::optional<wl::ModelSpec>& model, const Catalog& catalog) {
  if (!model) w.fail("a serving workload needs a top-level `model:` (a catalog name or an inline model)");
  wl::ServingWorkload s;
  s.mode = w.get_enum_or("mode", {"colocated", "disaggregated"}, "colocated") == "disaggregated"
               ? wl::ServingWorkload::Mode::disaggregated
               : wl::ServingWorkload::Mode::colocated;
  // A trace gives every request its own lengths: input and output distributions would go unused.
  const bool from_trace = w.has("arrivals") && w.child("arrivals").is_map() && w.child("arrivals").has("process") &&
                          w.child("arrivals").get_string("process") == "trace";
  if (w.has("classes")) {
    for (const char* key : {"input", "output"}) {
      if (w.has(key)) {
        w.child(key).fail(std::string("workload.classes gives each class its own input and output; remove `") + key +
                          "` (or remove `classes` for one class of requests)");
      }
    }
    s.classes = parse_classes(w.child("classes"), from_trace);
  } else if (from_trace) {
    refuse_lengths(w);
  } else {
    s.input = parse_length(w.child("input"));
    s.output = parse_length(w.child("output"));
  }
  s.arrivals = parse_arrivals(w.child("arrivals"), s.class_names());
  if (s.mode == wl::ServingWorkload::Mode::colocated) {
    s.colocated = parse_pool(w.child("instance"), catalog, cluster, *model, false);
  } else {
    s.prefill = parse_pool(w.child("prefill"), catalog, cluster, *model, false);
    s.decode = parse_pool(w.child("decode"), catalog, cluster, *model, true);
  }
  const std::string routing = w.get_enum_or("routing", {"round-robin", "least-loaded", "kv-aware"}, "least-loaded");
  s.routing = routing == "round-robin"    ? wl::ServingWorkload::Routing::round_robin
              : routing == "kv-aware"     ? wl::ServingWorkload::Routing::kv_aware
                                          : wl::ServingWorkload::Routing::least_loaded;
  s.kv_admission = w.get_enum_or("kv_admission", {"on-demand", "guaranteed-no-evict"}, "on-demand") ==
                           "guaranteed-no-evict"
                       ? wl::ServingWorkload::KvAdmission::guaranteed_no_evict
                       : wl::ServingWorkload::KvAdmission::on_demand;
  s.preemption = w.get_enum_or("preemption", {"recompute", "swap"}, "recompute") == "swap"
                     ? wl::ServingWorkload::Preemption::swap
                     : wl::ServingWorkload::Preemption::recompute;
  s.offload_tier = tier_of(w.get_enum_or("offload_tier", {"cpu-memory", "local-nvme", "network-flash"}, "cpu-memory"));
  if (auto pc = w.optional_child("prefix_cache")) {
    s.prefix_hit_rate = pc->get_number("hit_rate", 0, 1);
    s.prefix_tier = tier_of(pc->get_enum_or("tier", {"hbm", "cpu-memory", "local-nvme", "network-flash"}, "hbm"));
    pc->finish();
  }
  if (auto sp = w.optional_child("speculative")) {
    s.speculative.draft_tokens = static_cast<int>(sp->get_int("draft_tokens", 1, 16));
    for (const ConfigNode& a : sp->get_list("acceptance")) s.speculative.acceptance.push_back(a.as_number(1, 17));
    if (static_cast<int>(s.speculative.acceptance.size()) < s.speculative.draft_tokens) {
      sp->child("acceptance").fail_value("one mean accepted length per draft length 1.." +
                                         std::to_string(s.speculative.draft_tokens));
    }
    const double a = s.speculative.acceptance[static_cast<std::size_t>(s.speculative.draft_tokens - 1)];
    if (a > s.speculative.draft_tokens + 1) {
      sp->child("acceptance").fail_value("lengths of at most draft_tokens + 1 (the verified token included)");
    }
    s.speculative.draft_layers = sp->get_number_or("draft_layers", 1, 0, 1000);
    sp->finish();
  }
  s.duration_s = w.get_quantity_or("duration", Dimension::time, 60, 1e-6, kMaxScenarioTime);
  s.warmup_s = w.get_quantity_or("warmup", Dimension::time, 0, 0, kMaxScenarioTime);
  if (s.warmup_s >= s.duration_s && s.arrivals.kind != wl::ArrivalSpec::Kind::offline) {
    w.child("warmup").fail_value("less than the duration");
  }
  if (auto slo = w.optional_child("slo")) {
    s.slo.ttft_s = slo->get_quantity_or("ttft", Dimension::time, s.slo.ttft_s);
    s.slo.tpot_s = slo->get_quantity_or("tpot", Dimension::time, s.slo.tpot_s);
    slo->finish();
  }
  if (auto cpu = w.optional_child("cpu")) {
    s.cpu_iteration_s = cpu->get_quantity_or("iteration", Dimension::time, s.cpu_iteration_s, 0, kMaxCpuStepTime);
    s.cpu_per_sequence_s =
        cpu->get_quantity_or("per_sequence", Dimension::time, s.cpu_per_sequence_s, 0, kMaxCpuStepTime);
    s.cpu_overlap = cpu->get_bool_or("overlap", s.cpu_overlap);
    cpu->finish();
  }
  s.kv_transfer_groups = static_cast<int>(w.get_int_or("kv_transfer_groups", s.kv_transfer_groups, 1, 1024));
  // Absent: from the hardware. Given: a real all-in figure (0.1 to 1000 kW per GPU); 1e-300 made tokens per MW
  // astronomical.
  s.all_in_kw_per_gpu = w.get_number_or("all_in_kw_per_gpu", 0, 0.1, 1000);

  // Pools must fit the cluster and their weights their GPUs; say so against the pool's key.
  auto check_pool = [&](wl::PoolSpec& p, const char* key, int gpus_available) {
    const ConfigNode node = w.child(key);
    const hw::ClusterSpec& pool_cluster = p.cluster ? *p.cluster : cluster;
    if (const auto problem = wl::tensor_parallel_problem(*model, p.tp, pool_cluster))
      node.child("tp").fail(problem->message);
    // In 64 bits: tp x pp x ep and the instance count can pass int (tp and pp to 1024, ep to 100,000).
    const std::int64_t per_instance = std::int64_t{p.tp} * p.pp * p.ep;
    if (p.instances == 0) {  // count: auto
      if (std::string(key) == "prefill") {
        node.child("count").fail_value("a number of prefill instances",
                                       "auto is for the colocated and decode pools: the GPUs left after the prefill pool");
      }
      if (per_instance > gpus_available) {
        node.child("count").fail("auto: the " + std::to_string(gpus_available) + " GPUs available hold no instance of " +
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
