#include "app/catalog.hpp"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <fstream>
#include <system_error>
#include <unistd.h>

#include "app/errors.hpp"

namespace dcsim::app {
namespace {

namespace fs = std::filesystem;


fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

bool is_configs_root(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p / "hw" / "systems", ec);
}

// Every catalog file names its kind and its own name, so a file copied into the wrong folder is caught.
void check_header(const ConfigNode& n, std::string_view kind) {
  (void)n.get_enum("kind", {std::string(kind)});
  const fs::path file = n.location().file;
  const std::string stem = file.stem().string();
  const ConfigNode name = n.child("name");
  if (name.as_string() != stem) name.fail_value("'" + stem + "' (catalog names are file stems)");
}

// A hardware enum spelled as its hw::to_string name: each spelling is written once (hw/spec.cpp) and read back here.
template <class E, std::size_t N>
E get_hw_enum(const ConfigNode& n, std::string_view key, const E (&all)[N]) {
  Choices names;
  for (E e : all) names.emplace_back(hw::to_string(e));
  const std::string chosen = n.get_enum(key, names);
  return *std::find_if(std::begin(all), std::end(all), [&](E e) { return chosen == hw::to_string(e); });
}

// idle and max of a power range; the caller finishes the node.
hw::PowerRange read_idle_max(const ConfigNode& n) {
  hw::PowerRange p;
  p.idle = n.get_quantity("idle", Dimension::power);
  p.max = n.get_quantity("max", Dimension::power, 1e-3);
  if (p.idle > p.max) n.child("idle").fail_value("an idle power no larger than max (" + format_quantity(p.max, Dimension::power) + ")");
  return p;
}

hw::PowerRange parse_power_range(const ConfigNode& n) {
  const hw::PowerRange p = read_idle_max(n);
  n.finish();
  return p;
}

// power: {idle, max, limit (optional: a cap; omitted = max, uncapped), dvfs_exponent}
hw::GpuPower parse_gpu_power(const ConfigNode& n) {
  const hw::PowerRange range = read_idle_max(n);
  hw::GpuPower p;
  p.idle = range.idle;
  p.max = range.max;
  p.limit = n.get_quantity_or("limit", Dimension::power, p.max, 1e-3);
  if (p.limit > p.max) {
    n.child("limit").fail_value("a power limit no larger than max (" + format_quantity(p.max, Dimension::power) +
                                "): a cap lowers the board power, the design maximum bounds it");
  }
  if (p.limit <= p.idle) {
    n.child("limit").fail_value("a power limit above the idle power (" + format_quantity(p.idle, Dimension::power) +
                                "): no clock can run below it");
  }
  p.dvfs_exponent = n.get_number("dvfs_exponent", 0.5, 4);
  n.finish();
  return p;
}


hw::PeakFlops parse_flops(const ConfigNode& n, Dimension dim, double max) {
  hw::PeakFlops f;
  f.fp64 = n.get_quantity_or("fp64", dim, 0, 0, max);
  f.tf32 = n.get_quantity_or("tf32", dim, 0, 0, max);
  f.bf16 = n.get_quantity_or("bf16", dim, 0, 0, max);
  f.fp8 = n.get_quantity_or("fp8", dim, 0, 0, max);
  f.fp4 = n.get_quantity_or("fp4", dim, 0, 0, max);
  n.finish();
  return f;
}

hw::PeakFlops parse_fractions(const ConfigNode& n) {
  hw::PeakFlops f;
  f.fp64 = n.get_number_or("fp64", 0, 0, 1);
  f.tf32 = n.get_number_or("tf32", 0, 0, 1);
  f.bf16 = n.get_number_or("bf16", 0, 0, 1);
  f.fp8 = n.get_number_or("fp8", 0, 0, 1);
  f.fp4 = n.get_number_or("fp4", 0, 0, 1);
  n.finish();
  return f;
}

// A list of {X, Y} points, X strictly increasing: `read_x` reads X from a point, `format_x` prints it back.
template <class ReadX, class FormatX>
std::vector<hw::EfficiencyPoint> parse_points(const ConfigNode& parent, std::string_view key, const std::string& x_key,
                                              const std::string& y_key, double y_min, ReadX read_x, FormatX format_x) {
  std::vector<hw::EfficiencyPoint> curve;
  for (const ConfigNode& item : parent.get_list(key)) {
    hw::EfficiencyPoint p;
    p.size = read_x(item);
    p.fraction = item.get_number(y_key, y_min, 1);
    item.finish();
    if (!curve.empty() && p.size <= curve.back().size) {
      item.child(x_key).fail_value(x_key + " in increasing order (the previous point is at " +
                                   format_x(curve.back().size) + ")");
    }
    curve.push_back(p);
  }
  if (curve.empty()) parent.child(key).fail_value("a list of at least one {" + x_key + ", " + y_key + "} point");
  return curve;
}

// An efficiency curve by size: [{size, fraction}, ...].
std::vector<hw::EfficiencyPoint> parse_curve(const ConfigNode& parent, std::string_view key, Dimension dim) {
  return parse_points(
      parent, key, "size", "fraction", 0, [&](const ConfigNode& item) { return item.get_quantity("size", dim, 1e-30); },
      [&](double x) { return format_quantity(x, dim); });
}

// PSU efficiency by load fraction: [{load, efficiency}, ...].
std::vector<hw::EfficiencyPoint> parse_psu_curve(const ConfigNode& parent) {
  return parse_points(
      parent, "psu_efficiency", "load", "efficiency", 0.5, [](const ConfigNode& item) { return item.get_number("load", 0, 1); },
      [](double x) { return std::to_string(x); });
}

hw::SystemOverheads parse_overheads(const ConfigNode& n) {
  hw::SystemOverheads o;
  const ConfigNode fans = n.child("fans");
  o.fan_max = fans.get_quantity("max", Dimension::power);
  o.fan_min_speed = fans.get_number("min_speed", 0, 1);
  fans.finish();
  const ConfigNode psu = n.child("power_supplies");
  o.psu_count = static_cast<int>(psu.get_int("count", 1, 100000));
  o.psu_rating = psu.get_quantity("rating", Dimension::power, 1);
  o.psu_efficiency = parse_psu_curve(psu);
  psu.finish();
  o.board = n.get_quantity("board", Dimension::power);
  n.finish();
  return o;
}

// Every constant is required: these are calibration figures, each with its derivation beside it in the YAML.
// `scale_up` is true for a system's NVLink block, which also states the NVLS group-size terms.
hw::CollectiveTuning parse_collective_tuning(const ConfigNode& n, bool scale_up) {
  hw::CollectiveTuning t;
  t.base_latency = n.get_quantity("base_latency", Dimension::time);
  t.ll_step_overhead = n.get_quantity("ll_step_overhead", Dimension::time);
  t.ll128_step_overhead = n.get_quantity("ll128_step_overhead", Dimension::time);
  t.simple_step_overhead = n.get_quantity("simple_step_overhead", Dimension::time);
  t.ll_bandwidth_fraction = n.get_number("ll_bandwidth_fraction", 1e-3, 1);
  t.ll128_bandwidth_fraction = n.get_number("ll128_bandwidth_fraction", 1e-3, 1);
  t.ring_efficiency = n.get_number("ring_efficiency", 1e-3, 1);
  t.nvls_efficiency = n.get_number("nvls_efficiency", 1e-3, 1);
  t.nvls_latency = n.get_quantity("nvls_latency", Dimension::time);
  if (scale_up) {
    t.nvls_latency_per_gpu = n.get_quantity("nvls_latency_per_gpu", Dimension::time);
    t.nvls_reduction_rate = n.get_quantity("nvls_reduction_rate", Dimension::data_rate);
  }
  t.chunk_bytes = n.get_quantity("chunk_bytes", Dimension::data, 1);
  t.chunk_overhead = n.get_quantity("chunk_overhead", Dimension::time);
  n.finish();
  return t;
}

template <class Spec, class Parse>
Spec load_entry(const Catalog& c, std::string_view kind, std::string_view name, Parse parse) {
  return load_catalog_entry<Spec>(c, kind, name, parse);
}

}  // namespace

