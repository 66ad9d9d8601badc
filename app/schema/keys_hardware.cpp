// hardware: a catalog system, how many of it, and what the scenario changes (docs/hardware.md, docs/network.md).
#include "app/schema/scenario_keys.hpp"

namespace dcsim::app::schema {
namespace {

SectionPtr scale_out_keys() {
  static const SectionPtr s = [] {
    Type optics = catalog_type("optics");
    return make_section(
        "hardware.scale_out", "The scale-out fabric between systems (docs/network.md).",
        {choice("topology", {"rail-optimized-fat-tree", "fat-tree"})
             .or_default("rail-optimized-fat-tree")
             .describe("rail-optimized: GPU i of every system on leaf i's rail; fat-tree: a system's GPUs on one leaf"),
         catalog_ref("nic", "nic")
             .computed("the system's NIC")
             .describe("the NIC family and model (InfiniBand, RoCE, SRD; docs/network.md, NIC families)"),
         quantity("nic_bandwidth", Dimension::data_rate, 1, 1e14)
             .computed("the NIC's bandwidth")
             .describe("scale-out bandwidth per GPU, e.g. 400 Gb/s"),
         number("oversubscription", 1.0, 1024.0)
             .or_default(1.0)
             .describe("downlink to uplink port ratio of the leaf switches (the tiers above them are non-blocking)"),
         catalog_ref("switch", "switch").computed("the system's scale-out switch").describe("the scale-out switch"),
         key("optics", optics)
             .or_form(null_type())
             .computed("the system's transceivers")
             .describe("the transceivers of switch links; null for copper (no optics power)")});
  }();
  return s;
}

}  // namespace

SectionPtr hardware_keys() {
  static const SectionPtr s = make_section(
      "hardware", "The cluster: whole catalog systems, or part of one (docs/hardware.md).",
      {catalog_ref("system", "system").describe("the catalog system, e.g. h100-hgx, gb200-nvl72"),
       integer("count", 1, 10'000'000)
           .or_default(1)
           .describe("how many systems")
           .rule_("the fabric must be buildable: at most three switch tiers at the switch's radix"),
       integer("gpus", 1, 1 << 20)
           .computed("all of the system's GPUs")
           .describe("GPUs used per system")
           .rule_("at most the system's GPUs; fewer only with count: 1"),
       catalog_ref("cpu", "cpu").computed("the system's CPU").describe("the host CPU (tool calls, engine steps)"),
       number("pue", 1.0, 3.0)
           .computed("the system's PUE (its cooling)")
           .describe("facility power over IT power"),
       section("scale_out", scale_out_keys())
           .optional("the system's NIC, switch and optics in a rail-optimized fat tree, not oversubscribed")
           .describe("the scale-out fabric"),
       key("overrides", [] {
         // PART.FIELD (or PART: {FIELD: ...}): the parts app/scenario.cpp's kOverrideParts names.
         Type t = map_type(any_type());
         t.pattern = "^(system|gpu|cpu|nic|scale_up_switch|scale_out_switch|optics)(\\.|$)";
         return t;
       }())
           .optional("the catalog's figures")
           .describe("catalog fields to change, as PART.FIELD: value, PART one of system, gpu, cpu, nic, "
                     "scale_up_switch, scale_out_switch, optics (e.g. {gpu.hbm_bandwidth: 6 TB/s}); each value is "
                     "checked as the catalog field it replaces (docs/hardware.md, Field reference)")
           .rule_("PART.FIELD names a field of that part's catalog entry")});
  return s;
}

}  // namespace dcsim::app::schema
