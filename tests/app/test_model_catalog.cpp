// The model catalog: every configs/models file loads, parameter counts match the published totals, KV bytes match
// calibration/agents.yaml, and a bad model file is reported at its line and key.
#include <gtest/gtest.h>

#include <fstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "app/config/error.hpp"
#include "app/errors.hpp"
#include "app/model_catalog.hpp"
#include "workloads/model_ops.hpp"
#include "test_config_support.hpp"

namespace dcsim::app {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

Catalog repo_catalog() { return Catalog(fs::path(DCSIM_SOURCE_DIR) / "configs"); }

TEST(ModelCatalog, EveryModelLoadsAndMatchesItsPublishedFigures) {
  const Catalog c = repo_catalog();
  const std::vector<std::string> names = model_names(c);
  EXPECT_GE(names.size(), 17u);
  for (const auto& name : names) {
    wl::ModelSpec m;
    ASSERT_NO_THROW(m = load_model(c, name)) << name;
    EXPECT_EQ(m.name, name);
    EXPECT_EQ(m.check(), "") << name;
    // Every published total within 2% (GPT-3's 175.0B is 174.6B exactly; Narayanan's 1.7B is 1.65B: 3%).
    const double tol = name == "gpt-1.7b" ? 0.035 : 0.02;
    if (m.published_total_params > 0) {
      EXPECT_NEAR(static_cast<double>(m.total_params()) / m.published_total_params, 1, tol) << name;
    }
  }
}

struct Published {
  const char* name;
  double total, total_tol, active, active_tol;  // relative tolerances
};

TEST(ModelCatalog, ParamCountsAgainstPublishedTotals) {
  const Catalog c = repo_catalog();
  const Published table[] = {
      {"llama3-8b", 8.030261248e9, 1e-12, 8.030261248e9, 1e-12},       // HF safetensors, exact
      {"llama3-70b", 70.553706496e9, 1e-12, 70.553706496e9, 1e-12},    // HF, exact
      {"llama3-405b", 405.8533888e9, 1e-12, 405.8533888e9, 1e-12},     // HF, exact
      {"llama2-70b", 68.976648192e9, 1e-12, 68.976648192e9, 1e-12},    // HF, exact
      {"gpt3-175b", 174.6e9, 0.001, 174.6e9, 0.001},                   // Brown 2020: "175.0B"
      {"gpt-145.6b", 145.6e9, 0.001, 145.6e9, 0.001},                  // Narayanan 2021 Table 1
      {"gpt-530b", 529.6e9, 0.001, 529.6e9, 0.001},                    // Narayanan 2021 Table 1
      {"gpt-1t", 1008.0e9, 0.001, 1008.0e9, 0.001},                    // Narayanan 2021 Table 1
      {"gpt-18.4b", 18.4e9, 0.01, 18.4e9, 0.01},                       // Narayanan 2021 Table 1
      {"mixtral-8x7b", 46.702792704e9, 1e-12, 12.9e9, 0.01},           // HF exact; Mistral: 12.9B active
      {"deepseek-v3", 671e9, 0.01, 37e9, 0.02},                        // DeepSeek-V3 report
      {"deepseek-r1", 671e9, 0.01, 37e9, 0.02},
      {"gpt-oss-120b", 116.83e9, 0.002, 5.13e9 + 0.579e9, 0.01},       // model card; active + input embedding
      {"gpt-moe-1.8t", 1.8e12, 0.02, 0, 0},                            // GTC 2024 (architecture assumed)
  };
  for (const Published& p : table) {
    const wl::ModelSpec m = load_model(c, p.name);
    EXPECT_NEAR(static_cast<double>(m.total_params()) / p.total, 1, p.total_tol) << p.name;
    if (p.active > 0) {
      EXPECT_NEAR(static_cast<double>(m.active_params()) / p.active, 1, p.active_tol) << p.name;
    }
  }
  // OpenAI counts gpt-oss's active parameters without the input embedding: that is flop_params (5.13B).
  EXPECT_NEAR(static_cast<double>(load_model(c, "gpt-oss-120b").flop_params()) / 5.13e9, 1, 0.005);
  // DeepSeek-V3: the MTP module (a full MoE block plus its projection) is 11.7B apart from the 671B; the HF
  // checkpoint's 685B also stores copies of the embedding and head for it.
  const wl::ModelSpec ds = load_model(c, "deepseek-v3");
  EXPECT_NEAR(static_cast<double>(ds.param_counts().mtp) / 11.7e9, 1, 0.02);
}

TEST(ModelCatalog, KvBytesPerTokenMatchAgentsCalibration) {
  // calibration/agents.yaml kv_bytes_per_token_bf16.
  const Catalog c = repo_catalog();
  EXPECT_EQ(load_model(c, "llama3-8b").kv_bytes_per_token(2), 128 * 1024);
  EXPECT_EQ(load_model(c, "llama3-70b").kv_bytes_per_token(2), 320 * 1024);
  EXPECT_EQ(load_model(c, "llama3-405b").kv_bytes_per_token(2), 504 * 1024);
  EXPECT_EQ(load_model(c, "deepseek-v3").kv_bytes_per_token(2), 61 * (512 + 64) * 2);  // 70,272 B = 68.6 KiB
  // gpt-oss: half the layers keep 128 tokens only.
  const wl::ModelSpec oss = load_model(c, "gpt-oss-120b");
  EXPECT_EQ(oss.kv_bytes_per_token(2), 2 * 36 * 8 * 64 * 2);
  EXPECT_EQ(oss.kv_bytes(131072, 2), (18 * 131072 + 18 * 128) * 2.0 * 8 * 64 * 2);
}

TEST(ModelCatalog, TrainingFlopsOfLlama3IsSixNPlusAttention) {
  // Llama 3 405B at seq 8192: 6N = 6 * 403.8e9 (all but the input embedding) = 2.42e12 FLOPs per token;
  // attention 12 L S (q_width) = 12 * 126 * 8192 * 16384 = 2.03e11 (full count), 8% more.
  const wl::ModelSpec m = load_model(repo_catalog(), "llama3-405b");
  const double six_n = 6.0 * static_cast<double>(m.flop_params());
  EXPECT_NEAR(six_n, 6 * (405.8533888e9 - 128256.0 * 16384 - (2 * 126 + 1) * 16384.0), 1);
  EXPECT_NEAR(wl::model_flops_per_token(m, 8192) - six_n, 12.0 * 126 * 8192 * 16384, 1e3);
}

// A catalog in a temporary folder with one models/NAME.yaml.
class TempCatalog {
 public:
  TempCatalog() : root_(fs::temp_directory_path() / ("dcsim-model-test-" + std::to_string(::getpid()))) {
    fs::create_directories(root_ / "models");
  }
  ~TempCatalog() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  TempCatalog(const TempCatalog&) = delete;
  TempCatalog& operator=(const TempCatalog&) = delete;
  Catalog write(const std::string& name, const std::string& text) const {
    std::ofstream(root_ / "models" / (name + ".yaml")) << text;
    return Catalog(root_);
  }

