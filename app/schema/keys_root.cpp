// The top level of a scenario, and the blocks that are not a workload's or the hardware's: network, cost,
// token_value, plan, sweep, frontier.
#include <cstdint>

#include <limits>

#include "app/schema/scenario_keys.hpp"
#include "workloads/cost.hpp"

namespace dcsim::app::schema {
namespace {

SectionPtr network_keys() {
  static const SectionPtr s = make_section(
      "network", "How transfers are timed.",
      {choice("model", {"analytical", "flow"})
           .or_default("analytical")
           .describe("analytical: closed-form collective and transfer times; flow: transfers as flows on the "
                     "topology with max-min fair sharing (docs/network.md; pretraining: every replica's pipeline "
                     "sends and every DP group's gradient traffic, docs/pretraining.md)")});
  return s;
}

SectionPtr cost_keys() {
  static const SectionPtr s = make_section(
      "cost", "What a GPU-hour costs, for the cost metrics (docs/power.md, Cost). One form: an all-in rate, or "
              "capital over a life plus energy at a price.",
      {number("tco_per_gpu_hour", 0, 10000)
           .optional("capital and energy are priced instead")
           .describe("all-in USD per GPU-hour")
           .rule_("not with capex_per_gpu, life_years or energy_price_per_kwh"),
       number("capex_per_gpu", 1, 1e8)
           .computed("the system's sourced purchase price per GPU (configs/hw/systems)")
           .describe("USD per GPU: its share of the system's purchase price")
           .when_("no tco_per_gpu_hour"),
       number("life_years", 0.1, 50)
           .or_default(wl::kDefaultCapexLifeYears)
           .describe("years the capital is amortised over (InferenceX's 4)")
           .when_("no tco_per_gpu_hour"),
       number("energy_price_per_kwh", 0, 100)
           .optional("required when tco_per_gpu_hour is not given")
           .describe("USD per kWh at the facility meter")
           .rule_("required without tco_per_gpu_hour")
           .when_("no tco_per_gpu_hour")});
  return s;
}

SectionPtr frontier_keys() {
  static const SectionPtr s = make_section(
      "frontier", "The Pareto frontier a sweep report draws (default for serving: tokens/s/GPU against "
                  "tokens/s/user).",
      {text("x").describe("the metric on the x axis, as a run reports it (e.g. tokens_per_s_per_user)")
           .rule_("a metric a run reports"),
       text("y").describe("the metric on the y axis").rule_("a metric a run reports, not x"),
       choice("x_goal", {"max", "min"}).or_default("max").describe("whether more x is better (max) or less (min)"),
       choice("y_goal", {"max", "min"}).or_default("max").describe("whether more y is better (max) or less (min)")});
  return s;
}

SectionPtr plan_target_keys() {
  static const SectionPtr s = make_section(
      "plan.targets[]", "One target every result must meet.",
      {text("metric").describe("a metric a run reports (`dcsim run SCENARIO` lists them), e.g. ttft_s.p99")
           .rule_("a metric a run reports"),
       key("min", number_type(-kInf, kInf))
           .or_form(quantity_type(Dimension::time, 0, kInf))
           .or_form(quantity_type(Dimension::power, 0, kInf))
           .or_form(quantity_type(Dimension::energy, 0, kInf))
           .optional("no lower bound")
           .describe("the smallest value that meets the target; a time, power or energy for metrics in s, W or "
                     "J ('2 s'), else a number")
           .rule_("min, max or both"),
       key("max", number_type(-kInf, kInf))
           .or_form(quantity_type(Dimension::time, 0, kInf))
           .or_form(quantity_type(Dimension::power, 0, kInf))
           .or_form(quantity_type(Dimension::energy, 0, kInf))
           .optional("no upper bound")
           .describe("the largest value that meets the target, in the metric's unit as for min")
           .rule_("min, max or both")});
  return s;
}

}  // namespace

SectionPtr plan_keys() {
  static const SectionPtr s = [] {
    // [LOW, HIGH]: integers, or numbers with `resolution` (a real knob).
    Type range = list_type(integer_type(0, 10'000'000), 2, 2);
    range.items.push_back(number_type(0, 1e12));
    range.items.push_back(text_type({}, "a quantity in the unit of the key it varies ('1 ms', '400 GB/s')"));
    return make_section(
        "plan", "Capacity planning for `dcsim plan`: the smallest (or largest) value of one knob that meets every "
                "target (docs/cli.md, plan).",
        {text("vary").describe("the dotted scenario key the plan varies, e.g. hardware.count")
             .rule_("a key the scenario takes, outside plan: and sweep:"),
         choice("goal", {"smallest", "largest"}).or_default("smallest")
             .describe("smallest: the least value that meets the targets; largest: the most (a load)"),
         number("resolution", 1e-9, 1e12)
             .or_form(text_type({}, "a quantity in the unit of the key it varies ('1 ms')"))
             .optional("an integer knob, bisected to 1; a quantity (vary: a time, a bandwidth), to a thousandth of "
                       "the range")
             .describe("a real knob, bisected to this width")
             .rule_("at least a millionth of the range"),
         key("range", range)
             .describe("[LOW, HIGH]: integers from 0 to 10,000,000; with resolution numbers from 0 to 1e12; for a key "
                       "that is a quantity, values with its units ([1 ms, 30 ms])")
             .rule_("HIGH >= LOW"),
         key("targets", list_type(section_type(plan_target_keys()), 1))
             .describe("the targets every result must meet"),
         key("grid", map_type(list_type(any_type(), 1)))
             .optional("one search")
             .describe("other knobs: dotted keys to lists of values; the plan is searched at each combination")
             .rule_("at most 256 combinations; not plan.vary, nor keys under plan: or sweep:")});
  }();
  return s;
}

const std::vector<std::string>& workload_kinds() {
  static const std::vector<std::string> kinds = {"collective", "serving", "pretraining", "agents"};
  return kinds;
}

SectionPtr workload_keys() {
  static const SectionPtr s = make_variants("workload", "What runs on the hardware; `kind` picks the workload.",
                                            "kind",
                                            {{"collective", collective_keys()},
                                             {"serving", serving_keys()},
                                             {"pretraining", pretraining_keys()},
                                             {"agents", agents_keys()}});
  return s;
}

SectionPtr scenario_keys() {
  static const SectionPtr s = make_section(
      "", "A scenario file (docs/cli.md): hardware, an optional model, one workload, and what to report.",
      {text("name").describe("the scenario's name, carried into results"),
       integer("seed", 0, INT64_MAX)
           .or_default(1)
           .describe("the random seed; the same scenario and seed give bit-identical results (--seed overrides)"),
       section("hardware", hardware_keys()).describe("the cluster: a catalog system, how many, and what differs"),
       section("network", network_keys()).optional("analytical").describe("how transfers are timed"),
       key("model", catalog_type("model"))
           .or_form(section_type(model_keys()))
           .optional("none; serving, pretraining and agents need one")
           .describe("a catalog model name (`dcsim list models`) or a whole model written inline"),
       section("workload", workload_keys()).describe("what runs: kind collective, serving, pretraining or agents"),
       key("token_value", map_type(number_type(0, 1e12)))
           .optional("every token weighs 1")
           .describe("weights of the workload's token classes, for value-weighted tokens per joule "
                     "(e.g. {coding: 2, chat: 1})")
           .rule_("every class one the workload produces"),
       section("cost", cost_keys())
           .optional("the system's sourced TCO per GPU-hour, if it has one; else no cost metrics")
           .describe("what a GPU-hour costs"),
       section("plan", plan_keys()).optional("no plan (dcsim plan needs one)").describe("capacity planning"),
       key("sweep", map_type(list_type(any_type(), 1)))
           .optional("no sweep")
           .describe("dotted scenario keys to lists of values; `dcsim sweep` runs their Cartesian product")
           .rule_("at most 1,000,000 points; not sweep itself"),
       section("frontier", frontier_keys())
           .optional("tokens/s/GPU against tokens/s/user for serving sweeps")
           .describe("the Pareto frontier a sweep report draws")
           .rule_("needs a sweep block")});
  return s;
}

}  // namespace dcsim::app::schema
