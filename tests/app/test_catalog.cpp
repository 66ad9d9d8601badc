// Every catalog entry loads and validates, names match files, and key figures match their sources.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "app/catalog.hpp"
#include "app/config/error.hpp"
#include "app/errors.hpp"

namespace dcsim::app {
namespace {

Catalog repo_catalog() { return Catalog(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs"); }

TEST(Catalog, EveryEntryOfEveryKindLoads) {
  const Catalog c = repo_catalog();
  int loaded = 0;
  for (const auto& name : c.names("gpu")) { EXPECT_NO_THROW(load_gpu(c, name)) << name; ++loaded; }
  for (const auto& name : c.names("cpu")) { EXPECT_NO_THROW(load_cpu(c, name)) << name; ++loaded; }
  for (const auto& name : c.names("nic")) { EXPECT_NO_THROW(load_nic(c, name)) << name; ++loaded; }
  for (const auto& name : c.names("switch")) { EXPECT_NO_THROW(load_switch(c, name)) << name; ++loaded; }
  for (const auto& name : c.names("optics")) { EXPECT_NO_THROW(load_optics(c, name)) << name; ++loaded; }
  for (const auto& name : c.names("storage")) { EXPECT_NO_THROW(load_storage(c, name)) << name; ++loaded; }
  for (const auto& name : c.names("system")) {
    hw::SystemSpec s;
    ASSERT_NO_THROW(s = load_system(c, name)) << name;
    // Every part a system names exists in the catalog.
    EXPECT_TRUE(c.contains("gpu", s.gpu)) << name << " gpu " << s.gpu;
    EXPECT_TRUE(c.contains("cpu", s.cpu)) << name << " cpu " << s.cpu;
    EXPECT_TRUE(c.contains("nic", s.nic)) << name << " nic " << s.nic;
    EXPECT_TRUE(c.contains("switch", s.scale_up.switch_name)) << name;
    EXPECT_TRUE(c.contains("switch", s.scale_out_switch)) << name;
    if (!s.scale_out_optics.empty()) {
      EXPECT_TRUE(c.contains("optics", s.scale_out_optics)) << name;
    }
    for (const auto& st : s.storage) EXPECT_TRUE(c.contains("storage", st)) << name << " storage " << st;
    ++loaded;
  }
  EXPECT_GE(loaded, 40);
}

TEST(Catalog, TheMissionSystemsArePresent) {
  const Catalog c = repo_catalog();
  for (const char* s : {"a100-hgx", "h800-hgx", "h100-hgx", "h200-hgx", "b200-hgx", "gb200-nvl72", "gb300-nvl72",
                        "vr-nvl72", "rubin-ultra-kyber", "feynman-photonic"}) {
    EXPECT_TRUE(c.contains("system", s)) << s;
  }
  for (const char* g : {"a100-sxm-80gb", "h800", "h100-sxm", "h200-sxm", "b200", "gb200", "gb300", "rubin",
                        "rubin-ultra", "feynman"}) {
    EXPECT_TRUE(c.contains("gpu", g)) << g;
  }
  for (const char* p : {"x86-host", "grace", "vera"}) EXPECT_TRUE(c.contains("cpu", p)) << p;
}

TEST(Catalog, H100FiguresMatchTheDatasheet) {
  const hw::GpuSpec g = load_gpu(repo_catalog(), "h100-sxm");
  EXPECT_NEAR(g.flops.bf16, 989.4e12, 1e12);
  EXPECT_NEAR(g.flops.fp8, 1978.9e12, 1e12);
  EXPECT_DOUBLE_EQ(g.hbm_capacity, 80e9);
  EXPECT_DOUBLE_EQ(g.hbm_bandwidth, 3.35e12);
  EXPECT_DOUBLE_EQ(g.nvlink_bandwidth, 450e9);
  EXPECT_DOUBLE_EQ(g.power.max, 700);
  EXPECT_NEAR(g.gemm_peak_fraction.bf16, 794.0 / 989.0, 0.005);  // calibration/microbench.yaml (MLE-A)
}

TEST(Catalog, SmCountsForTheWaveQuantizationTerm) {
  // Whitepaper SM counts (docs/hardware.md, "GEMM shape"); the wave term is off where a GPU leaves sm_count out.
  const Catalog c = repo_catalog();
  EXPECT_EQ(load_gpu(c, "a100-sxm-80gb").sm_count, 108);
  EXPECT_EQ(load_gpu(c, "h100-sxm").sm_count, 132);
  EXPECT_EQ(load_gpu(c, "h200-sxm").sm_count, 132);
  EXPECT_EQ(load_gpu(c, "b200").sm_count, 148);
  EXPECT_EQ(load_gpu(c, "gb200").sm_count, 148);
  EXPECT_EQ(load_gpu(c, "gb300").sm_count, 160);
}

TEST(Catalog, Nvl72SystemsShareOneDomainOf72) {
  const Catalog c = repo_catalog();
  for (const char* name : {"gb200-nvl72", "gb300-nvl72", "vr-nvl72"}) {
    const hw::SystemSpec s = load_system(c, name);
    EXPECT_EQ(s.gpus, 72) << name;
    EXPECT_EQ(s.scale_up.domain_gpus, 72) << name;
    EXPECT_EQ(s.gpus_per_node, 4) << name;  // compute trays: the rails of the scale-out fabric
  }
  EXPECT_EQ(load_system(c, "h100-hgx").gpus_per_node, 8);  // default: the system is one node
  const hw::SystemSpec k = load_system(c, "rubin-ultra-kyber");
  EXPECT_EQ(k.gpus, 144);
}

TEST(Catalog, UnknownEntryIsBadInputNamingTheFolder) {
  const Catalog c = repo_catalog();
  try {
    load_gpu(c, "h1000");
    FAIL() << "no error";
  } catch (const BadInput& e) {
    EXPECT_NE(std::string(e.what()).find("gpus"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("h1000"), std::string::npos) << e.what();
  }
}

TEST(Catalog, BadEntryNamesItsFileLineAndKey) {
  const auto doc = ConfigDocument::load_string(
      "kind: nic\nname: mynic\nbandwidth: 400 GHz\ntransport: roce\nlatency: 1 us\npower: 20 W\n", "configs/hw/nics/mynic.yaml");
  try {
    parse_nic(doc.root());
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("mynic.yaml:3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("bandwidth"), std::string::npos) << msg;
    EXPECT_NE(msg.find("400 GHz"), std::string::npos) << msg;
  }
}

// A catalog file's text, read from the source tree.
std::string catalog_text(const std::string& relative) {
  std::ifstream in(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs" / relative);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The same text with the first `from` replaced by `to` (empty when `from` is absent, so a test can assert it).
std::string with_edit(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) return {};
  return text.replace(at, from.size(), to);
}

TEST(Catalog, NodeSizeMustDivideTheSystem) {
  // The catalog's own gb200-nvl72 entry with 5 GPUs per node (72 is not a multiple of 5).
  const std::string text =
      with_edit(catalog_text("hw/systems/gb200-nvl72.yaml"), "gpus_per_node: 4", "gpus_per_node: 5");
  ASSERT_FALSE(text.empty());
  const auto doc = ConfigDocument::load_string(text, "configs/hw/systems/gb200-nvl72.yaml");
  try {
    parse_system(doc.root());
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("gpus_per_node"), std::string::npos) << msg;
    EXPECT_NE(msg.find("divisor of gpus (72)"), std::string::npos) << msg;
  }
}

TEST(Catalog, NameMustMatchTheFileStem) {
  const auto doc = ConfigDocument::load_string(
      "kind: nic\nname: other\nbandwidth: 400 Gb/s\nlatency: 1 us\npower: 20 W\n", "configs/hw/nics/mynic.yaml");
  EXPECT_THROW(parse_nic(doc.root()), ConfigError);
}

TEST(Catalog, RegionTunerVertexMustBeAPair) {
  // The catalog's efa-v4 entry with one vertex of its first all-reduce region given three coordinates.
  const std::string shipped_text = catalog_text("hw/nics/efa-v4.yaml");
  const std::string yaml = with_edit(shipped_text, "[393216, 16]", "[393216, 16, 3]");
  ASSERT_FALSE(yaml.empty());
  const auto doc = ConfigDocument::load_string(yaml, "configs/hw/nics/efa-v4.yaml");
  try {
    parse_nic(doc.root());
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("efa-v4.yaml:"), std::string::npos) << msg;
    EXPECT_NE(msg.find("nccl_region_tuner.all_reduce"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[bytes, ranks]"), std::string::npos) << msg;
  }
  // As shipped it loads: 5 all-reduce, 3 all-gather and 3 reduce-scatter regions at 8 ranks per node.
  const auto shipped = parse_nic(ConfigDocument::load_string(shipped_text, "configs/hw/nics/efa-v4.yaml").root());
  EXPECT_EQ(shipped.nccl_region_tuner.ranks_per_node, 8);
  EXPECT_EQ(shipped.nccl_region_tuner.regions.size(), 11u);
}

// A catalog folder of one NIC, written by the test (the shipped connectx-7 entry under another name).
struct OneNicCatalog {
  std::filesystem::path root = std::filesystem::temp_directory_path() /
                               ("dcsim-catalog-cache-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  OneNicCatalog() { std::filesystem::create_directories(root / "hw" / "nics"); }
  ~OneNicCatalog() { std::filesystem::remove_all(root); }
  void write(const std::string& text) const { std::ofstream(root / "hw" / "nics" / "mynic.yaml") << text; }
  static std::string nic(const std::string& bandwidth) {
    return with_edit(with_edit(catalog_text("hw/nics/connectx-7.yaml"), "name: connectx-7", "name: mynic"),
                     "bandwidth: 400 Gb/s", "bandwidth: " + bandwidth);
  }
};

TEST(Catalog, AnEntryIsParsedOncePerCatalog) {
  // A sweep's points read the same entries thousands of times (#19): the first parse answers every later call,
  // and copies of the catalog share it. The files are taken not to change during a run; editing one shows it.
  const OneNicCatalog dir;
  ASSERT_FALSE(OneNicCatalog::nic("400 Gb/s").empty());
  dir.write(OneNicCatalog::nic("400 Gb/s"));
  const Catalog c(dir.root);
  EXPECT_DOUBLE_EQ(load_nic(c, "mynic").bandwidth, 50e9);
  EXPECT_EQ(c.names("nic"), std::vector<std::string>{"mynic"});
  dir.write(OneNicCatalog::nic("800 Gb/s"));
  std::ofstream(dir.root / "hw" / "nics" / "other.yaml") << "kind: nic\n";
  EXPECT_DOUBLE_EQ(load_nic(c, "mynic").bandwidth, 50e9);  // the first parse
  const Catalog copy = c;  // NOLINT(performance-unnecessary-copy-initialization): copies share the parsed entries
  EXPECT_DOUBLE_EQ(load_nic(copy, "mynic").bandwidth, 50e9);
  EXPECT_EQ(copy.names("nic"), std::vector<std::string>{"mynic"});
  const Catalog fresh(dir.root);  // a new catalog reads the files as they are now
  EXPECT_DOUBLE_EQ(load_nic(fresh, "mynic").bandwidth, 100e9);
  EXPECT_EQ(fresh.names("nic"), (std::vector<std::string>{"mynic", "other"}));
}

TEST(Catalog, ABrokenEntryIsNotRemembered) {
  // A parse that fails is not kept: the same error every time, and a catalog that later finds the file mended
  // loads it.
  const OneNicCatalog dir;
  dir.write(OneNicCatalog::nic("400 GHz"));
  const Catalog c(dir.root);
  for (int k = 0; k < 2; ++k) {
    try {
      load_nic(c, "mynic");
      FAIL() << "no error";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("400 GHz"), std::string::npos) << e.what();
    }
  }
  dir.write(OneNicCatalog::nic("400 Gb/s"));
  EXPECT_DOUBLE_EQ(load_nic(c, "mynic").bandwidth, 50e9);
}

}  // namespace
}  // namespace dcsim::app
