// Reading values: each class of mistake in a scenario gets one message naming file, line, key, the bad value and
// what was expected.
#include <gtest/gtest.h>

#include "test_config_support.hpp"

namespace dcsim::app {
namespace {

using testing::error_of;
using testing::fixture;
using testing::read_mini;

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

std::string read_error(const std::string& name) {
  return error_of([&] { read_mini(ConfigDocument::load_file(fixture(name))); });
}

ConfigNode root_of(const std::string& yaml) { return ConfigDocument::load_string(yaml, "t.yaml").root(); }

TEST(ConfigRead, UnknownKeySuggestsTheNearest) {
  EXPECT_EQ(read_error("unknown_key.yaml"),
            fixture("unknown_key.yaml") +
                ":10:5: hardware.scale_out: unknown key 'oversubscripton' (did you mean 'oversubscription'?)");
}

TEST(ConfigRead, MissingRequiredKeyPointsAtItsMisspelling) {
  EXPECT_EQ(read_error("misspelt_required.yaml"),
            fixture("misspelt_required.yaml") +
                ":8:5: hardware.scale_out: missing required key 'nic_bandwidth' (is 'nic_bandwith' a misspelling of "
                "it?)");
}

TEST(ConfigRead, WrongType) {
  EXPECT_EQ(read_error("wrong_type.yaml"),
            fixture("wrong_type.yaml") + ":6:10: hardware.count: got 'four', expected an integer from 1 to 100000");
}

TEST(ConfigRead, OutOfRange) {
  EXPECT_HAS(read_error("out_of_range.yaml"), "out_of_range.yaml:6:10: hardware.count: got '0', expected an integer from 1");
}

TEST(ConfigRead, MissingRequired) {
  EXPECT_EQ(read_error("missing_required.yaml"),
            fixture("missing_required.yaml") + ":5:3: hardware: missing required key 'system' (expected a string)");
}

TEST(ConfigRead, BadEnumListsChoicesAndSuggests) {
  EXPECT_EQ(read_error("bad_enum.yaml"),
            fixture("bad_enum.yaml") +
                ":15:14: workload.algorithm: got 'rnig', expected one of 'ring', 'tree' or 'nvls' (did you mean "
                "'ring'?)");
}

TEST(ConfigRead, MalformedUnitSaysWhatTheUnitIs) {
  EXPECT_EQ(read_error("bad_unit.yaml"),
            fixture("bad_unit.yaml") +
                ":16:10: workload.bytes: got '1 GHz', expected a data size such as '80 GiB' or '1.5 TB' (unit 'GHz' "
                "is a frequency)");
}

TEST(ConfigRead, ListItemsHaveTheirOwnPosition) {
  EXPECT_HAS(read_error("bad_list_item.yaml"), "bad_list_item.yaml:17:18: workload.sizes[1]: got '64 MB/s'");
}

TEST(ConfigRead, DocumentFinishCatchesMapsNobodyFinished) {
  const auto doc = ConfigDocument::load_string("a:\n  b: 1\n  c: 2\n", "t.yaml");
  EXPECT_EQ(doc.root().child("a").get_int("b"), 1);
  doc.root().finish();  // the root's only key was read
  EXPECT_EQ(error_of([&] { doc.finish(); }), "t.yaml:3:3: a: unknown key 'c' (known keys here: 'b')");
}

TEST(ConfigRead, UnknownTopLevelKey) {
  const auto r = root_of("name: x\nsed: 3\n");
  r.get_string("name");
  r.get_int_or("seed", 1);
  EXPECT_EQ(error_of([&] { r.finish(); }), "t.yaml:2:1: unknown key 'sed' at the top level (did you mean 'seed'?)");
}

TEST(ConfigRead, IntegersMustBeWholeAndUnquoted) {
  const auto r = root_of("a: 2.5\nb: 1e3\nc: \"7\"\nd: 99999999999999999999\ne: -4\n");
  EXPECT_HAS(error_of([&] { r.get_int("a"); }), "t.yaml:1:4: a: got '2.5', expected an integer (not a whole number)");
  EXPECT_EQ(r.get_int("b"), 1000);
  EXPECT_HAS(error_of([&] { r.get_int("c"); }), "got '7', expected an integer (it is quoted");
  EXPECT_HAS(error_of([&] { r.get_int("d"); }), "too large");
  EXPECT_EQ(r.get_int("e"), -4);
  EXPECT_HAS(error_of([&] { r.get_int("e", 0); }), "expected an integer of at least 0");
}

TEST(ConfigRead, NumbersAndBooleansAreStrict) {
  const auto r = root_of("x: .inf\ny: 0.25\nz: yes\nw: false\nv: 50 %\n");
  EXPECT_HAS(error_of([&] { r.get_number("x"); }), "x: got '.inf', expected a number");
  EXPECT_DOUBLE_EQ(r.get_number("y", 0, 1), 0.25);
  EXPECT_HAS(error_of([&] { r.get_number("y", 0.5, 1); }), "expected a number from 0.5 to 1");
  EXPECT_HAS(error_of([&] { r.get_bool("z"); }), "z: got 'yes', expected true or false");
  EXPECT_FALSE(r.get_bool("w"));
  EXPECT_HAS(error_of([&] { r.get_number("v"); }), "v: got '50 %', expected a number");
  EXPECT_DOUBLE_EQ(r.get_quantity("v", Dimension::dimensionless), 0.5);
}

TEST(ConfigRead, WrongShapes) {
  const auto r = root_of("m: {a: 1}\nl: [1, 2]\nn:\ns: text\n");
  EXPECT_HAS(error_of([&] { r.get_number("m"); }), "t.yaml:1:4: m: expected a number, got a mapping");
  EXPECT_HAS(error_of([&] { r.get_string("l"); }), "l: expected a string, got a list");
  EXPECT_HAS(error_of([&] { r.get_string("n"); }), "t.yaml:3:1: n: expected a string, got nothing (null)");
  EXPECT_HAS(error_of([&] { r.get_list("s"); }), "s: got 'text', expected a list");
  EXPECT_HAS(error_of([&] { r.child("s").get_int("x"); }), "s: got 'text', expected a mapping (with the key 'x')");
  // Defaults apply only to absent keys: an explicit null is a mistake, not a request for the default.
  EXPECT_HAS(error_of([&] { r.get_string_or("n", "fallback"); }), "n: expected a string, got nothing");
  EXPECT_EQ(r.get_string_or("absent", "fallback"), "fallback");
}

TEST(ConfigRead, QuantitiesAreNonNegativeUnlessAllowed) {
  const auto r = root_of("p: -5 W\nt: 5\nbw: 100 Gb/s\n");
  EXPECT_HAS(error_of([&] { r.get_quantity("p", Dimension::power); }), "p: got '-5 W', expected a power of at least 0 W");
  EXPECT_DOUBLE_EQ(r.get_quantity("p", Dimension::power, -1e3), -5);
  EXPECT_HAS(error_of([&] { r.get_quantity("t", Dimension::time); }),
             "t: got '5', expected a duration such as '5 us', '10 ms' or '2 h' (a bare number has no unit");
  EXPECT_HAS(error_of([&] { r.get_quantity("bw", Dimension::data_rate, 0, 10e9); }),
             "expected a data rate from 0 B/s to 10 GB/s");
  EXPECT_DOUBLE_EQ(r.get_quantity_or("absent", Dimension::time, 1e-6), 1e-6);
}

TEST(ConfigRead, FreeFormKeysAndFailAtANode) {
  const auto r = root_of("sweep:\n  workload.bytes: [1 MiB, 1 GiB]\n  seed: [1, 2]\n");
  const auto sweep = r.child("sweep");
  EXPECT_EQ(sweep.keys(), (std::vector<std::string>{"workload.bytes", "seed"}));
  const auto axis = sweep.child("workload.bytes");
  EXPECT_EQ(axis.path(), "sweep.workload.bytes");
  EXPECT_EQ(axis.items()[1].path(), "sweep.workload.bytes[1]");
  EXPECT_EQ(error_of([&] { axis.fail("tp*pp*dp = 48 does not divide the 64 GPUs", "change tp or dp"); }),
            "t.yaml:2:19: sweep.workload.bytes: tp*pp*dp = 48 does not divide the 64 GPUs (change tp or dp)");
  EXPECT_EQ(axis.location().line, 2);
}

TEST(ConfigRead, EnumChoicesFromACatalogList) {
  const std::vector<std::string> systems{"h100-hgx", "h200-hgx", "gb200-nvl72"};
  const auto r = root_of("system: gb200-nvl27\n");
  EXPECT_HAS(error_of([&] { r.get_enum("system", systems); }), "(did you mean 'gb200-nvl72'?)");
}

TEST(ConfigRead, OpaqueSubtreesAreNotCheckedByDocumentFinish) {
  const auto doc = ConfigDocument::load_string("overrides:\n  gpu.hbm_bandwidth: 6 TB/s\n", "t.yaml");
  const auto o = doc.root().child("overrides");
  EXPECT_TRUE(o.yaml().IsMap());
  EXPECT_NO_THROW(doc.finish());
}

}  // namespace
}  // namespace dcsim::app