Catalog Catalog::open_default() {
  if (const char* env = std::getenv("DCSIM_CONFIGS"); env && *env) {
    if (!is_configs_root(env)) {
      throw BadInput(std::string("DCSIM_CONFIGS=") + env + " is not a dcsim configs folder (no hw/systems/ in it)");
    }
    return Catalog(env);
  }
  const fs::path exe = executable_dir();
  for (const fs::path& candidate : {exe / "configs", exe.parent_path() / "configs",
                                    exe.parent_path().parent_path() / "configs", fs::path(DCSIM_SOURCE_DIR) / "configs"}) {
    if (is_configs_root(candidate)) return Catalog(candidate);
  }
  throw BadInput("cannot find the configs/ catalog: set DCSIM_CONFIGS to the repository's configs folder");
}

Catalog::Catalog(std::filesystem::path configs_root) : root_(std::move(configs_root)) {}

std::string Catalog::folder_of(std::string_view kind) {
  if (kind == "switch") return "switches";
  if (kind == "optics" || kind == "storage" || kind == "reliability") return std::string(kind);
  return std::string(kind) + "s";
}

std::vector<std::string> Catalog::listable_kinds() {
  std::vector<std::string> out;
  for (const std::string& kind : showable_kinds()) out.push_back(folder_of(kind));
  out.emplace_back("reliability");
  out.emplace_back("scenarios");
  return out;
}

