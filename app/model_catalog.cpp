#include "app/model_catalog.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <system_error>
#include <variant>

#include <nlohmann/json.hpp>

#include "app/errors.hpp"
#include "workloads/model_ops.hpp"

namespace dcsim::app {
namespace {

namespace fs = std::filesystem;
using i64 = std::int64_t;

constexpr i64 kMaxDim = 1'000'000;  // widths and sizes: far above any model, low enough to keep counts in int64

std::string str(i64 v) { return std::to_string(v); }

wl::AttentionKind parse_attention(const ConfigNode& n) {
  const std::string a = n.get_enum("attention", {"mha", "gqa", "mqa", "mla"});
  if (a == "mha") return wl::AttentionKind::mha;
  if (a == "mqa") return wl::AttentionKind::mqa;
  if (a == "mla") return wl::AttentionKind::mla;
  return wl::AttentionKind::gqa;
}

wl::FfnKind parse_ffn(const ConfigNode& n) {
  const std::string f = n.get_enum("ffn", {"swiglu", "geglu", "gelu", "relu"});
  if (f == "geglu") return wl::FfnKind::geglu;
  if (f == "gelu") return wl::FfnKind::gelu;
  if (f == "relu") return wl::FfnKind::relu;
  return wl::FfnKind::swiglu;
}

void parse_heads(const ConfigNode& n, wl::ModelSpec& m) {
  if (m.attention == wl::AttentionKind::mla) {
    for (const char* key : {"kv_heads", "head_dim"}) {
      if (n.has(key)) {
        n.child(key).fail("MLA has no " + std::string(key) +
                          ": its widths are mla.qk_nope_head_dim, qk_rope_head_dim and v_head_dim; remove this key");
      }
    }
    return;
  }
  const i64 fallback_kv = m.attention == wl::AttentionKind::mqa ? 1 : m.heads;
  if (m.attention == wl::AttentionKind::gqa) {
    m.kv_heads = n.get_int("kv_heads", 1, m.heads);
  } else {
    m.kv_heads = n.get_int_or("kv_heads", fallback_kv, 1, m.heads);
  }
  if (m.heads % m.kv_heads != 0) {
    n.child("kv_heads").fail_value("a divisor of heads (" + str(m.heads) + ")",
                                   "each key/value head serves the same number of query heads");
  }
  if (m.attention == wl::AttentionKind::mha && m.kv_heads != m.heads) {
    n.child("kv_heads").fail_value(str(m.heads) + " (= heads) for attention: mha", "or set attention: gqa");
  }
  if (m.attention == wl::AttentionKind::mqa && m.kv_heads != 1) {
    n.child("kv_heads").fail_value("1 for attention: mqa", "or set attention: gqa");
  }
  if (n.has("head_dim")) {
    m.head_dim = n.get_int("head_dim", 1, kMaxDim);
  } else if (m.hidden % m.heads != 0) {
    n.child("heads").fail("hidden (" + str(m.hidden) + ") is not a multiple of heads (" + str(m.heads) +
                          "): give head_dim explicitly");
  } else {
    m.head_dim = m.hidden / m.heads;
  }
}

wl::MlaSpec parse_mla(const ConfigNode& n) {
  wl::MlaSpec a;
  a.q_lora_rank = n.get_int_or("q_lora_rank", 0, 0, kMaxDim);
  a.kv_lora_rank = n.get_int("kv_lora_rank", 1, kMaxDim);
  a.qk_nope_head_dim = n.get_int("qk_nope_head_dim", 1, kMaxDim);
  a.qk_rope_head_dim = n.get_int("qk_rope_head_dim", 1, kMaxDim);
  a.v_head_dim = n.get_int("v_head_dim", 1, kMaxDim);
  n.finish();
  return a;
}

wl::MoeSpec parse_moe(const ConfigNode& n, const wl::ModelSpec& m) {
  wl::MoeSpec e;
  e.experts = n.get_int("experts", 1, 100'000);
  e.top_k = n.get_int("top_k", 1, 100'000);
  if (e.top_k > e.experts) n.child("top_k").fail_value("at most experts (" + str(e.experts) + ")");
  e.shared_experts = n.get_int_or("shared_experts", 0, 0, 1000);
  e.first_dense_layers = n.get_int_or("first_dense_layers", 0, 0, m.layers - 1);
  e.expert_load_cv = n.get_number("expert_load_cv", 0, 100);
  if (n.has("ffn_hidden")) {
    e.ffn_hidden = n.get_int("ffn_hidden", 1, kMaxDim);
  } else if (m.ffn_hidden > 0) {
    e.ffn_hidden = m.ffn_hidden;
  } else {
    n.fail("missing required key 'ffn_hidden' (the width of one routed expert; or give a top-level ffn_hidden)");
  }
  e.shared_ffn_hidden = n.get_int_or("shared_ffn_hidden", e.ffn_hidden, 1, kMaxDim);
  n.finish();
  return e;
}

wl::SlidingWindowSpec parse_sliding(const ConfigNode& n, const wl::ModelSpec& m) {
  wl::SlidingWindowSpec s;
  s.window = n.get_int("window", 1, m.max_context);
  s.full_attention_every = n.get_int("full_attention_every", 1, m.layers);
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

wl::ModelSpec parse_model(const ConfigNode& n) {
  n.get_enum_or("kind", {"model"}, "model");
  wl::ModelSpec m;
  m.name = n.get_string("name");
  if (m.name.empty()) n.child("name").fail_value("a non-empty model name");
  m.description = n.get_string_or("description", "");
  m.layers = n.get_int("layers", 1, 10'000);
  m.hidden = n.get_int("hidden", 1, kMaxDim);
  m.heads = n.get_int("heads", 1, kMaxDim);
  m.attention = parse_attention(n);
  m.vocab = n.get_int("vocab", 1, 100'000'000);
  m.max_context = n.get_int("max_context", 1, 1'000'000'000);
  m.tied_embeddings = n.get_bool_or("tied_embeddings", false);
  m.ffn = parse_ffn(n);
  m.norm = n.get_enum_or("norm", {"rmsnorm", "layernorm"}, "rmsnorm") == "layernorm" ? wl::NormKind::layernorm
                                                                                       : wl::NormKind::rmsnorm;
  m.position = n.get_enum_or("position", {"rope", "learned"}, "rope") == "learned" ? wl::PositionKind::learned
                                                                                   : wl::PositionKind::rope;
  m.attention_bias = n.get_bool_or("attention_bias", false);
  m.ffn_bias = n.get_bool_or("ffn_bias", false);
  m.mtp_modules = n.get_int_or("mtp_modules", 0, 0, 100);
  m.assumed = n.get_bool_or("assumed", false);

  parse_heads(n, m);
  if (m.attention == wl::AttentionKind::mla) {
    m.mla = parse_mla(n.child("mla"));
  } else if (n.has("mla")) {
    n.child("mla").fail("an mla block needs attention: mla; remove it or change attention");
  }

  m.ffn_hidden = n.get_int_or("ffn_hidden", 0, 1, kMaxDim);
  if (auto moe = n.optional_child("moe")) m.moe = parse_moe(*moe, m);
  const bool all_moe = m.is_moe() && m.moe.first_dense_layers == 0;
  if (m.ffn_hidden == 0 && !all_moe) {
    n.child("ffn_hidden");  // raises "missing required key": dense layers need a width
  }
  if (auto s = n.optional_child("sliding_window")) m.sliding = parse_sliding(*s, m);

  if (auto pub = n.optional_child("published")) {
    m.published_total_params = pub->get_number_or("total_params", 0, 0, 1e15);
    m.published_active_params = pub->get_number_or("active_params", 0, 0, 1e15);
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
  const ConfigDocument doc = ConfigDocument::load_file(model_path(catalog, name));
  const ConfigNode root = doc.root();
  root.child("kind");  // catalog files name their kind: a file copied into the wrong folder is caught
  const ConfigNode name_node = root.child("name");
  if (name_node.as_string() != name) name_node.fail_value("'" + std::string(name) + "' (catalog names are file stems)");
  wl::ModelSpec m = parse_model(root);
  doc.finish();
  return m;
}

std::vector<std::string> model_names(const Catalog& catalog) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(catalog.root() / "models", ec)) {
    if (entry.path().extension() == ".yaml") out.push_back(entry.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
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
