#include "app/model_catalog.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <system_error>
#include <variant>

#include <nlohmann/json.hpp>

#include "app/errors.hpp"
#include "app/schema/reader.hpp"
#include "app/schema/scenario_keys.hpp"
#include "workloads/model_ops.hpp"

namespace dcsim::app {
namespace {

namespace fs = std::filesystem;
using i64 = std::int64_t;

std::string str(i64 v) { return std::to_string(v); }

using schema::Bounds;
using schema::Reader;

wl::AttentionKind parse_attention(const Reader& n) {
  const std::string a = n.choice("attention");
  if (a == "mha") return wl::AttentionKind::mha;
  if (a == "mqa") return wl::AttentionKind::mqa;
  if (a == "mla") return wl::AttentionKind::mla;
  return wl::AttentionKind::gqa;
}

wl::FfnKind parse_ffn(const Reader& n) {
  const std::string f = n.choice("ffn");
  if (f == "geglu") return wl::FfnKind::geglu;
  if (f == "gelu") return wl::FfnKind::gelu;
  if (f == "relu") return wl::FfnKind::relu;
  return wl::FfnKind::swiglu;
}

void parse_heads(const Reader& n, wl::ModelSpec& m) {
  if (m.attention == wl::AttentionKind::mla) {
    for (const char* key : {"kv_heads", "head_dim"}) {
      if (n.has(key)) {
        n.at(key).fail("MLA has no " + std::string(key) +
                       ": its widths are mla.qk_nope_head_dim, qk_rope_head_dim and v_head_dim; remove this key");
      }
    }
    return;
  }
  const Bounds at_most_heads{1, static_cast<double>(m.heads)};
  if (m.attention == wl::AttentionKind::gqa) {
    m.kv_heads = n.value("kv_heads").integer(at_most_heads);
  } else {
    m.kv_heads = n.integer_if("kv_heads", at_most_heads).value_or(m.attention == wl::AttentionKind::mqa ? 1 : m.heads);
  }
  if (m.heads % m.kv_heads != 0) {
    n.at("kv_heads").fail_value("a divisor of heads (" + str(m.heads) + ")",
                                "each key/value head serves the same number of query heads");
  }
  if (m.attention == wl::AttentionKind::mha && m.kv_heads != m.heads) {
    n.at("kv_heads").fail_value(str(m.heads) + " (= heads) for attention: mha", "or set attention: gqa");
  }
  if (m.attention == wl::AttentionKind::mqa && m.kv_heads != 1) {
    n.at("kv_heads").fail_value("1 for attention: mqa", "or set attention: gqa");
  }
  if (const auto head_dim = n.integer_if("head_dim")) {
    m.head_dim = *head_dim;
  } else if (m.hidden % m.heads != 0) {
    n.at("heads").fail("hidden (" + str(m.hidden) + ") is not a multiple of heads (" + str(m.heads) +
                       "): give head_dim explicitly");
  } else {
    m.head_dim = m.hidden / m.heads;
  }
}

wl::MlaSpec parse_mla(const Reader& n) {
  wl::MlaSpec a;
  a.q_lora_rank = n.integer("q_lora_rank");
  a.kv_lora_rank = n.integer("kv_lora_rank");
  a.qk_nope_head_dim = n.integer("qk_nope_head_dim");
  a.qk_rope_head_dim = n.integer("qk_rope_head_dim");
  a.v_head_dim = n.integer("v_head_dim");
  n.finish();
  return a;
}

wl::MoeSpec parse_moe(const Reader& n, const wl::ModelSpec& m) {
  wl::MoeSpec e;
  e.experts = n.integer("experts");
  e.top_k = n.integer("top_k");
  if (e.top_k > e.experts) n.at("top_k").fail_value("at most experts (" + str(e.experts) + ")");
  e.shared_experts = n.integer("shared_experts");
  e.first_dense_layers = n.integer("first_dense_layers", Bounds{0, static_cast<double>(m.layers - 1)});
  e.expert_load_cv = n.number("expert_load_cv");
  if (const auto width = n.integer_if("ffn_hidden")) {
    e.ffn_hidden = *width;
  } else if (m.ffn_hidden > 0) {
    e.ffn_hidden = m.ffn_hidden;
  } else {
    n.fail("missing required key 'ffn_hidden' (the width of one routed expert; or give a top-level ffn_hidden)");
  }
  e.shared_ffn_hidden = n.integer_if("shared_ffn_hidden").value_or(e.ffn_hidden);
  n.finish();
  return e;
}

wl::SlidingWindowSpec parse_sliding(const Reader& n, const wl::ModelSpec& m) {
  wl::SlidingWindowSpec s;
  s.window = n.integer("window", Bounds{1, static_cast<double>(m.max_context)});
  s.full_attention_every = n.integer("full_attention_every", Bounds{1, static_cast<double>(m.layers)});
  n.finish();
  return s;
}

// --- show -------------------------------------------------------------------------------------------------------

// One line of the table; JSON gets the number (SI, raw count) or the text.
struct Row {
  std::string key;
  std::variant<double, std::string, bool> value;
  std::string text;  // table form
};

class Rows {
 public:
  void text(std::string key, std::string v) { rows_.push_back({std::move(key), v, v}); }
  void flag(std::string key, bool v) { rows_.push_back({std::move(key), v, v ? "true" : "false"}); }
  void integer(std::string key, i64 v) { rows_.push_back({std::move(key), static_cast<double>(v), str(v)}); }
  void count(std::string key, double v) { rows_.push_back({std::move(key), v, format_count(v)}); }
  void quantity(std::string key, double v, Dimension dim) {
    rows_.push_back({std::move(key), v, format_quantity(v, dim)});
  }
  const std::vector<Row>& rows() const { return rows_; }