 private:
  fs::path root_;
};

const char* kGood = R"(kind: model
name: m
layers: 4
hidden: 256
heads: 8
kv_heads: 2
attention: gqa
ffn: swiglu
ffn_hidden: 512
vocab: 1000
max_context: 4096
)";

std::string with(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

TEST(ModelCatalog, BadFilesNameTheirLineAndKey) {
  TempCatalog t;
  EXPECT_NO_THROW(load_model(t.write("m", kGood), "m"));

  std::string e = error_of([&] { load_model(t.write("m", with(kGood, "kv_heads: 2", "kv_heads: 3")), "m"); });
  EXPECT_NE(e.find("m.yaml:6:"), std::string::npos) << e;
  EXPECT_NE(e.find("kv_heads"), std::string::npos) << e;
  EXPECT_NE(e.find("a divisor of heads (8)"), std::string::npos) << e;

  e = error_of([&] { load_model(t.write("m", with(kGood, "layers: 4", "layer: 4")), "m"); });
  EXPECT_NE(e.find("layers"), std::string::npos) << e;

  e = error_of([&] { load_model(t.write("m", with(kGood, "vocab: 1000", "vocab: 1000\nexperts: 8")), "m"); });
  EXPECT_NE(e.find("experts"), std::string::npos) << e;
  EXPECT_NE(e.find(":11:"), std::string::npos) << e;

  e = error_of([&] {
    load_model(t.write("m", std::string(kGood) + "moe:\n  experts: 8\n  top_k: 9\n"), "m");
  });
  EXPECT_NE(e.find("moe.top_k"), std::string::npos) << e;
  EXPECT_NE(e.find("at most experts (8)"), std::string::npos) << e;

  e = error_of([&] { load_model(t.write("m", with(kGood, "attention: gqa", "attention: mla")), "m"); });
  EXPECT_NE(e.find("kv_heads"), std::string::npos) << e;

  e = error_of([&] { load_model(t.write("m", with(kGood, "ffn: swiglu", "ffn: swish")), "m"); });
  EXPECT_NE(e.find("ffn"), std::string::npos) << e;
  EXPECT_NE(e.find("swish"), std::string::npos) << e;

  e = error_of([&] { load_model(t.write("m", with(kGood, "name: m", "name: other")), "m"); });
  EXPECT_NE(e.find("file stems"), std::string::npos) << e;

  e = error_of([&] { load_model(t.write("m", with(kGood, "ffn_hidden: 512\n", "")), "m"); });
  EXPECT_NE(e.find("ffn_hidden"), std::string::npos) << e;

  e = error_of([&] {
    load_model(t.write("m", with(kGood, "heads: 8\nkv_heads: 2", "heads: 6\nkv_heads: 2")), "m");
  });
  EXPECT_NE(e.find("head_dim"), std::string::npos) << e;  // 256 / 6 is not whole
}

TEST(ModelCatalog, InlineModelNeedsNoKindAndAllMoeNeedsNoDenseWidth) {
  // An inline `model:` block of a scenario: no kind; every layer MoE, so only the expert width is given.
  const ConfigDocument doc = ConfigDocument::load_string(
      "name: inline\nlayers: 2\nhidden: 64\nheads: 4\nattention: mha\nffn: gelu\nvocab: 100\n"
      "max_context: 128\nmoe: {experts: 4, top_k: 1, ffn_hidden: 96, expert_load_cv: 0}\n",
      "scenario.yaml");
  const wl::ModelSpec m = parse_model(doc.root());
  EXPECT_EQ(m.kv_heads, 4);
  EXPECT_EQ(m.head_dim, 16);
  EXPECT_EQ(m.ffn_hidden, 0);
  EXPECT_EQ(m.moe.ffn_hidden, 96);
  EXPECT_EQ(m.param_counts().routed_experts, 2LL * 4 * 2 * 64 * 96);
  // Without any width the error names the key under moe.
  const std::string e = error_of([] {
    const ConfigDocument bad = ConfigDocument::load_string(
        "name: inline\nlayers: 2\nhidden: 64\nheads: 4\nattention: mha\nffn: gelu\nvocab: 100\n"
        "max_context: 128\nmoe: {experts: 4, top_k: 1, expert_load_cv: 0}\n",
        "scenario.yaml");
    parse_model(bad.root());
  });
  EXPECT_NE(e.find("moe: missing required key 'ffn_hidden' (the width of one routed expert"), std::string::npos) << e;
}

TEST(ModelCatalog, UnknownModelIsBadInputNamingTheFolder) {
  try {
    load_model(repo_catalog(), "llama9-1t");
    FAIL() << "no error";
  } catch (const BadInput& e) {
    EXPECT_NE(std::string(e.what()).find("llama9-1t"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("models"), std::string::npos) << e.what();
  }
}

TEST(ModelCatalog, ShowAsTableAndJson) {
  const wl::ModelSpec m = load_model(repo_catalog(), "llama3-8b");
  const std::string table = format_model(m, false);
  EXPECT_NE(table.find("params.total"), std::string::npos) << table;
  EXPECT_NE(table.find("8.03 billion"), std::string::npos) << table;
  EXPECT_NE(table.find("128 KiB"), std::string::npos) << table;
  const auto doc = nlohmann::json::parse(format_model(m, true));
  EXPECT_EQ(doc["kind"], "model");
  EXPECT_DOUBLE_EQ(doc["params"]["total"].get<double>(), 8030261248.0);
  EXPECT_DOUBLE_EQ(doc["kv_bytes_per_token"]["bf16"].get<double>(), 131072.0);
  EXPECT_EQ(doc["tied_embeddings"], false);
  // Words, not "B": a parameter count is not a size in bytes.
  EXPECT_EQ(format_count(671.0e9), "671 billion");
  EXPECT_EQ(format_count(1.8e12), "1.8 trillion");
}

}  // namespace
}  // namespace dcsim::app
