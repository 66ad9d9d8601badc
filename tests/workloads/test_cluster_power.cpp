// Power model: hand-computed GPU, switch, optics, PSU and fan power, the populated fabric, exact ledger accounting
// of a whole cluster, and provisioning figures against published ratings.
#include <gtest/gtest.h>

#include "tests/support/scenario_text.hpp"

#include <cmath>

#include "app/catalog.hpp"
#include "app/scenario.hpp"
#include "hw/populated_fabric.hpp"
#include "hw/power.hpp"
#include "hw/topology.hpp"
#include "workloads/cluster_power.hpp"

namespace dcsim::wl {
namespace {

hw::ClusterSpec cluster_of(const std::string& system, int count = 1, const std::string& extra = "") {
  return dcsim::testing::scenario_from_text("name: p\nhardware: {system: " + system + ", count: " +
                                                std::to_string(count) + ", pue: 1.25" + extra +
                                                "}\nworkload: {kind: collective, op: all_reduce, bytes: 1 MiB}\n",
                                            {}, "dcsim_power_" + system)
      .cluster;
}

hw::GpuSpec gpu_700w() {
  hw::GpuSpec g;
  g.power = {120, 700, 700, 1.6};
  g.memory_power_share = 0.35;
  g.gemm_peak_fraction.bf16 = 0.8;
  g.gemm_peak_fraction.fp8 = 0.7;
  return g;
}

TEST(GpuPower, FollowsComputeAndMemoryActivity) {
  const hw::GpuSpec g = gpu_700w();
  EXPECT_DOUBLE_EQ(hw::gpu_power(g, {0, 0}), 120);
  EXPECT_DOUBLE_EQ(hw::gpu_power(g, {1, 0}), 700);
  EXPECT_DOUBLE_EQ(hw::gpu_power(g, {0, 1}), 120 + 580 * 0.35);
  EXPECT_DOUBLE_EQ(hw::gpu_power(g, {0.5, 0.3}), 120 + 580 * 0.5 + 580 * 0.35 * 0.3);
  EXPECT_DOUBLE_EQ(hw::gpu_power(g, {2, 2}), 700);  // clamped: never above the board limit
}

// A 500 W cap on a 700 W part: compute at the capped peak draws the cap; HBM streaming keeps its share of the
// design range (memory clocks stay); the clock runs at ((500 - 120) / (700 - 120))^(1/1.6).
TEST(GpuPower, APowerLimitClipsComputeAndSlowsTheClock) {
  hw::GpuSpec g = gpu_700w();
  g.power.limit = 500;
  EXPECT_DOUBLE_EQ(hw::gpu_power(g, {1, 0}), 500);
  EXPECT_DOUBLE_EQ(hw::gpu_power(g, {0, 1}), 120 + 580 * 0.35);
  EXPECT_DOUBLE_EQ(hw::gpu_power(g, {0.5, 0.5}), 120 + 380 * 0.5 + 580 * 0.35 * 0.5);
  EXPECT_DOUBLE_EQ(hw::gpu_power(g, {1, 1}), 500);
  const double f = std::pow(380.0 / 580.0, 1 / 1.6);
  EXPECT_NEAR(hw::power_limit_clock_factor(g), f, 1e-15);
  EXPECT_NEAR(f, 0.76775, 1e-5);
  hw::apply_power_limit(g);
  EXPECT_NEAR(g.gemm_peak_fraction.bf16, 0.8 * f, 1e-15);
  EXPECT_NEAR(g.gemm_peak_fraction.fp8, 0.7 * f, 1e-15);
  EXPECT_DOUBLE_EQ(hw::power_limit_clock_factor(gpu_700w()), 1.0);  // uncapped
}

// Training's sustained clock (B200's 0.82: MSMF 1426 / MAMF 1745) lowers the GEMM fractions and the training-attention
// curves, not the peaks; under a 500 W cap the two clock factors multiply: 0.82 x ((500 - 120) / (700 - 120))^(1/1.6).
TEST(GpuPower, TheSustainedClockSlowsTensorWorkAndMultipliesAPowerLimit) {
  hw::GpuSpec g = gpu_700w();
  g.flops.bf16 = 1000e12;
  g.sustained_clock_fraction = 0.82;
  g.training_attention_forward = {{2048, 0.5}, {8192, 0.6}};
  g.training_attention_backward = {{2048, 0.4}};
  hw::GpuSpec s = g;
  hw::apply_sustained_clock(s);
  EXPECT_NEAR(s.gemm_peak_fraction.bf16, 0.8 * 0.82, 1e-15);
  EXPECT_NEAR(s.gemm_peak_fraction.fp8, 0.7 * 0.82, 1e-15);
  EXPECT_NEAR(s.training_attention_forward[1].fraction, 0.6 * 0.82, 1e-15);
  EXPECT_EQ(s.training_attention_forward[1].size, 8192);
  EXPECT_NEAR(s.training_attention_backward[0].fraction, 0.4 * 0.82, 1e-15);
  EXPECT_EQ(s.flops.bf16, 1000e12);  // MFU's denominator stays the peak
  hw::GpuSpec capped = g;
  capped.power.limit = 500;
  hw::apply_power_limit(capped);
  hw::apply_sustained_clock(capped);
  EXPECT_NEAR(capped.gemm_peak_fraction.bf16, 0.8 * 0.82 * std::pow(380.0 / 580.0, 1 / 1.6), 1e-15);
  EXPECT_NEAR(capped.training_attention_forward[0].fraction, 0.5 * 0.82 * std::pow(380.0 / 580.0, 1 / 1.6), 1e-15);
  hw::GpuSpec unthrottled = gpu_700w();  // 1 (the default): nothing moves
  hw::apply_sustained_clock(unthrottled);
  EXPECT_EQ(unthrottled.gemm_peak_fraction.bf16, 0.8);
}

TEST(SwitchPower, EmptyPortsDrawNothing) {
  hw::SwitchSpec s;
  s.radix = 64;
  s.power = 747;
  s.power_per_port = 4.67;
  EXPECT_DOUBLE_EQ(hw::switch_power(s, 64), 747);
  EXPECT_NEAR(hw::switch_power(s, 16), 747 - 48 * 4.67, 1e-9);
  EXPECT_NEAR(hw::switch_power(s, 0), 747 - 64 * 4.67, 1e-9);
}

TEST(OpticsPower, ATwinPortModuleServesTwoCables) {
  hw::OpticsSpec o;
  o.bandwidth = 100e9;  // 800 Gb/s
  EXPECT_DOUBLE_EQ(hw::optics_modules_per_end(50e9, o), 0.5);   // 400G cable on a twin-port 800G module
  EXPECT_DOUBLE_EQ(hw::optics_modules_per_end(100e9, o), 1.0);
  EXPECT_DOUBLE_EQ(hw::optics_modules_per_end(200e9, o), 2.0);  // 1.6T cable needs two 800G modules
}

hw::SystemOverheads titanium_node() {
  hw::SystemOverheads o;
  o.fan_max = 1500;
  o.fan_min_speed = 0.5;
  o.psu_count = 6;
  o.psu_rating = 3300;
  o.psu_efficiency = {{0.1, 0.90}, {0.2, 0.94}, {0.5, 0.96}, {1.0, 0.91}};
  o.board = 150;
  return o;
}

TEST(SystemOverheads, PsuEfficiencyInterpolatesLinearlyAndClamps) {
  const hw::SystemOverheads o = titanium_node();
  EXPECT_DOUBLE_EQ(hw::psu_efficiency(o, 0.05), 0.90);
  EXPECT_DOUBLE_EQ(hw::psu_efficiency(o, 0.15), 0.92);
  EXPECT_NEAR(hw::psu_efficiency(o, 0.35), 0.95, 1e-15);
  EXPECT_NEAR(hw::psu_efficiency(o, 0.75), 0.935, 1e-15);
  EXPECT_DOUBLE_EQ(hw::psu_efficiency(o, 1.5), 0.91);
}

// Fans follow the cube of their speed, never below the minimum; conversion divides the DC load by the supplies'
// efficiency at their shared load.
TEST(SystemOverheads, FansAndConversionByHand) {
  const hw::SystemOverheads o = titanium_node();
  // Idle node: 2,000 W of parts out of 8,000 W at full load -> heat 0.25 < min speed 0.5.
  const hw::OverheadPower idle = hw::system_overheads(o, 2000, 8000);
  EXPECT_DOUBLE_EQ(idle.fans, 1500 * 0.125);
  EXPECT_DOUBLE_EQ(idle.board, 150);
  const double dc_idle = 2000 + 187.5 + 150;             // 2,337.5 W over 19,800 W of supplies = 11.8 % load
  const double eff_idle = 0.90 + (dc_idle / 19800 - 0.1) / 0.1 * 0.04;
  EXPECT_NEAR(idle.conversion, dc_idle * (1 / eff_idle - 1), 1e-9);
  // Full load: heat 1 -> fans at full speed.
  const hw::OverheadPower full = hw::system_overheads(o, 8000, 8000);
  EXPECT_DOUBLE_EQ(full.fans, 1500);
  const double dc = 8000 + 1500 + 150;                   // 48.7 % load
  const double eff = 0.94 + (dc / 19800 - 0.2) / 0.3 * 0.02;
  EXPECT_NEAR(full.conversion, dc * (1 / eff - 1), 1e-9);
  // Three quarters: speed 0.75 -> 0.421875 of full fan power.
  EXPECT_DOUBLE_EQ(hw::system_overheads(o, 6000, 8000).fans, 1500 * 0.421875);
}

// Two HGX nodes, 16 NICs on a radix-64 leaf/spine fabric (32 down, 32 up). Rail-optimized: 8 rail leaves of 2 NICs,
// 16 populated uplinks -> one spine. Plain fat-tree: one leaf, no uplinks.
TEST(PopulatedFabric, SizedForTheNodesInUse) {
  const hw::ClusterSpec rail = cluster_of("h100-hgx", 2);
  const hw::PopulatedFabric p = hw::populated_fabric(hw::build_topology(rail).shape(), 64);
  EXPECT_DOUBLE_EQ(p.nic_cables, 16);
  EXPECT_DOUBLE_EQ(p.leaf_spine_cables, 16);
  EXPECT_DOUBLE_EQ(p.switches, 9);
  EXPECT_DOUBLE_EQ(p.switch_ports, 16 + 2 * 16);
  const hw::ClusterSpec flat = cluster_of("h100-hgx", 2, ", scale_out: {topology: fat-tree}");
  const hw::PopulatedFabric q = hw::populated_fabric(hw::build_topology(flat).shape(), 64);
  EXPECT_DOUBLE_EQ(q.switches, 1);
  EXPECT_DOUBLE_EQ(q.switch_ports, 16);
  EXPECT_DOUBLE_EQ(q.leaf_spine_cables, 0);
}

// 2,048 nodes x 8 rails at radix 64: three tiers; 16,384 NICs, as many uplinks, spines with half their ports down.
TEST(PopulatedFabric, ThreeTiersByHand) {
  hw::FabricShape f;
  f.tiers = 3;
  f.nics = 16384;
  f.leaves = 512;
  f.leaf_down = 32;
  f.leaf_up = 32;
  const hw::PopulatedFabric p = hw::populated_fabric(f, 64);
  EXPECT_DOUBLE_EQ(p.leaf_spine_cables, 16384);
  EXPECT_DOUBLE_EQ(p.spine_core_cables, 16384);
  EXPECT_DOUBLE_EQ(p.switches, 512 + 512 + 256);
  EXPECT_DOUBLE_EQ(p.switch_ports, 16384 * 5);
}

// Network power of the two-node rail-optimized fabric by hand: 9 Quantum-2 switches with 48 of their 576 ports
// populated, 32 cables of 400G on twin-port 800G modules (half a module at each end).
TEST(ClusterPower, NetworkPowerByPart) {
  const hw::ClusterSpec c = cluster_of("h100-hgx", 2);
  const hw::Topology topo = hw::build_topology(c);
  sim::EnergyLedger ledger(0);
  ClusterPower power(ledger, c, topo.shape(), 0);
  const double per_switch = c.scale_out_switch.power - (64 - 48.0 / 9) * c.scale_out_switch.power_per_port;
  EXPECT_NEAR(power.scale_out_static_w(), 9 * per_switch + 32 * 2 * 0.5 * c.scale_out_optics->power_per_port, 1e-9);
  Metrics m;
  power.report(m, 0, sim::kSecond, 0);
  EXPECT_NEAR(m.at("power_w.network_parts.switches"), 9 * per_switch + 2 * 4 * c.scale_up_switch.power, 1e-6);
  EXPECT_NEAR(m.at("power_w.network_parts.optics"), 32 * c.scale_out_optics->power_per_port, 1e-6);
  EXPECT_NEAR(m.at("power_w.network_parts.nics"), 16 * c.nic.power, 1e-6);
  EXPECT_NEAR(m.at("power_w.network_parts.switches") + m.at("power_w.network_parts.optics") +
                  m.at("power_w.network_parts.nics") + m.at("power_w.network_parts.links"),
              m.at("power_w.network"), 1e-6);
}

TEST(ClusterPower, IdleNodeIsTheSumOfItsPartsExactly) {
  const hw::ClusterSpec c = cluster_of("h100-hgx");
  const hw::Topology topo = hw::build_topology(c);
  sim::EnergyLedger ledger(0);
  ClusterPower power(ledger, c, topo.shape(), 0);
  double storage_idle = 0, storage_max = 0;
  for (const auto& s : c.storage) {
    storage_idle += s.idle_power;
    storage_max += s.power;
  }
  const double parts = 8 * c.gpu.power.idle + c.system.cpus * c.cpu.power.idle + c.system.nics * c.nic.power +
                       4 * c.scale_up_switch.power + 8 * storage_idle;
  const double parts_max = 8 * c.gpu.power.max + c.system.cpus * c.cpu.power.max + c.system.nics * c.nic.power +
                           4 * c.scale_up_switch.power + 8 * storage_max;
  const hw::OverheadPower o = hw::system_overheads(c.system.overheads, parts, parts_max);
  const double expected = parts + o.total();  // a single node has no scale-out fabric
  EXPECT_DOUBLE_EQ(power.scale_out_static_w(), 0);
  EXPECT_NEAR(ledger.total_power_w(), expected, 1e-3);
  Metrics m;
  power.report(m, 0, 2 * sim::kSecond, 100.0);
  EXPECT_NEAR(m.at("energy_j"), 2 * expected, 1e-3);
  EXPECT_NEAR(m.at("power_w.facility"), 1.25 * expected, 1e-3);
  EXPECT_NEAR(m.at("tokens_per_joule"), 100.0 / (2 * expected), 1e-9);  // ledger power is quantised to 1 uW
  EXPECT_NEAR(m.at("power_w.other_parts.fans") + m.at("power_w.other_parts.conversion") +
                  m.at("power_w.other_parts.board"),
              m.at("power_w.other"), 1e-6);
  EXPECT_NEAR(m.at("power_w.gpu") + m.at("power_w.cpu") + m.at("power_w.network") + m.at("power_w.storage") +
                  m.at("power_w.other"),
              m.at("power_w.it"), 1e-6);
  const double peak = parts_max + hw::system_overheads(c.system.overheads, parts_max, parts_max).total();
  EXPECT_NEAR(m.at("power_w.system_peak"), peak, 1e-6);
  EXPECT_NEAR(m.at("all_in_kw_per_gpu"), peak * 1.25 / 8 / 1000, 1e-12);
}

// Energy integrates piecewise: GPUs at full compute for 2 of 4 seconds, fans and conversion following them.
TEST(ClusterPower, ActivityChangesIntegrateExactly) {
  const hw::ClusterSpec c = cluster_of("h100-hgx");
  const hw::Topology topo = hw::build_topology(c);
  sim::EnergyLedger ledger(0);
  ClusterPower power(ledger, c, topo.shape(), 0);
  const double idle = ledger.total_power_w();
  power.set_gpu_activity({1.0, 0.0}, 8, sim::kSecond);
  const double busy = ledger.total_power_w();
  power.set_gpu_activity({}, 0, 3 * sim::kSecond);
  EXPECT_NEAR(ledger.total_power_w(), idle, 1e-6);
  EXPECT_GT(busy - idle, 8 * (c.gpu.power.max - c.gpu.power.idle));  // fans and losses grow with the GPUs
  EXPECT_NEAR(ledger.total_energy_j(4 * sim::kSecond), 2 * idle + 2 * busy, 1e-6);
}

// Published ratings are provisioning sums: every system's peak input power sits near its rating, never above by
// more than the rounding of its assumed parts (DGX H100 10.2 kW, DGX A100 6.5 kW, DGX B200 14.3 kW, GB200 NVL72
// 120-132 kW, GB300 NVL72 135 kW).
TEST(ClusterPowerCalibration, PeakPowerSitsAtThePublishedRatings) {
  struct Case {
    const char* system;
    double low_w, high_w;
  };
  for (const Case& k : {Case{"h100-hgx", 8500, 10200}, Case{"a100-hgx", 5800, 6800}, Case{"b200-hgx", 12000, 14300},
                        Case{"gb200-nvl72", 108000, 132000}, Case{"gb300-nvl72", 121000, 135000}}) {
    const hw::ClusterSpec c = cluster_of(k.system);
    const hw::Topology topo = hw::build_topology(c);
    sim::EnergyLedger ledger(0);
    ClusterPower power(ledger, c, topo.shape(), 0);
    EXPECT_GE(power.system_peak_w(), k.low_w) << k.system;
    EXPECT_LE(power.system_peak_w(), k.high_w) << k.system;
  }
}

// hardware.overrides.gpu.power.limit reaches the loaded GPU: its GEMM fractions slow by the clock factor, HBM stays.
TEST(PowerLimit, ScenarioOverrideSlowsComputeOnly) {
  const hw::ClusterSpec full = cluster_of("h100-hgx");
  const hw::ClusterSpec capped = cluster_of("h100-hgx", 1, ", overrides: {gpu.power.limit: 500 W}");
  const double f = std::pow((500 - full.gpu.power.idle) / (full.gpu.power.max - full.gpu.power.idle),
                            1 / full.gpu.power.dvfs_exponent);
  EXPECT_NEAR(capped.gpu.gemm_peak_fraction.bf16, full.gpu.gemm_peak_fraction.bf16 * f, 1e-12);
  EXPECT_NEAR(capped.gpu.gemm_peak_fraction.fp8, full.gpu.gemm_peak_fraction.fp8 * f, 1e-12);
  EXPECT_DOUBLE_EQ(capped.gpu.hbm_bandwidth, full.gpu.hbm_bandwidth);
  EXPECT_DOUBLE_EQ(capped.gpu.power.limit, 500);
  EXPECT_DOUBLE_EQ(full.gpu.power.limit, full.gpu.power.max);  // no limit: uncapped
}

TEST(Pue, DefaultFollowsTheSystemsCooling) {
  const auto pue_of = [](const std::string& system) {
    return dcsim::testing::scenario_from_text("name: p\nhardware: {system: " + system +
                                                  "}\nworkload: {kind: collective, op: all_reduce, bytes: 1 MiB}\n",
                                              {}, "dcsim_pue_" + system)
        .cluster.pue;
  };
  EXPECT_DOUBLE_EQ(pue_of("h100-hgx"), 1.2);
  EXPECT_DOUBLE_EQ(pue_of("gb200-nvl72"), 1.1);
}

}  // namespace
}  // namespace dcsim::wl