std::vector<std::string> Catalog::showable_kinds() {
  return {"system", "gpu", "cpu", "nic", "switch", "optics", "storage", "model"};
}

std::vector<std::string> Catalog::names(std::string_view kind) const {
  return parsed<std::vector<std::string>>("listing", folder_of(kind), [&] {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root_ / "hw" / folder_of(kind), ec)) {
      if (entry.path().extension() == ".yaml") out.push_back(entry.path().stem().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  });
}

bool Catalog::contains(std::string_view kind, std::string_view name) const {
  std::error_code ec;
  return fs::is_regular_file(path_of(kind, name), ec);
}

std::filesystem::path Catalog::path_of(std::string_view kind, std::string_view name) const {
  return root_ / "hw" / folder_of(kind) / (std::string(name) + ".yaml");
}

std::vector<std::filesystem::path> Catalog::scenario_files() const {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_ / "scenarios", ec)) {
    if (entry.path().extension() == ".yaml") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

ConfigDocument Catalog::document(std::string_view kind, std::string_view name) const {
  if (name.empty() || name.find('/') != std::string_view::npos || !contains(kind, name)) {
    throw BadInput("no " + std::string(kind) + " named '" + std::string(name) + "' in " +
                   (root_ / "hw" / folder_of(kind)).string());
  }
  return ConfigDocument::load_file(path_of(kind, name));
}

hw::GpuSpec parse_gpu(const ConfigNode& n) {
  check_header(n, "gpu");
  hw::GpuSpec g;
  g.name = n.get_string("name");
  g.flops = parse_flops(n.child("flops"), Dimension::compute_rate, 1e18);
  if (g.flops.bf16 <= 0) n.child("flops").fail("a GPU needs a bf16 peak: every workload's MFU is defined against it");
  g.hbm_capacity = n.get_quantity("hbm_capacity", Dimension::data, 1);
  g.hbm_usable = n.get_quantity("hbm_usable", Dimension::data, 1);
  if (g.hbm_usable > 1.1 * g.hbm_capacity) {
    n.child("hbm_usable").fail_value("at most about hbm_capacity (the vendor's figure, " +
                                     std::to_string(g.hbm_capacity / 1e9) + " GB)");
  }
  g.hbm_bandwidth = n.get_quantity("hbm_bandwidth", Dimension::data_rate, 1);
  g.l2_capacity = n.get_quantity("l2_capacity", Dimension::data);
  g.nvlink_bandwidth = n.get_quantity("nvlink_bandwidth", Dimension::data_rate);
  g.power = parse_gpu_power(n.child("power"));
  g.gemm_peak_fraction = parse_fractions(n.child("gemm_peak_fraction"));
  for (hw::Precision p : hw::kAllPrecisions) {
    if (g.flops.at(p) > 0 && g.gemm_peak_fraction.at(p) <= 0) {
      n.child("gemm_peak_fraction").fail(std::string("no achievable fraction for ") + hw::to_string(p) +
                                         ", which this GPU has a peak for");
    }
  }
  g.gemm_size_curve = parse_curve(n, "gemm_size_curve", Dimension::compute);
  if (g.flops.fp4 > 0) g.fp4_gemm_size_curve = parse_curve(n, "fp4_gemm_size_curve", Dimension::compute);
  g.sm_count = static_cast<int>(n.get_int_or("sm_count", 0, 0, 100000));
  g.roofline_exponent = n.get_number("roofline_exponent", 1, 100);
  g.dequant_rate = n.get_number_or("dequant_rate", 0, 1e9, 1e16);
  g.sustained_clock_fraction = n.get_number_or("sustained_clock_fraction", 1.0, 0.1, 1.0);
  g.sustained_clock_spread = n.get_number_or("sustained_clock_spread", 0.0, 0.0, 0.3);
  g.memory_curve = parse_curve(n, "memory_curve", Dimension::data);
  g.decode_attention_curve = parse_curve(n, "decode_attention_curve", Dimension::data);
  if (n.has("training_attention")) {
    const ConfigNode a = n.child("training_attention");
    g.training_attention_kernel = a.get_string("kernel");
    const auto by_seq = [&](std::string_view key) {
      return parse_points(
          a, key, "seq_len", "fraction", 0.001, [](const ConfigNode& item) { return item.get_number("seq_len", 1, 1e8); },
          [](double x) { return std::to_string(static_cast<long long>(x)); });
    };
    g.training_attention_forward = by_seq("forward");
    g.training_attention_backward = by_seq("backward");
    a.finish();
  }
  g.memory_power_share = n.get_number("memory_power_share", 0, 1);
  g.compute_capability = static_cast<int>(std::lround(n.get_number("compute_capability", 7.0, 20.0) * 10));
  g.assumed = n.get_bool_or("assumed", false);
  n.finish();
  return g;
}

hw::CpuSpec parse_cpu(const ConfigNode& n) {
  check_header(n, "cpu");
  hw::CpuSpec c;
  c.name = n.get_string("name");
  c.architecture = get_hw_enum(n, "architecture", hw::kAllCpuArchitectures);
  c.cores = static_cast<int>(n.get_int("cores", 1, 100000));
  c.single_thread_speed = n.get_number("single_thread_speed", 0.01, 100);
  c.memory_capacity = n.get_quantity("memory_capacity", Dimension::data, 1);
  c.memory_bandwidth = n.get_quantity("memory_bandwidth", Dimension::data_rate, 1);
  c.gpu_link = get_hw_enum(n, "gpu_link", hw::kAllGpuLinkKinds);
  c.gpu_link_bandwidth = n.get_quantity("gpu_link_bandwidth", Dimension::data_rate, 1);
  c.gpu_link_latency = n.get_quantity("gpu_link_latency", Dimension::time);
  c.gpu_link_energy_per_bit = n.get_quantity("gpu_link_energy_per_bit", Dimension::energy_per_bit);
  c.power = parse_power_range(n.child("power"));
  c.assumed = n.get_bool_or("assumed", false);
  n.finish();
  return c;
}

// aws-ofi-nccl's region tuner, as the NIC entry transcribes it: per collective, regions in the plugin's order.
hw::NcclRegionTuner parse_region_tuner(const ConfigNode& n) {
  hw::NcclRegionTuner t;
  t.ranks_per_node = static_cast<int>(n.get_int("ranks_per_node", 1, 1024));
  const std::pair<const char*, hw::CollectiveOp> ops[] = {{"all_reduce", hw::CollectiveOp::all_reduce},
                                                          {"all_gather", hw::CollectiveOp::all_gather},
                                                          {"reduce_scatter", hw::CollectiveOp::reduce_scatter}};
  for (const auto& [key, op] : ops) {
    if (!n.has(key)) continue;
    for (const ConfigNode& item : n.get_list(key)) {
      hw::NcclRegion r;
      r.op = op;
      const std::string algo = item.get_enum("algorithm", {"ring", "tree", "nvls_tree"});
      r.algorithm = algo == "ring" ? hw::CollectiveAlgo::ring
                    : algo == "tree" ? hw::CollectiveAlgo::tree
                                     : hw::CollectiveAlgo::nvls_tree;
      const std::string proto = item.get_enum("protocol", {"LL", "LL128", "Simple"});
      r.protocol = proto == "LL" ? hw::Protocol::ll : proto == "LL128" ? hw::Protocol::ll128 : hw::Protocol::simple;
      for (const ConfigNode& v : item.get_list("vertices")) {
        const auto xy = v.items();
        if (xy.size() != 2) v.fail_value("a [bytes, ranks] pair");
        r.vertices.push_back({xy[0].as_number(0), xy[1].as_number(0)});
      }
      if (r.vertices.size() < 3) item.child("vertices").fail_value("at least 3 vertices (a polygon)");
      item.finish();
      t.regions.push_back(std::move(r));
    }
  }
  n.finish();
  return t;
}

hw::NicSpec parse_nic(const ConfigNode& n) {
  check_header(n, "nic");
  hw::NicSpec s;
  s.name = n.get_string("name");
  s.transport = get_hw_enum(n, "transport", hw::kAllNicTransports);
  s.bandwidth = n.get_quantity("bandwidth", Dimension::data_rate, 1);
  s.latency = n.get_quantity("latency", Dimension::time);
  s.nccl_plugin_latency = n.get_quantity("nccl_plugin_latency", Dimension::time);
  s.nvls_tree_chunk = n.get_quantity("nvls_tree_chunk", Dimension::data, 1);
  s.nvls_tree_max_chunk = n.get_quantity("nvls_tree_max_chunk", Dimension::data);
  s.p2p_chunk = n.get_quantity("p2p_chunk", Dimension::data, 1);
  s.message_overhead = n.get_quantity("message_overhead", Dimension::time);
  if (auto rt = n.optional_child("nccl_region_tuner")) s.nccl_region_tuner = parse_region_tuner(*rt);
  s.power = n.get_quantity("power", Dimension::power);
  s.collectives = parse_collective_tuning(n.child("collectives"), false);
  n.finish();
  return s;
}

hw::SwitchSpec parse_switch(const ConfigNode& n) {
  check_header(n, "switch");
  hw::SwitchSpec s;
  s.name = n.get_string("name");
  s.kind = get_hw_enum(n, "switch_kind", hw::kAllSwitchKinds);
  s.radix = static_cast<int>(n.get_int("radix", 2, 100000));
  s.port_bandwidth = n.get_quantity("port_bandwidth", Dimension::data_rate, 1);
  s.latency = n.get_quantity("latency", Dimension::time);
  s.power = n.get_quantity("power", Dimension::power);
  s.power_per_port = n.get_quantity("power_per_port", Dimension::power);
  if (s.power_per_port * s.radix > s.power) {
    n.child("power_per_port").fail_value("at most power / radix (" + format_quantity(s.power / s.radix, Dimension::power) +
                                         "): the ports cannot draw more than the whole switch");
  }
  s.in_network_reduction = n.get_bool("in_network_reduction");
  s.medium = get_hw_enum(n, "medium", hw::kAllMedia);
  s.assumed = n.get_bool_or("assumed", false);
  n.finish();
  return s;
}

hw::OpticsSpec parse_optics(const ConfigNode& n) {
  check_header(n, "optics");
  hw::OpticsSpec o;
  o.name = n.get_string("name");
  o.medium = get_hw_enum(n, "medium", hw::kAllMedia);
  o.bandwidth = n.get_quantity("bandwidth", Dimension::data_rate, 1);
  o.power_per_port = n.get_quantity("power_per_port", Dimension::power);
  o.energy_per_bit = n.get_quantity("energy_per_bit", Dimension::energy_per_bit);
  n.get_bool_or("assumed", false);
  n.finish();
  return o;
}

hw::StorageSpec parse_storage(const ConfigNode& n) {
  check_header(n, "storage");
  hw::StorageSpec s;
  s.name = n.get_string("name");
  s.tier = get_hw_enum(n, "tier", hw::kAllStorageTiers);
  s.capacity = n.get_quantity("capacity", Dimension::data, 1);
  s.bandwidth = n.get_quantity("bandwidth", Dimension::data_rate, 1);
  s.latency = n.get_quantity("latency", Dimension::time);
  s.power = n.get_quantity("power", Dimension::power);
  s.idle_power = n.get_quantity("idle_power", Dimension::power);
  if (s.idle_power > s.power) {
    n.child("idle_power").fail_value("no more than the active power (" + format_quantity(s.power, Dimension::power) + ")");
  }
  n.get_bool_or("assumed", false);
  n.finish();
  return s;
}

hw::SystemSpec parse_system(const ConfigNode& n) {
  check_header(n, "system");
  hw::SystemSpec s;
  s.name = n.get_string("name");
  s.description = n.get_string_or("description", "");
  s.gpu = n.get_string("gpu");
  s.gpus = static_cast<int>(n.get_int("gpus", 1, 1 << 20));
  s.cpu = n.get_string("cpu");
  s.cpus = static_cast<int>(n.get_int("cpus", 0, 1 << 20));
  s.nic = n.get_string("nic");
  s.nics = static_cast<int>(n.get_int("nics", 0, 1 << 20));
  s.gpus_per_node = static_cast<int>(n.get_int_or("gpus_per_node", s.gpus, 1, s.gpus));
  if (s.gpus % s.gpus_per_node != 0) {
    n.child("gpus_per_node").fail_value("a divisor of gpus (" + std::to_string(s.gpus) + ")");
  }
  const ConfigNode up = n.child("scale_up");
  s.scale_up.switch_name = up.get_string("switch_name");
  s.scale_up.switches = static_cast<int>(up.get_int("switches", 0, 1 << 20));
  s.scale_up.domain_gpus = static_cast<int>(up.get_int("domain_gpus", 1, 1 << 20));
  s.scale_up.bandwidth_per_gpu = up.get_quantity("bandwidth_per_gpu", Dimension::data_rate, 1);
  s.scale_up.latency = up.get_quantity("latency", Dimension::time);
  s.scale_up.medium = get_hw_enum(up, "medium", hw::kAllMedia);
  s.scale_up.energy_per_bit = up.get_quantity("energy_per_bit", Dimension::energy_per_bit);
  s.scale_up.collectives = parse_collective_tuning(up.child("collectives"), true);
  up.finish();
  if (s.gpus % s.scale_up.domain_gpus != 0) {
    up.child("domain_gpus").fail_value("a divisor of the system's " + std::to_string(s.gpus) + " GPUs");
  }
  for (const ConfigNode& item : n.get_list("storage")) s.storage.push_back(item.as_string());
  s.scale_out_switch = n.get_string("scale_out_switch");
  s.scale_out_optics = n.get_string_or("scale_out_optics", "");
  s.overheads = parse_overheads(n.child("overheads"));
  s.power_budget = n.get_quantity("power_budget", Dimension::power, 1);
  s.pue = n.get_number("pue", 1.0, 3.0);
  s.tco_per_gpu_hour = n.get_number_or("tco_per_gpu_hour", 0, 0, 10000);
  s.capex_per_gpu = n.get_number_or("capex_per_gpu", 0, 0, 1e8);
  s.assumed = n.get_bool_or("assumed", false);
  n.finish();
  return s;
}

hw::GpuSpec load_gpu(const Catalog& c, std::string_view name) { return load_entry<hw::GpuSpec>(c, "gpu", name, parse_gpu); }
hw::CpuSpec load_cpu(const Catalog& c, std::string_view name) { return load_entry<hw::CpuSpec>(c, "cpu", name, parse_cpu); }
hw::NicSpec load_nic(const Catalog& c, std::string_view name) { return load_entry<hw::NicSpec>(c, "nic", name, parse_nic); }
hw::SwitchSpec load_switch(const Catalog& c, std::string_view name) {
  return load_entry<hw::SwitchSpec>(c, "switch", name, parse_switch);
}
hw::OpticsSpec load_optics(const Catalog& c, std::string_view name) {
  return load_entry<hw::OpticsSpec>(c, "optics", name, parse_optics);
}
// A reliability profile: causes of interruption with their rates, as `per_million_hours` of their part (a
// published count over the source's part-hours; each file shows its arithmetic).
hw::ReliabilitySpec parse_reliability(const ConfigNode& n) {
  check_header(n, "reliability");
  hw::ReliabilitySpec r;
  r.name = n.get_string("name");
  for (const ConfigNode& item : n.get_list("causes")) {
    hw::FailureCause cause;
    cause.name = item.get_string("name");
    for (const hw::FailureCause& earlier : r.causes) {
      if (earlier.name == cause.name) item.child("name").fail("cause '" + cause.name + "' is listed twice");
    }
    cause.category = item.get_string("category");
    cause.part = get_hw_enum(item, "per", hw::kAllFailureParts);
    cause.rate_per_hour = item.get_number("per_million_hours", 0, 1e9) * 1e-6;
    cause.planned = item.get_bool_or("planned", false);
    item.finish();
    r.causes.push_back(cause);
  }
  if (r.causes.empty()) n.child("causes").fail_value("at least one cause of interruption");
  n.get_string_or("source", "");
  n.get_bool_or("assumed", false);
  n.finish();
  return r;
}

hw::ReliabilitySpec load_reliability(const Catalog& c, std::string_view name) {
  return load_entry<hw::ReliabilitySpec>(c, "reliability", name, parse_reliability);
}

hw::StorageSpec load_storage(const Catalog& c, std::string_view name) {
  return load_entry<hw::StorageSpec>(c, "storage", name, parse_storage);
}
hw::SystemSpec load_system(const Catalog& c, std::string_view name) {
  return load_entry<hw::SystemSpec>(c, "system", name, parse_system);
}

}  // namespace dcsim::app
