// --set and programmatic overrides: they edit the tree, the reader validates, and errors name the override.
#include <gtest/gtest.h>

#include "app/config/override.hpp"
#include "test_config_support.hpp"

namespace dcsim::app {
namespace {

using testing::error_of;
using testing::fixture;
using testing::read_mini;

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

ConfigDocument good() { return ConfigDocument::load_file(fixture("good.yaml")); }

TEST(ConfigOverride, ReplacesScalarsAndLists) {
  auto doc = good();
  apply_override(doc, "seed=42");
  apply_override(doc, "workload.bytes=2 GiB");
  apply_override(doc, "workload.sizes=[1 KiB, 2 KiB]");
  apply_override(doc, "hardware.scale_out.nic_bandwidth=800Gb/s");
  const auto s = read_mini(doc);
  EXPECT_EQ(s.seed, 42);
  EXPECT_DOUBLE_EQ(s.bytes, 2.0 * 1073741824);
  EXPECT_EQ(s.sizes, (std::vector<double>{1024, 2048}));
  EXPECT_DOUBLE_EQ(s.nic_bandwidth, 100e9);
  EXPECT_EQ(s.count, 4);  // untouched
}

TEST(ConfigOverride, CreatesMissingMappings) {
  auto doc = ConfigDocument::load_string("name: x\nhardware:\n  system: h100-hgx\n  count: 2\nworkload:\n"
                                         "  kind: collective\n  bytes: 1 MiB\n",
                                         "t.yaml");
  apply_override(doc, "hardware.scale_out.nic_bandwidth=400 Gb/s");
  apply_override(doc, "network.model=analytical");
  const auto s = read_mini(doc);
  EXPECT_DOUBLE_EQ(s.nic_bandwidth, 50e9);
  EXPECT_EQ(s.network, "analytical");
  EXPECT_EQ(s.topology, "fat-tree");  // default: the created mapping holds only what was set
}

TEST(ConfigOverride, ErrorsNameTheOverrideNotAFileLine) {
  auto doc = good();
  apply_override(doc, "workload.bytes=1 GHz");
  EXPECT_EQ(error_of([&] { read_mini(doc); }),
            "--set workload.bytes=1 GHz: workload.bytes: got '1 GHz', expected a data size such as '80 GiB' or "
            "'1.5 TB' (unit 'GHz' is a frequency)");

  auto doc2 = good();
  apply_override(doc2, "hardware.count=2.5");
  EXPECT_HAS(error_of([&] { read_mini(doc2); }), "--set hardware.count=2.5: hardware.count: got '2.5'");

  auto doc3 = good();
  apply_override(doc3, "hardware.scale_out.topolgy=dragonfly");
  EXPECT_EQ(error_of([&] { read_mini(doc3); }),
            "--set hardware.scale_out.topolgy=dragonfly: hardware.scale_out: unknown key 'topolgy' (did you mean "
            "'topology'?)");

  auto doc4 = good();
  apply_override(doc4, "network={modle: flow}");
  EXPECT_HAS(error_of([&] { read_mini(doc4); }), "--set network={modle: flow}: network: missing required key 'model'");
}

TEST(ConfigOverride, MalformedAssignments) {
  auto doc = good();
  EXPECT_EQ(error_of([&] { apply_override(doc, "seed"); }),
            "--set seed: expected KEY=VALUE (e.g. --set workload.bytes=1GiB or --set seed=7)");
  EXPECT_HAS(error_of([&] { apply_override(doc, "=7"); }), "--set =7: the key before '=' is empty");
  EXPECT_HAS(error_of([&] { apply_override(doc, "workload..bytes=1"); }), "the key has an empty part");
  EXPECT_HAS(error_of([&] { apply_override(doc, "workload.bytes.=1"); }), "the key has an empty part");
  EXPECT_HAS(error_of([&] { apply_override(doc, "seed="); }), "--set seed=: seed: the value after '=' is empty");
  EXPECT_HAS(error_of([&] { apply_override(doc, "workload.sizes=[1 MiB"); }),
             "--set workload.sizes=[1 MiB: workload.sizes: the value is not valid YAML");
  EXPECT_HAS(error_of([&] { apply_override(doc, "workload.sizes.0=1 MiB"); }),
             "workload.sizes: a list item cannot be set on its own");
  EXPECT_HAS(error_of([&] { apply_override(doc, "seed.x=1"); }), "'seed' is a single value, not a mapping");
  EXPECT_HAS(error_of([&] { apply_override(doc, "workload={a: 1, a: 2}"); }), "duplicate key 'a'");
  // A value with '=' in it is split at the first '='.
  apply_override(doc, "name=a=b");
  EXPECT_EQ(read_mini(doc).name, "a=b");
}

TEST(ConfigOverride, ProgrammaticWithDottedKeysInAMap) {
  auto doc = ConfigDocument::load_string("hardware:\n  overrides:\n    gpu.hbm_bandwidth: 3 TB/s\n", "t.yaml");
  apply_override(doc, "hardware.overrides.gpu.hbm_bandwidth", YAML::Load("6 TB/s"), "sweep point 2");
  const auto o = doc.root().child("hardware").child("overrides");
  EXPECT_EQ(o.keys(), std::vector<std::string>{"gpu.hbm_bandwidth"});
  EXPECT_DOUBLE_EQ(o.get_quantity("gpu.hbm_bandwidth", Dimension::data_rate), 6e12);
  apply_override(doc, "hardware.overrides.gpu.hbm_bandwidth", YAML::Load("fast"), "sweep point 3");
  EXPECT_HAS(error_of([&] {
               doc.root().child("hardware").child("overrides").get_quantity("gpu.hbm_bandwidth", Dimension::data_rate);
             }),
             "sweep point 3: hardware.overrides.gpu.hbm_bandwidth: got 'fast'");
}

TEST(ConfigOverride, AliasedValuesAreNotChangedThroughTheAlias) {
  auto doc = ConfigDocument::load_string("a: &x 1 GiB\nb: *x\n", "t.yaml");
  apply_override(doc, "a=2 GiB");
  EXPECT_DOUBLE_EQ(doc.root().get_quantity("b", Dimension::data), 1073741824.0);
  EXPECT_DOUBLE_EQ(doc.root().get_quantity("a", Dimension::data), 2.0 * 1073741824);
}

}  // namespace
}  // namespace dcsim::app
