// `dcsim plan` varying a quantity (#17's declarations put to use): a plan over a time or a bandwidth reads its range
// with units and gives the scenario values in them, so "what if tool calls take 3 ms instead of 30?" is a plan.
#include <gtest/gtest.h>

#include "app/config/node.hpp"
#include "app/config/units.hpp"
#include "app/plan.hpp"
#include "app/schema/reader.hpp"
#include "app/schema/scenario_keys.hpp"

namespace dcsim::app {
namespace {

TEST(PlanUnits, TheVaryKeysDimensionComesFromItsDeclaration) {
  EXPECT_EQ(quantity_dimension("workload.reliability.checkpoint_write"), Dimension::data_rate);
  EXPECT_EQ(quantity_dimension("workload.cpu.iteration"), Dimension::time);  // serving and agents: both a time
  EXPECT_EQ(quantity_dimension("hardware.scale_out.nic_bandwidth"), Dimension::data_rate);
  EXPECT_FALSE(quantity_dimension("hardware.count").has_value());       // an integer
  EXPECT_FALSE(quantity_dimension("workload.instance.tp").has_value());  // an integer, in two workloads
  EXPECT_FALSE(quantity_dimension("workload.no_such_key").has_value());
}

TEST(PlanUnits, ValuesAreWrittenInAPrefixedUnitThatReadsBackExactly) {
  PlanSpec time;
  time.unit = Dimension::time;
  time.resolution = 1e-4;
  EXPECT_EQ(format_plan_value(time, 0.0045), "4.5 ms");
  EXPECT_EQ(format_plan_value(time, 30), "30 s");
  PlanSpec rate;
  rate.unit = Dimension::data_rate;
  rate.resolution = 1e9;
  EXPECT_EQ(format_plan_value(rate, 5.17216797e11), "517.216797 GB/s");
  EXPECT_DOUBLE_EQ(parse_quantity(format_plan_value(rate, 5.17216797e11), Dimension::data_rate), 5.17216797e11);
  EXPECT_EQ(format_plan_value(rate, 2e12), "2 TB/s");
}

TEST(PlanUnits, ARangeOfAQuantityIsReadWithItsUnitsAndBisectedToAThousandth) {
  const auto doc = ConfigDocument::load_string("vary: workload.cpu.per_call\nrange: [1 ms, 30 ms]\n"
                                               "targets: [{metric: tokens_per_s, min: 1}]\n",
                                               "plan.yaml");
  const PlanSpec spec = parse_plan(schema::Reader(doc.root(), schema::plan_keys()));
  ASSERT_TRUE(spec.unit.has_value());
  EXPECT_EQ(*spec.unit, Dimension::time);
  EXPECT_DOUBLE_EQ(spec.low, 1e-3);
  EXPECT_DOUBLE_EQ(spec.high, 30e-3);
  EXPECT_DOUBLE_EQ(spec.resolution, 29e-3 / 1000);
  // A bare number is not a time: the range says what it takes.
  const auto bare = ConfigDocument::load_string("vary: workload.cpu.per_call\nrange: [1, 30]\n"
                                                "targets: [{metric: tokens_per_s, min: 1}]\n",
                                                "plan.yaml");
  try {
    (void)parse_plan(schema::Reader(bare.root(), schema::plan_keys()));
    FAIL() << "a unitless range for a time was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("plan.yaml:2:9: range[0]: got '1', expected a duration"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace dcsim::app
