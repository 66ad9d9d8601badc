// nccl-tests parity: the size range, dtype alignment and the printed table of `workload.kind: collective`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "app/catalog.hpp"
#include "app/config/error.hpp"
#include "app/nccl_table.hpp"
#include "app/scenario.hpp"

namespace dcsim::app {
namespace {

Catalog repo_catalog() { return Catalog(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs"); }

class NcclParity : public ::testing::Test {
 protected:
  Scenario load(const std::string& workload) {
    path_ = std::filesystem::temp_directory_path() /
            ("dcsim_nccl_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".yaml");
    std::ofstream(path_) << "name: t\nhardware: {system: h100-hgx, count: 1}\nworkload: {kind: collective, " << workload
                         << "}\n";
    return load_scenario({path_, {}, {}}, repo_catalog());
  }
  std::string error_of(const std::string& workload) {
    try {
      load(workload);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_;
};

TEST_F(NcclParity, RangeFollowsNcclTestsLoop) {
  // -b 8 -e 1K -f 2: 8, 16, ..., 1024 (8 sizes); -b 1M -e 3M -i 1M: 1, 2, 3 MiB.
  const Scenario s = load("op: all_reduce, min_bytes: 8 B, max_bytes: 1 KiB, step_factor: 2");
  ASSERT_EQ(s.collective.bytes.size(), 8u);
  EXPECT_DOUBLE_EQ(s.collective.bytes.front(), 8);
  EXPECT_DOUBLE_EQ(s.collective.bytes.back(), 1024);
  const Scenario t = load("op: all_reduce, min_bytes: 1 MiB, max_bytes: 3 MiB, step_bytes: 1 MiB");
  ASSERT_EQ(t.collective.bytes.size(), 3u);
  EXPECT_DOUBLE_EQ(t.collective.bytes[2], 3 * 1048576.0);
}

TEST_F(NcclParity, SplitCollectivesRoundToWholeElementsPerRank) {
  // all_gather of 1000 B of float on 8 ranks: 250 elements -> 31 per rank -> 992 B; sizes below 8 floats are
  // empty collectives and left out of a range, like nccl-tests' zero-byte rows.
  const Scenario s = load("op: all_gather, min_bytes: 8 B, max_bytes: 1000 B, step_factor: 5");
  ASSERT_EQ(s.collective.bytes.size(), 3u);  // 8 B (empty), 40 B -> 32 B, 200 B -> 192 B, 1000 B -> 992 B
  EXPECT_DOUBLE_EQ(s.collective.bytes[0], 32);
  EXPECT_DOUBLE_EQ(s.collective.bytes[2], 992);
  EXPECT_EQ(wl::nccl_count("all_gather", 992, 8, 4), 31);
  EXPECT_EQ(wl::nccl_count("all_reduce", 992, 8, 4), 248);
  EXPECT_DOUBLE_EQ(wl::nccl_aligned_bytes("all_reduce", 1001, 8, 2), 1000);
  EXPECT_DOUBLE_EQ(wl::nccl_aligned_bytes("all_to_all", 1001, 8, 2), 992);
}

TEST_F(NcclParity, DtypeAndRedopAreCheckedAndReported) {
  const Scenario s = load("op: reduce_scatter, bytes: 1 MiB, dtype: bfloat16, redop: max");
  EXPECT_EQ(s.collective.element_bytes, 2);
  EXPECT_EQ(s.collective.redop, "max");
  EXPECT_EQ(load("op: all_gather, bytes: 1 MiB").collective.redop, "none");
  EXPECT_NE(error_of("op: all_gather, bytes: 1 MiB, redop: sum").find("all_gather does not reduce"),
            std::string::npos);
  EXPECT_NE(error_of("op: all_reduce, bytes: 1 MiB, dtype: float32").find("workload.dtype"), std::string::npos);
}

TEST_F(NcclParity, RangeErrorsNameTheKey) {
  EXPECT_NE(error_of("op: all_reduce, bytes: 1 MiB, min_bytes: 8 B").find("not both"), std::string::npos);
  EXPECT_NE(error_of("op: all_reduce, max_bytes: 1 MiB").find("missing required key 'min_bytes'"), std::string::npos);
  EXPECT_NE(error_of("op: all_reduce, min_bytes: 2 MiB, max_bytes: 1 MiB").find("workload.max_bytes"),
            std::string::npos);
  EXPECT_NE(error_of("op: all_reduce, min_bytes: 8 B, max_bytes: 1 GiB, step_bytes: 8 B").find("more than 4096"),
            std::string::npos);
  EXPECT_NE(error_of("op: all_gather, bytes: 8 B").find("one float element per rank (32 B here)"), std::string::npos);
}

TEST(NcclTable, RowsFollowNcclTestsColumns) {
  wl::CollectiveWorkload w;
  w.op = "all_gather";
  w.gpus = 8;
  w.redop = "none";
  w.bytes = {1024, 1048576};
  wl::RunResult r;
  r.metrics.set("by_size.1024.time_s", 12.346e-6);
  r.metrics.set("by_size.1024.algbw_gbs", 0.08);
  r.metrics.set("by_size.1024.busbw_gbs", 0.07);
  r.metrics.set("by_size.1048576.time_s", 123.46e-6);
  r.metrics.set("by_size.1048576.algbw_gbs", 8.49);
  r.metrics.set("by_size.1048576.busbw_gbs", 7.43);
  const std::string table = format_nccl_tests(w, r);
  EXPECT_NE(table.find("        1024            32     float    none      -1    12.35    0.08    0.07    N/A"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("     1048576         32768     float    none      -1    123.5    8.49    7.43    N/A"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("# Avg bus bandwidth    : 3.75 \n"), std::string::npos) << table;
}

}  // namespace
}  // namespace dcsim::app
