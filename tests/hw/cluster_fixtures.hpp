// Hand-built ClusterSpecs for hw tests, with public H100/B200/GB200 figures (no YAML: hw tests must not depend on
// the catalog). NVLink4: 450 GB/s per direction per GPU; NVLink5: 900 GB/s.
#pragma once

#include "hw/spec.hpp"

namespace dcsim::hw::testing {

inline SwitchSpec ib_switch(int radix, double port_bw = 50e9) {
  SwitchSpec s;
  s.name = "test-ib";
  s.kind = SwitchKind::infiniband;
  s.radix = radix;
  s.port_bandwidth = port_bw;
  s.latency = 0.2e-6;
  s.medium = Medium::pluggable_optics;
  return s;
}

// An HGX-style 8-GPU node: `gbps_nvlink` per direction per GPU, `chips` NVSwitch chips with NVLS.
inline ClusterSpec hgx(double nvlink_bw, int chips, int systems = 1) {
  ClusterSpec c;
  c.system.name = "test-hgx";
  c.system.gpus = 8;
  c.system.nics = 8;
  c.system.scale_up.switches = chips;
  c.system.scale_up.domain_gpus = 8;
  c.system.scale_up.bandwidth_per_gpu = nvlink_bw;
  c.system.scale_up.latency = 0.25e-6;
  c.system.scale_up.energy_per_bit = 1.3e-12;
  c.gpu.name = "test-gpu";
  c.gpu.nvlink_bandwidth = nvlink_bw;
  c.nic.name = "test-cx7";
  c.nic.bandwidth = 50e9;  // 400 Gb/s
  c.nic.latency = 1.0e-6;
  c.scale_up_switch.name = "test-nvswitch";
  c.scale_up_switch.kind = SwitchKind::nvswitch;
  c.scale_up_switch.in_network_reduction = true;
  c.scale_out.topology = ScaleOutTopology::rail_optimized_fat_tree;
  c.scale_out.oversubscription = 1;
  c.scale_out_switch = ib_switch(64);
  OpticsSpec o;
  o.name = "test-osfp";
  o.energy_per_bit = 15e-12;
  c.scale_out_optics = o;
  c.systems = systems;
  c.gpus_per_system = 8;
  return c;
}

inline ClusterSpec hgx_h100(int systems = 1) { return hgx(450e9, 4, systems); }
inline ClusterSpec hgx_b200(int systems = 1) { return hgx(900e9, 2, systems); }

// GB200 NVL72 rack: 72 GPUs on 18 NVSwitch chips, one 400G NIC per GPU.
inline ClusterSpec nvl72(int racks = 1) {
  ClusterSpec c = hgx(900e9, 18, racks);
  c.system.name = "test-nvl72";
  c.system.gpus = 72;
  c.system.nics = 72;
  c.system.scale_up.domain_gpus = 72;
  c.gpus_per_system = 72;
  return c;
}

}  // namespace dcsim::hw::testing