 private:
  std::vector<Row> rows_;
};

Rows model_rows(const wl::ModelSpec& m) {
  Rows r;
  r.text("name", m.name);
  if (!m.description.empty()) r.text("description", m.description);
  r.text("attention", wl::to_string(m.attention));
  r.integer("layers", m.layers);
  r.integer("hidden", m.hidden);
  r.integer("heads", m.heads);
  if (m.attention == wl::AttentionKind::mla) {
    r.integer("mla.q_lora_rank", m.mla.q_lora_rank);
    r.integer("mla.kv_lora_rank", m.mla.kv_lora_rank);
    r.integer("mla.qk_nope_head_dim", m.mla.qk_nope_head_dim);
    r.integer("mla.qk_rope_head_dim", m.mla.qk_rope_head_dim);
    r.integer("mla.v_head_dim", m.mla.v_head_dim);
  } else {
    r.integer("kv_heads", m.kv_heads);
    r.integer("head_dim", m.head_dim);
  }
  r.text("ffn", wl::to_string(m.ffn));
  if (m.ffn_hidden > 0) r.integer("ffn_hidden", m.ffn_hidden);
  if (m.is_moe()) {
    r.integer("moe.experts", m.moe.experts);
    r.integer("moe.top_k", m.moe.top_k);
    r.integer("moe.shared_experts", m.moe.shared_experts);
    r.integer("moe.ffn_hidden", m.moe.ffn_hidden);
    if (m.moe.shared_experts > 0) r.integer("moe.shared_ffn_hidden", m.moe.shared_ffn_hidden);
    r.integer("moe.first_dense_layers", m.moe.first_dense_layers);
    r.count("moe.expert_load_cv", m.moe.expert_load_cv);
  }
  if (m.sliding.window > 0) {
    r.integer("sliding_window.window", m.sliding.window);
    r.integer("sliding_window.full_attention_every", m.sliding.full_attention_every);
  }
  r.integer("vocab", m.vocab);
  r.flag("tied_embeddings", m.tied_embeddings);
  r.integer("max_context", m.max_context);
  if (m.token_efficiency != 1) r.count("token_efficiency", m.token_efficiency);
  if (m.token_efficiency_sigma > 0) r.count("token_efficiency_sigma", m.token_efficiency_sigma);
  r.text("norm", wl::to_string(m.norm));
  r.text("position", wl::to_string(m.position));
  if (m.mtp_modules > 0) r.integer("mtp_modules", m.mtp_modules);
  const wl::ParamCounts p = m.param_counts();
  r.count("params.total", static_cast<double>(p.total()));
  r.count("params.active", static_cast<double>(p.active()));
  r.count("params.flop", static_cast<double>(m.flop_params()));
  if (p.mtp > 0) r.count("params.mtp", static_cast<double>(p.mtp));
  if (m.published_total_params > 0) r.count("published.total_params", m.published_total_params);
  if (m.published_active_params > 0) r.count("published.active_params", m.published_active_params);
  r.quantity("kv_bytes_per_token.bf16", m.kv_bytes_per_token(2), Dimension::data);
  r.quantity("kv_bytes_per_token.fp8", m.kv_bytes_per_token(1), Dimension::data);
  if (m.sliding.window > 0) {
    r.quantity("kv_bytes_bf16_at_max_context", m.kv_bytes(m.max_context, 2), Dimension::data);
  }
  r.quantity("training_flops_per_token.seq4096", wl::model_flops_per_token(m, 4096, wl::AttentionCount::full),
             Dimension::compute);
  r.quantity("training_flops_per_token.seq4096_causal",
             wl::model_flops_per_token(m, 4096, wl::AttentionCount::causal), Dimension::compute);
  r.flag("assumed", m.assumed);
  return r;
}

std::string render_table(const std::string& title, const Rows& rows) {
  std::ostringstream out;
  out << title << '\n';
  std::size_t width = 0;
  for (const auto& r : rows.rows()) width = std::max(width, r.key.size());
  for (const auto& r : rows.rows()) out << "  " << r.key << std::string(width - r.key.size() + 2, ' ') << r.text << '\n';
  return out.str();
}

std::string render_json(const Rows& rows) {
  nlohmann::ordered_json doc;
  doc["kind"] = "model";
  for (const auto& r : rows.rows()) {
    nlohmann::ordered_json* node = &doc;
    std::size_t start = 0;
    for (auto dot = r.key.find('.'); dot != std::string::npos; dot = r.key.find('.', start)) {
      node = &(*node)[r.key.substr(start, dot - start)];
      start = dot + 1;
    }
    std::visit([&](const auto& v) { (*node)[r.key.substr(start)] = v; }, r.value);
  }
  return doc.dump(2) + "\n";
}

}  // namespace

wl::ModelSpec parse_model(const ConfigNode& node) {
  const Reader n(node, schema::model_keys());
  (void)n.choice("kind");
  wl::ModelSpec m;
  m.name = n.text("name");
  if (m.name.empty()) n.at("name").fail_value("a non-empty model name");
  m.description = n.text("description");
  m.layers = n.integer("layers");
  m.hidden = n.integer("hidden");
  m.heads = n.integer("heads");
  m.attention = parse_attention(n);
  m.vocab = n.integer("vocab");
  m.max_context = n.integer("max_context");
  m.tied_embeddings = n.boolean("tied_embeddings");
  m.ffn = parse_ffn(n);
  m.norm = n.choice("norm") == "layernorm" ? wl::NormKind::layernorm : wl::NormKind::rmsnorm;
  m.position = n.choice("position") == "learned" ? wl::PositionKind::learned : wl::PositionKind::rope;
  m.attention_bias = n.boolean("attention_bias");
  m.ffn_bias = n.boolean("ffn_bias");
  m.mtp_modules = n.integer("mtp_modules");
  m.assumed = n.boolean("assumed");
  m.token_efficiency = n.number("token_efficiency");
  m.token_efficiency_sigma = n.number("token_efficiency_sigma");

  parse_heads(n, m);
  if (m.attention == wl::AttentionKind::mla) {
    m.mla = parse_mla(n.value("mla").section());
  } else if (n.has("mla")) {
    n.at("mla").fail("an mla block needs attention: mla; remove it or change attention");
  }

  m.ffn_hidden = n.integer_if("ffn_hidden").value_or(0);
  if (auto moe = n.section_if("moe")) m.moe = parse_moe(*moe, m);
  const bool all_moe = m.is_moe() && m.moe.first_dense_layers == 0;
  if (m.ffn_hidden == 0 && !all_moe) {
    (void)n.at("ffn_hidden");  // raises "missing required key": dense layers need a width
  }
  if (auto s = n.section_if("sliding_window")) m.sliding = parse_sliding(*s, m);

  if (auto pub = n.section_if("published")) {
    m.published_total_params = pub->number("total_params");
    m.published_active_params = pub->number("active_params");
    pub->finish();
  }
  n.finish();
  // Everything above is checked against its key; this is the net for what a future field might miss.
  if (const std::string problem = m.check(); !problem.empty()) n.fail(problem);
  return m;
}

std::filesystem::path model_path(const Catalog& catalog, std::string_view name) {
  return catalog.root() / "models" / (std::string(name) + ".yaml");
}

wl::ModelSpec load_model(const Catalog& catalog, std::string_view name) {
  std::error_code ec;
  if (name.empty() || name.find('/') != std::string_view::npos || !fs::is_regular_file(model_path(catalog, name), ec)) {
    throw BadInput("no model named '" + std::string(name) + "' in " + (catalog.root() / "models").string());
  }
  return catalog.parsed<wl::ModelSpec>("model", name, [&] {
    const ConfigDocument doc = ConfigDocument::load_file(model_path(catalog, name));
    const ConfigNode root = doc.root();
    root.child("kind");  // catalog files name their kind: a file copied into the wrong folder is caught
    const ConfigNode name_node = root.child("name");
    if (name_node.as_string() != name) name_node.fail_value("'" + std::string(name) + "' (catalog names are file stems)");
    wl::ModelSpec m = parse_model(root);
    doc.finish();
    return m;
  });
}

std::vector<std::string> model_names(const Catalog& catalog) {
  return catalog.parsed<std::vector<std::string>>("listing", "models", [&] {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(catalog.root() / "models", ec)) {
      if (entry.path().extension() == ".yaml") out.push_back(entry.path().stem().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  });
}

std::string format_count(double count) {
  static constexpr struct {
    double scale;
    const char* suffix;
  } kUnits[] = {{1e12, " trillion"}, {1e9, " billion"}, {1e6, " million"}, {1e3, " thousand"}};
  for (const auto& u : kUnits) {
    if (std::fabs(count) >= u.scale) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3g", count / u.scale);
      return buf + std::string(u.suffix);
    }
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", count);
  return buf;
}

std::string format_model(const wl::ModelSpec& m, bool json) {
  const Rows rows = model_rows(m);
  return json ? render_json(rows) : render_table("model " + m.name, rows);
}

}  // namespace dcsim::app
