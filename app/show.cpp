#include "app/show.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <variant>

#include <nlohmann/json.hpp>

#include "app/config/node.hpp"
#include "app/errors.hpp"
#include "app/model_catalog.hpp"
#include "app/result_io.hpp"
#include "hw/power.hpp"

namespace dcsim::app {
namespace {

// One line of a `dcsim show` table: a key with an SI number (shown with its unit), a plain number or a text.
struct Field {
  std::string key;
  std::variant<double, std::string> value;
  Dimension dim = Dimension::dimensionless;
};

class Fields {
 public:
  void quantity(std::string key, double v, Dimension d) { rows_.push_back({std::move(key), v, d}); }
  void number(std::string key, double v) { rows_.push_back({std::move(key), v, Dimension::dimensionless}); }
  void text(std::string key, std::string v) { rows_.push_back({std::move(key), std::move(v), Dimension::dimensionless}); }
  void flag(std::string key, bool v) { text(std::move(key), v ? "true" : "false"); }
  const std::vector<Field>& rows() const { return rows_; }

 private:
  std::vector<Field> rows_;
};

void add_flops(Fields& f, const std::string& prefix, const hw::PeakFlops& p, bool as_fraction) {
  for (hw::Precision pr : hw::kAllPrecisions) {
    if (p.at(pr) <= 0) continue;
    const std::string key = prefix + hw::to_string(pr);
    if (as_fraction) {
      f.number(key, p.at(pr));
    } else {
      f.quantity(key, p.at(pr), Dimension::compute_rate);
    }
  }
}

Fields gpu_fields(const hw::GpuSpec& g) {
  Fields f;
  f.text("name", g.name);
  add_flops(f, "flops.", g.flops, false);
  f.quantity("hbm_capacity", g.hbm_capacity, Dimension::data);
  f.quantity("hbm_usable", g.hbm_usable, Dimension::data);
  f.quantity("hbm_bandwidth", g.hbm_bandwidth, Dimension::data_rate);
  f.quantity("l2_capacity", g.l2_capacity, Dimension::data);
  f.quantity("nvlink_bandwidth", g.nvlink_bandwidth, Dimension::data_rate);
  f.quantity("power.idle", g.power.idle, Dimension::power);
  f.quantity("power.max", g.power.max, Dimension::power);
  f.quantity("power.limit", g.power.limit, Dimension::power);
  f.number("power.dvfs_exponent", g.power.dvfs_exponent);
  add_flops(f, "gemm_peak_fraction.", g.gemm_peak_fraction, true);
  f.number("sm_count", g.sm_count);
  f.number("roofline_exponent", g.roofline_exponent);
  if (g.dequant_rate > 0) f.number("dequant_rate", g.dequant_rate);
  f.number("sustained_clock_fraction", g.sustained_clock_fraction);
  f.number("sustained_clock_spread", g.sustained_clock_spread);
  f.number("memory_power_share", g.memory_power_share);
  f.number("compute_capability", g.compute_capability / 10.0);
  f.flag("assumed", g.assumed);
  return f;
}

Fields cpu_fields(const hw::CpuSpec& c) {
  Fields f;
  f.text("name", c.name);
  f.number("cores", c.cores);
  f.number("single_thread_speed", c.single_thread_speed);
  f.quantity("memory_capacity", c.memory_capacity, Dimension::data);
  f.quantity("memory_bandwidth", c.memory_bandwidth, Dimension::data_rate);
  f.text("architecture", hw::to_string(c.architecture));
  f.text("gpu_link", hw::to_string(c.gpu_link));
  f.quantity("gpu_link_bandwidth", c.gpu_link_bandwidth, Dimension::data_rate);
  f.quantity("gpu_link_latency", c.gpu_link_latency, Dimension::time);
  f.quantity("gpu_link_energy_per_bit", c.gpu_link_energy_per_bit, Dimension::energy_per_bit);
  f.quantity("power.idle", c.power.idle, Dimension::power);
  f.quantity("power.max", c.power.max, Dimension::power);
  f.flag("assumed", c.assumed);
  return f;
}

Fields nic_fields(const hw::NicSpec& n) {
  Fields f;
  f.text("name", n.name);
  f.text("transport", hw::to_string(n.transport));
  f.quantity("bandwidth", n.bandwidth, Dimension::data_rate);
  f.quantity("latency", n.latency, Dimension::time);
  f.quantity("nccl_plugin_latency", n.nccl_plugin_latency, Dimension::time);
  f.quantity("nvls_tree_chunk", n.nvls_tree_chunk, Dimension::data);
  f.quantity("nvls_tree_max_chunk", n.nvls_tree_max_chunk, Dimension::data);
  f.quantity("p2p_chunk", n.p2p_chunk, Dimension::data);
  f.quantity("message_overhead", n.message_overhead, Dimension::time);
  f.quantity("power", n.power, Dimension::power);
  return f;
}

Fields switch_fields(const hw::SwitchSpec& s) {
  Fields f;
  f.text("name", s.name);
  f.text("switch_kind", hw::to_string(s.kind));
  f.number("radix", s.radix);
  f.quantity("port_bandwidth", s.port_bandwidth, Dimension::data_rate);
  f.quantity("latency", s.latency, Dimension::time);
  f.quantity("power", s.power, Dimension::power);
  f.quantity("power_per_port", s.power_per_port, Dimension::power);
  f.flag("in_network_reduction", s.in_network_reduction);
  f.text("medium", hw::to_string(s.medium));
  f.flag("assumed", s.assumed);
  return f;
}

Fields optics_fields(const hw::OpticsSpec& o) {
  Fields f;
  f.text("name", o.name);
  f.text("medium", hw::to_string(o.medium));
  f.quantity("bandwidth", o.bandwidth, Dimension::data_rate);
  f.quantity("power_per_port", o.power_per_port, Dimension::power);
  f.quantity("energy_per_bit", o.energy_per_bit, Dimension::energy_per_bit);
  return f;
}

Fields storage_fields(const hw::StorageSpec& s) {
  Fields f;
  f.text("name", s.name);
  f.text("tier", hw::to_string(s.tier));
  f.quantity("capacity", s.capacity, Dimension::data);
  f.quantity("bandwidth", s.bandwidth, Dimension::data_rate);
  f.quantity("latency", s.latency, Dimension::time);
  f.quantity("power", s.power, Dimension::power);
  f.quantity("idle_power", s.idle_power, Dimension::power);
  return f;
}

// A system with what it is made of resolved: the totals a capacity planner reads first, then the parts.
Fields system_fields(const Catalog& c, const hw::SystemSpec& s) {
  const hw::GpuSpec gpu = load_gpu(c, s.gpu);
  const hw::CpuSpec cpu = load_cpu(c, s.cpu);
  const hw::NicSpec nic = load_nic(c, s.nic);
  Fields f;
  f.text("name", s.name);
  f.text("description", s.description);
  f.text("gpu", s.gpu);
  f.number("gpus", s.gpus);
  f.text("cpu", s.cpu);
  f.number("cpus", s.cpus);
  f.text("nic", s.nic);
  f.number("nics", s.nics);
  f.number("gpus_per_node", s.gpus_per_node);
  f.text("scale_up.switch_name", s.scale_up.switch_name);
  f.number("scale_up.switches", s.scale_up.switches);
  f.number("scale_up.domain_gpus", s.scale_up.domain_gpus);
  f.quantity("scale_up.bandwidth_per_gpu", s.scale_up.bandwidth_per_gpu, Dimension::data_rate);
  f.quantity("scale_up.latency", s.scale_up.latency, Dimension::time);
  f.text("scale_up.medium", hw::to_string(s.scale_up.medium));
  f.quantity("scale_up.energy_per_bit", s.scale_up.energy_per_bit, Dimension::energy_per_bit);
  f.text("scale_out_switch", s.scale_out_switch);
  f.text("scale_out_optics", s.scale_out_optics.empty() ? "(copper)" : s.scale_out_optics);
  std::string storage;
  for (const auto& st : s.storage) storage += (storage.empty() ? "" : ", ") + st;
  f.text("storage", storage);
  const hw::SystemOverheads& o = s.overheads;
  f.quantity("overheads.fans.max", o.fan_max, Dimension::power);
  f.number("overheads.fans.min_speed", o.fan_min_speed);
  f.number("overheads.power_supplies.count", o.psu_count);
  f.quantity("overheads.power_supplies.rating", o.psu_rating, Dimension::power);
  f.quantity("overheads.board", o.board, Dimension::power);
  f.quantity("power_budget", s.power_budget, Dimension::power);
  f.number("pue", s.pue);
  if (s.tco_per_gpu_hour > 0) f.number("tco_per_gpu_hour", s.tco_per_gpu_hour);
  if (s.capex_per_gpu > 0) f.number("capex_per_gpu", s.capex_per_gpu);
  for (hw::Precision p : hw::kAllPrecisions) {
    if (gpu.flops.at(p) > 0) {
      f.quantity(std::string("total.flops.") + hw::to_string(p), gpu.flops.at(p) * s.gpus, Dimension::compute_rate);
    }
  }
  f.quantity("total.hbm_capacity", gpu.hbm_capacity * s.gpus, Dimension::data);
  f.quantity("total.hbm_bandwidth", gpu.hbm_bandwidth * s.gpus, Dimension::data_rate);
  f.quantity("total.scale_up_bandwidth", s.scale_up.bandwidth_per_gpu * s.gpus, Dimension::data_rate);
  f.quantity("total.scale_out_bandwidth", nic.bandwidth * s.nics, Dimension::data_rate);
  f.quantity("total.cpu_memory", cpu.memory_capacity * s.cpus, Dimension::data);
  std::vector<hw::StorageSpec> storage_specs;
  for (const auto& st : s.storage) storage_specs.push_back(load_storage(c, st));
  const hw::SwitchSpec up_switch = load_switch(c, s.scale_up.switch_name);
  const double parts_max = hw::system_parts_max_w(s, gpu, cpu, nic, up_switch, storage_specs);
  f.quantity("total.max_power_parts", parts_max, Dimension::power);
  f.quantity("total.peak_power", hw::system_peak_w(o, parts_max), Dimension::power);
  f.flag("assumed", s.assumed);
  return f;
}

std::string render_table(const std::string& title, const Fields& f) {
  std::ostringstream out;
  out << title << '\n';
  std::size_t width = 0;
  for (const auto& r : f.rows()) width = std::max(width, r.key.size());
  for (const auto& r : f.rows()) {
    out << "  " << r.key << std::string(width - r.key.size() + 2, ' ');
    if (const auto* s = std::get_if<std::string>(&r.value)) {
      out << *s;
    } else if (r.dim == Dimension::dimensionless) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", std::get<double>(r.value));
      out << buf;
    } else {
      out << format_quantity(std::get<double>(r.value), r.dim);
    }
    out << '\n';
  }
  return out.str();
}

std::string render_json(const std::string& kind, const Fields& f) {
  nlohmann::ordered_json doc;
  doc["kind"] = kind;
  for (const auto& r : f.rows()) {
    if (const auto* s = std::get_if<std::string>(&r.value)) {
      if (*s == "true" || *s == "false") {
        insert_dotted(doc, r.key, *s == "true");
      } else {
        insert_dotted(doc, r.key, *s);
      }
    } else {
      insert_dotted(doc, r.key, std::get<double>(r.value));
    }
  }
  return doc.dump(2) + "\n";
}

}  // namespace

