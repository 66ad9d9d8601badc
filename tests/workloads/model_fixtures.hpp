// Hand-built models shared by the workload tests.
#pragma once

#include <cstdint>

#include "workloads/model.hpp"

namespace dcsim::wl::testing {

// A Megatron GPT as Narayanan et al. 2021 count it: MHA, FFN 4h GELU, biases, LayerNorm, learned positions, tied.
inline ModelSpec megatron_gpt(std::int64_t layers, std::int64_t hidden, std::int64_t heads, std::int64_t vocab,
                              std::int64_t max_context = 2048) {
  ModelSpec m;
  m.name = "gpt";
  m.layers = layers;
  m.hidden = hidden;
  m.heads = heads;
  m.kv_heads = heads;
  m.head_dim = hidden / heads;
  m.attention = AttentionKind::mha;
  m.ffn = FfnKind::gelu;
  m.ffn_hidden = 4 * hidden;
  m.vocab = vocab;
  m.tied_embeddings = true;
  m.max_context = max_context;
  m.norm = NormKind::layernorm;
  m.position = PositionKind::learned;
  m.attention_bias = true;
  m.ffn_bias = true;
  return m;
}

// A Llama-style model as ModelSpec defaults describe it: GQA (head_dim = hidden / heads), SwiGLU FFN, RMSNorm,
// RoPE, untied embeddings.
inline ModelSpec llama_like(std::int64_t layers, std::int64_t hidden, std::int64_t heads, std::int64_t kv_heads,
                            std::int64_t ffn_hidden, std::int64_t vocab, std::int64_t max_context) {
  ModelSpec m;
  m.name = "tiny";
  m.layers = layers;
  m.hidden = hidden;
  m.heads = heads;
  m.kv_heads = kv_heads;
  m.head_dim = hidden / heads;
  m.attention = AttentionKind::gqa;
  m.ffn = FfnKind::swiglu;
  m.ffn_hidden = ffn_hidden;
  m.vocab = vocab;
  m.max_context = max_context;
  return m;
}

}  // namespace dcsim::wl::testing
