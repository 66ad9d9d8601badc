// Loading scenario files: every kind of broken file gets a ConfigError naming the file (and line where there is
// one), never a crash, a hang or a silent default.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "test_config_support.hpp"

namespace dcsim::app {
namespace {

using testing::error_of;
using testing::fixture;
namespace fs = std::filesystem;

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

// A scratch file that removes itself.
class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_(fs::temp_directory_path() / ("dcsim_cfg_" + std::to_string(::getpid()) + "_" + name)) {}
  ~TempFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const fs::path& path() const { return path_; }
  void write(const std::string& bytes) const { std::ofstream(path_, std::ios::binary) << bytes; }

 private:
  fs::path path_;
};

TEST(ConfigLoad, GoodFileReadsIntoSiValues) {
  const auto doc = ConfigDocument::load_file(fixture("good.yaml"));
  const auto s = testing::read_mini(doc);
  EXPECT_EQ(s.name, "allreduce-sweep");
  EXPECT_EQ(s.seed, 7);
  EXPECT_EQ(s.count, 4);
  EXPECT_DOUBLE_EQ(s.nic_bandwidth, 50e9);
  EXPECT_EQ(s.topology, "rail-optimized");
  EXPECT_EQ(s.network, "flow");
  EXPECT_DOUBLE_EQ(s.bytes, 1073741824.0);
  ASSERT_EQ(s.sizes.size(), 3u);
  EXPECT_DOUBLE_EQ(s.sizes[1], 64.0 * 1048576);
  EXPECT_TRUE(s.in_place);
  EXPECT_NO_THROW(doc.finish());
}

TEST(ConfigLoad, MissingFile) {
  const auto msg = error_of([] { ConfigDocument::load_file(fixture("no_such_scenario.yaml")); });
  EXPECT_HAS(msg, "no_such_scenario.yaml: no such file");
}

TEST(ConfigLoad, Directory) {
  const auto msg = error_of([] { ConfigDocument::load_file(fixture("")); });
  EXPECT_HAS(msg, "is a directory");
}

TEST(ConfigLoad, EmptyOrOnlyComments) {
  EXPECT_HAS(error_of([] { ConfigDocument::load_file(fixture("empty.yaml")); }), "empty.yaml: is empty");
  EXPECT_HAS(error_of([] { ConfigDocument::load_string("", "blank.yaml"); }), "blank.yaml: is empty");
  EXPECT_HAS(error_of([] { ConfigDocument::load_string("---\n", "dashes.yaml"); }), "dashes.yaml: is empty");
}

TEST(ConfigLoad, BinaryGarbage) {
  TempFile f("garbage.yaml");
  f.write(std::string("\x7f" "ELF\x02\x01\x01\0\0\0\0\0", 12));
  const auto msg = error_of([&] { ConfigDocument::load_file(f.path()); });
  EXPECT_HAS(msg, f.path().string() + ":1:8: contains NUL bytes");
}

TEST(ConfigLoad, InvalidUtf8AndControlCharacters) {
  EXPECT_HAS(error_of([] { ConfigDocument::load_string("name: ok\nsystem: caf\xe9\n", "latin1.yaml"); }),
             "latin1.yaml:2:12: is not valid UTF-8");
  EXPECT_HAS(error_of([] { ConfigDocument::load_string("name: a\x01", "ctl.yaml"); }),
             "ctl.yaml:1:8: contains the control character 0x01");
  // Valid UTF-8 and a byte-order mark are fine.
  EXPECT_NO_THROW(ConfigDocument::load_string("\xEF\xBB\xBFname: caf\xC3\xA9 \xE2\x9C\x93\n", "utf8.yaml"));
}

TEST(ConfigLoad, TooBigIsRefusedWithoutReading) {
  TempFile f("big.yaml");
  f.write("name: big\n");
  fs::resize_file(f.path(), ConfigDocument::kMaxBytes + (1u << 20));  // sparse: costs no disk or time
  const auto msg = error_of([&] { ConfigDocument::load_file(f.path()); });
  EXPECT_HAS(msg, f.path().string() + ": file is 17 MiB, larger than the 16 MiB limit");
}

TEST(ConfigLoad, SyntaxErrorHasLineAndColumn) {
  const auto msg = error_of([] { ConfigDocument::load_file(fixture("syntax_error.yaml")); });
  EXPECT_HAS(msg, "syntax_error.yaml:16:");
  EXPECT_HAS(msg, "YAML syntax error");
}

TEST(ConfigLoad, StrayCommaIsASyntaxErrorNotAnEndlessLoop) {
  // yaml-cpp 0.7's LoadAll loops forever on these, allocating as it goes.
  EXPECT_HAS(error_of([] { ConfigDocument::load_string(", a\n", "comma.yaml"); }),
             "comma.yaml:1:1: YAML syntax error: unexpected ','");
  EXPECT_HAS(error_of([] { ConfigDocument::load_string("name: x\n- a\n,\n", "comma2.yaml"); }), "comma2.yaml:");
  EXPECT_HAS(error_of([] { ConfigDocument::load_string("- a\n,\n", "comma3.yaml"); }),
             "comma3.yaml:2:1: YAML syntax error: unexpected ','");
}

TEST(ConfigLoad, TopLevelMustBeOneMapping) {
  EXPECT_HAS(error_of([] { ConfigDocument::load_file(fixture("top_level_list.yaml")); }),
             "top_level_list.yaml:1:1: the top level is a list, expected a mapping");
  EXPECT_HAS(error_of([] { ConfigDocument::load_string("just words", "scalar.yaml"); }),
             "the top level is a single value");
  EXPECT_HAS(error_of([] { ConfigDocument::load_file(fixture("two_documents.yaml")); }),
             "two_documents.yaml:3:1: contains more than one YAML document");
}

TEST(ConfigLoad, DuplicateKeyNamesBothLines) {
  const auto msg = error_of([] { ConfigDocument::load_file(fixture("duplicate_key.yaml")); });
  EXPECT_HAS(msg, "duplicate_key.yaml:19:3: workload: duplicate key 'bytes' (first at line 16");
}

TEST(ConfigLoad, OddKeysAreRejected) {
  EXPECT_HAS(error_of([] { ConfigDocument::load_string("? [a, b]\n: 1\n", "k.yaml"); }),
             "k.yaml:1:3: a key is a list, expected a plain name");
  EXPECT_HAS(error_of([] { ConfigDocument::load_string("base: &b {x: 1}\nmine:\n  <<: *b\n", "m.yaml"); }),
             "m.yaml:3:3: mine: YAML merge keys ('<<') are not supported");
}

TEST(ConfigLoad, AliasesWorkButBombsAndCyclesStop) {
  const auto doc = ConfigDocument::load_string("a: &x {n: 1}\nb: *x\n", "alias.yaml");
  EXPECT_EQ(doc.root().child("b").get_int("n"), 1);

  const auto start = std::chrono::steady_clock::now();
  EXPECT_HAS(error_of([] { ConfigDocument::load_file(fixture("alias_bomb.yaml")); }),
             "expands to more than 1000000 nodes");
  // The walk stops at the node limit: a bounded time, not the billions of nodes the bomb expands to. The bound is
  // loose because CI also runs this under AddressSanitizer on a busy 2-core machine (2 s there).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_HAS(error_of([] { ConfigDocument::load_file(fixture("alias_cycle.yaml")); }), "nesting is deeper than 64");
}

TEST(ConfigLoad, DeepNestingIsAnErrorNotACrash) {
  const std::string deep = "a: " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  EXPECT_HAS(error_of([&] { ConfigDocument::load_string(deep, "deep.yaml"); }), "deep.yaml");
}

}  // namespace
}  // namespace dcsim::app