std::string format_list(const Catalog& catalog, const std::string& what) {
  std::ostringstream out;
  if (what == "models") {
    for (const auto& name : model_names(catalog)) out << name << '\n';
    return out.str();
  }
  if (what == "scenarios") {
    for (const auto& p : catalog.scenario_files()) out << p.stem().string() << "  " << p.string() << '\n';
    return out.str();
  }
  if (what == "reliability") {  // failure profiles (configs/hw/reliability/), each checked as it is listed
    for (const auto& name : catalog.names("reliability")) {
      const std::size_t causes = load_reliability(catalog, name).causes.size();
      out << name << "  " << causes << (causes == 1 ? " cause" : " causes") << " of interruption\n";
    }
    return out.str();
  }
  const std::vector<std::string> kinds = Catalog::showable_kinds();
  const auto it = std::find_if(kinds.begin(), kinds.end(),
                               [&](const std::string& k) { return Catalog::folder_of(k) == what; });
  if (it == kinds.end()) throw BadInput("cannot list '" + what + "'");
  const std::string& kind = *it;
  for (const auto& name : catalog.names(kind)) {
    out << name;
    if (kind == "system") {
      const hw::SystemSpec s = load_system(catalog, name);
      out << std::string(name.size() < 20 ? 20 - name.size() : 1, ' ') << s.description;
    }
    out << '\n';
  }
  return out.str();
}

std::string format_show(const Catalog& catalog, const std::string& kind, const std::string& name, bool json) {
  if (kind == "model") return format_model(load_model(catalog, name), json);
  Fields f;
  if (kind == "system") f = system_fields(catalog, load_system(catalog, name));
  if (kind == "gpu") f = gpu_fields(load_gpu(catalog, name));
  if (kind == "cpu") f = cpu_fields(load_cpu(catalog, name));
  if (kind == "nic") f = nic_fields(load_nic(catalog, name));
  if (kind == "switch") f = switch_fields(load_switch(catalog, name));
  if (kind == "optics") f = optics_fields(load_optics(catalog, name));
  if (kind == "storage") f = storage_fields(load_storage(catalog, name));
  if (f.rows().empty()) throw BadInput("cannot show kind '" + kind + "'");
  return json ? render_json(kind, f) : render_table(kind + " " + name, f);
}

}  // namespace dcsim::app
