// ModelSpec: parameter counts, KV-cache bytes and consistency checks on hand-built specs (the catalog files are
// checked against published totals in tests/app/test_model_catalog.cpp).
#include <gtest/gtest.h>

#include "tests/workloads/model_fixtures.hpp"

#include "workloads/model.hpp"

namespace dcsim::wl {
namespace {

ModelSpec gpt(std::int64_t layers, std::int64_t hidden, std::int64_t heads, std::int64_t vocab, std::int64_t seq) {
  return testing::megatron_gpt(layers, hidden, heads, vocab, seq);
}

ModelSpec llama(std::int64_t layers, std::int64_t hidden, std::int64_t heads, std::int64_t kv_heads,
                std::int64_t ffn, std::int64_t vocab) {
  return testing::llama_like(layers, hidden, heads, kv_heads, ffn, vocab, 131072);
}

TEST(ModelSpec, GptParamsFollowNarayananEquation2) {
  // Narayanan 2021 eq. (2): P = 12 l h^2 (1 + 13/(12h) + (V + s)/(12 l h)); our count adds only the final
  // LayerNorm (2h), which the equation leaves out.
  for (auto [l, h, a] : {std::tuple{24, 2304, 24}, std::tuple{80, 12288, 96}, std::tuple{128, 25600, 160}}) {
    const ModelSpec m = gpt(l, h, a, 51200, 2048);
    const double L = l, H = h;
    const double eq2 = 12 * L * H * H * (1 + 13 / (12 * H) + (51200 + 2048) / (12 * L * H));
    EXPECT_NEAR(static_cast<double>(m.total_params()), eq2 + 2 * H, 0.5) << l;
    // N of 6N: 12 l h^2 + V h exactly.
    EXPECT_EQ(m.flop_params(), 12LL * l * h * h + 51200LL * h);
    EXPECT_EQ(m.active_params(), m.total_params());
  }
}

TEST(ModelSpec, Llama3ParamsMatchTheHuggingFaceCheckpoints) {
  // Exact counts of the HF safetensors (embed + lm_head + per layer q,k,v,o + gate,up,down + 2 RMSNorms + final norm).
  EXPECT_EQ(llama(32, 4096, 32, 8, 14336, 128256).total_params(), 8'030'261'248LL);
  EXPECT_EQ(llama(80, 8192, 64, 8, 28672, 128256).total_params(), 70'553'706'496LL);
  EXPECT_EQ(llama(126, 16384, 128, 8, 53248, 128256).total_params(), 405'853'388'800LL);
  EXPECT_EQ(llama(80, 8192, 64, 8, 28672, 32000).total_params(), 68'976'648'192LL);  // Llama 2 70B
}

TEST(ModelSpec, KvBytesPerTokenMatchAgentsCalibration) {
  // calibration/agents.yaml kv_bytes_per_token_bf16: llama-3.1-8b 128 KiB, llama-3-70b 320 KiB, llama-3.1-405b 504 KiB
  // = 2 (K and V) x layers x kv_heads x head_dim x 2 bytes.
  EXPECT_EQ(llama(32, 4096, 32, 8, 14336, 128256).kv_bytes_per_token(2), 128 * 1024);
  EXPECT_EQ(llama(80, 8192, 64, 8, 28672, 128256).kv_bytes_per_token(2), 320 * 1024);
  EXPECT_EQ(llama(126, 16384, 128, 8, 53248, 128256).kv_bytes_per_token(2), 504 * 1024);
  EXPECT_EQ(llama(32, 4096, 32, 8, 14336, 128256).kv_bytes_per_token(1), 64 * 1024);  // fp8 halves it
}

TEST(ModelSpec, MlaCachesTheLatentAndTheRopeKey) {
  ModelSpec m = llama(61, 7168, 128, 128, 18432, 129280);
  m.attention = AttentionKind::mla;
  m.mla = {1536, 512, 128, 64, 128};
  // 61 x (512 + 64) x 2 B = 70,272 B = 68.6 KiB ("~69KiB (MLA)" in calibration/agents.yaml).
  EXPECT_EQ(m.kv_bytes_per_token(2), 70'272);
}

TEST(ModelSpec, SlidingWindowLayersHoldAtMostTheWindow) {
  ModelSpec m = llama(4, 256, 4, 2, 512, 1000);
  m.sliding = {128, 2};  // layers 0 and 2 sliding, 1 and 3 full
  EXPECT_TRUE(m.layer_is_sliding(0));
  EXPECT_FALSE(m.layer_is_sliding(1));
  EXPECT_EQ(m.sliding_layers(), 2);
  const double per_layer_token = 2.0 * 2 * 64 * 2;  // K and V, 2 KV heads of 64, bf16
  EXPECT_DOUBLE_EQ(m.kv_bytes(100, 2), 4 * 100 * per_layer_token);
  EXPECT_DOUBLE_EQ(m.kv_bytes(1000, 2), (2 * 1000 + 2 * 128) * per_layer_token);
  EXPECT_DOUBLE_EQ(m.kv_bytes_per_token(2), 4 * per_layer_token);
}

TEST(ModelSpec, MoeActiveParamsCountTopKExperts) {
  ModelSpec m = llama(32, 4096, 32, 8, 14336, 32000);  // Mixtral 8x7B
  m.moe = {8, 2, 0, 14336, 14336, 0};
  const ParamCounts p = m.param_counts();
  EXPECT_EQ(p.routed_experts, 32LL * 8 * 3 * 4096 * 14336);
  EXPECT_EQ(p.routed_experts_active, 32LL * 2 * 3 * 4096 * 14336);
  EXPECT_EQ(p.router, 32LL * 8 * 4096);
  EXPECT_EQ(p.dense_ffn, 0);
  EXPECT_EQ(m.total_params(), 46'702'792'704LL);  // HF Mixtral-8x7B-v0.1 safetensors
  EXPECT_NEAR(static_cast<double>(m.active_params()), 12.9e9, 0.02 * 12.9e9);
}

TEST(ModelSpec, CheckNamesTheInconsistency) {
  ModelSpec m = llama(32, 4096, 32, 8, 14336, 128256);
  EXPECT_EQ(m.check(), "");
  m.kv_heads = 6;
  EXPECT_NE(m.check().find("not a multiple of kv_heads"), std::string::npos) << m.check();
  m.kv_heads = 8;
  m.moe = {8, 9, 0, 100, 100, 0};
  EXPECT_NE(m.check().find("top_k"), std::string::npos) << m.check();
  m.moe = {8, 2, 0, 100, 100, 32};
  EXPECT_NE(m.check().find("first_dense_layers"), std::string::npos) << m.check();
}

}  // namespace
}  // namespace dcsim::wl
