// A model: written inline as `model:` in a scenario, and the files of the model catalog (configs/models/,
// docs/models.md).
#include "app/schema/scenario_keys.hpp"
#include "workloads/agents/agent_role.hpp"

namespace dcsim::app::schema {
namespace {

constexpr std::int64_t kMaxDim = 1'000'000;  // widths: far above any model, low enough to keep counts in int64

SectionPtr mla_keys() {
  static const SectionPtr s = make_section(
      "model.mla", "Multi-head latent attention's widths (DeepSeek-V2/V3).",
      {integer("q_lora_rank", 0, kMaxDim).or_default(0).describe("query compression rank (0: queries uncompressed)"),
       integer("kv_lora_rank", 1, kMaxDim).describe("the compressed KV latent's width (what the KV cache holds)"),
       integer("qk_nope_head_dim", 1, kMaxDim).describe("per-head query/key width without rotary position"),
       integer("qk_rope_head_dim", 1, kMaxDim).describe("per-head rotary query/key width (shared key part cached)"),
       integer("v_head_dim", 1, kMaxDim).describe("per-head value width")});
  return s;
}

SectionPtr moe_keys() {
  static const SectionPtr s = make_section(
      "model.moe", "Mixture of experts: routed experts in place of the dense MLP.",
      {integer("experts", 1, 100'000).describe("routed experts per MoE layer"),
       integer("top_k", 1, 100'000).describe("experts each token is routed to").rule_("at most experts"),
       integer("shared_experts", 0, 1000).or_default(0).describe("experts every token goes through"),
       integer("first_dense_layers", 0, 10'000)
           .or_default(0)
           .describe("leading layers with a dense MLP instead of experts")
           .rule_("less than layers"),
       number("expert_load_cv", 0, 100)
           .describe("coefficient of variation of tokens per expert (measured routing skew; docs/serving.md, "
                     "Expert load)"),
       integer("ffn_hidden", 1, kMaxDim)
           .computed("the model's ffn_hidden")
           .describe("one routed expert's MLP width")
           .rule_("required when the model has no ffn_hidden"),
       integer("shared_ffn_hidden", 1, kMaxDim)
           .computed("the routed experts' ffn_hidden")
           .describe("one shared expert's MLP width")});
  return s;
}

SectionPtr sliding_keys() {
  static const SectionPtr s = make_section(
      "model.sliding_window", "Sliding-window attention on most layers (gpt-oss, Mistral).",
      {integer("window", 1, 1'000'000'000).describe("tokens a windowed layer attends to").rule_("at most max_context"),
       integer("full_attention_every", 1, 10'000)
           .describe("every this-many-th layer attends to the full context")
           .rule_("at most layers")});
  return s;
}

SectionPtr published_keys() {
  static const SectionPtr s = make_section(
      "model.published", "The parameter counts the model's authors publish, checked against the counted ones.",
      {number("total_params", 0, 1e15).or_default(0.0).describe("published total parameters (0: none)"),
       number("active_params", 0, 1e15).or_default(0.0).describe("published parameters active per token (0: none)")});
  return s;
}

}  // namespace

SectionPtr model_keys() {
  static const SectionPtr s = make_section(
      "model", "A transformer's architecture (docs/models.md): written inline, or a file of the model catalog.",
      {choice("kind", {"model"}).or_default("model").describe("catalog files name their kind"),
       text("name").describe("the model's name").rule_("non-empty; a catalog file's name is its file stem"),
       text("description").or_default("").describe("one line on what the model is"),
       integer("layers", 1, 10'000).describe("transformer blocks"),
       integer("hidden", 1, kMaxDim).describe("model width"),
       integer("heads", 1, kMaxDim).describe("attention query heads"),
       choice("attention", {"mha", "gqa", "mqa", "mla"})
           .describe("multi-head, grouped-query, multi-query or multi-head latent attention"),
       integer("kv_heads", 1, kMaxDim)
           .computed("heads for mha, 1 for mqa; required for gqa")
           .describe("key/value heads")
           .rule_("divides heads; not with mla"),
       integer("head_dim", 1, kMaxDim)
           .computed("hidden / heads")
           .describe("per-head width")
           .rule_("required when heads does not divide hidden; not with mla"),
       integer("vocab", 1, 100'000'000).describe("vocabulary size"),
       integer("max_context", 1, 1'000'000'000).describe("longest context the model takes, in tokens"),
       boolean("tied_embeddings").or_default(false).describe("the LM head shares the input embedding's weights"),
       choice("ffn", {"swiglu", "geglu", "gelu", "relu"}).describe("the MLP's activation (gated: swiglu, geglu)"),
       choice("norm", {"rmsnorm", "layernorm"}).or_default("rmsnorm").describe("normalisation"),
       choice("position", {"rope", "learned"}).or_default("rope").describe("position encoding"),
       boolean("attention_bias").or_default(false).describe("the attention projections have biases"),
       boolean("ffn_bias").or_default(false).describe("the MLP projections have biases"),
       integer("mtp_modules", 0, 100).or_default(0).describe("multi-token-prediction modules (DeepSeek-V3: 1)"),
       boolean("assumed").or_default(false).describe("the architecture is assumed, not published"),
       number("token_efficiency", wl::kMinTokenEfficiency, wl::kMaxTokenEfficiency)
           .or_default(1.0)
           .describe("generated tokens per task for equal quality, relative to a reference model (agents scale "
                     "output and summary lengths by it; 0.5: the same result with half the tokens)"),
       number("token_efficiency_sigma", 0, 10)
           .or_default(0.0)
           .describe("the factor's spread from task to task: agents draw each task's from a lognormal of median "
                     "token_efficiency and this sigma (0: a fixed factor)"),
       section("mla", mla_keys())
           .optional("required with attention: mla, refused otherwise")
           .describe("multi-head latent attention's widths")
           .when_("attention: mla"),
       integer("ffn_hidden", 1, kMaxDim)
           .computed("required unless every layer is MoE")
           .describe("the dense MLP's width"),
       section("moe", moe_keys()).optional("a dense model").describe("mixture of experts"),
       section("sliding_window", sliding_keys()).optional("full attention on every layer")
           .describe("sliding-window attention"),
       section("published", published_keys()).optional("no published counts").describe("published parameter counts")});
  return s;
}

}  // namespace dcsim::app::schema
