// Reading values out of a loaded tree, with the key bookkeeping behind finish().
#include <algorithm>
#include <charconv>
#include <cmath>

#include "app/config/doc_state.hpp"
#include "app/config/node.hpp"
#include "app/config/suggest.hpp"

// GCC 12 reports a false -Wrestrict inside std::string for "literal" + std::string at -O3 (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

namespace dcsim::app {

namespace {

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Quoted and block scalars are strings to YAML; reading one as a number would hide a mistake in the file.
// A quoted scalar (tag "!") or one tagged !!str: a string, whatever it looks like.
bool is_quoted(const YAML::Node& n) { return n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str"; }

constexpr std::string_view kQuotedNote = "it is quoted, so it is a string: remove the quotes";

// A plain decimal number, as the unit grammar reads it (no '%', no YAML extras such as .inf or 0x1F).
std::optional<double> plain_number(std::string_view text) {
  if (text.find('%') != std::string_view::npos) return std::nullopt;
  try {
    return parse_quantity(text, Dimension::dimensionless);
  } catch (const UnitError&) {
    return std::nullopt;
  }
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// "an integer", "a number of at least 0", "a data rate from 1 GB/s to 10 TB/s".
template <typename T, typename Fmt>
std::string with_range(std::string what, T min, T max, T no_min, T no_max, Fmt fmt) {
  if (min != no_min && max != no_max) return what + " from " + fmt(min) + " to " + fmt(max);
  if (min != no_min) return what + " of at least " + fmt(min);
  if (max != no_max) return what + " of at most " + fmt(max);
  return what;
}

std::string int_range(std::int64_t min, std::int64_t max) {
  return with_range<std::int64_t>("an integer", min, max, ConfigNode::kIntMin, ConfigNode::kIntMax,
                                   [](std::int64_t v) { return std::to_string(v); });
}

std::string number_range(double min, double max) {
  return with_range<double>("a number", min, max, -ConfigNode::kInf, ConfigNode::kInf, num);
}

std::string quantity_range(Dimension dim, double min, double max) {
  return with_range<double>(std::string(dimension_name(dim)), min, max, -ConfigNode::kInf, ConfigNode::kInf,
                            [dim](double v) { return format_quantity(v, dim); });
}

std::string join_key(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// The keys a mapping declares (app/schema), with where each applies; null when it has no declarations.
struct Declared {
  const std::vector<std::string>& names;
  const std::vector<std::string>& whens;
};

// The first key of `rec` nobody asked for, as an error; nullopt when all were asked for. With declarations, the
// suggestions come from them, and a declared key nobody asked for is one that does not apply here.
std::optional<ConfigError> unknown_key(const detail::MapRecord& rec, const detail::DocState& doc,
                                       const Declared* declared = nullptr) {
  if (rec.opaque || !rec.node.IsMap()) return std::nullopt;
  for (const auto& kv : rec.node) {
    const std::string key = kv.first.Scalar();
    if (rec.asked.count(key)) continue;
    // A key an override added inside a mapping from the file is the override's mistake, not the file's.
    const std::string* added_by = doc.origin_of(kv.second);
    const SourceLocation where = detail::location_of(doc.file, kv.first.Mark(), added_by ? *added_by : rec.origin);
    if (declared) {
      const auto it = std::find(declared->names.begin(), declared->names.end(), key);
      if (it != declared->names.end()) {
        const std::string& when = declared->whens[static_cast<std::size_t>(it - declared->names.begin())];
        return ConfigError(where, rec.path, std::nullopt, "key '" + key + "' does not apply here",
                           when.empty() ? "the other keys of this mapping leave it unused; remove it"
                                        : "it applies with " + when + "; remove it");
      }
    }
    const std::vector<std::string> known =
        declared ? declared->names : std::vector<std::string>(rec.asked.begin(), rec.asked.end());
    std::string note = did_you_mean(key, known);
    if (note.empty() && !known.empty() && known.size() <= 12) note = "known keys here: " + quoted_list(known);
    return ConfigError(where, rec.path, std::nullopt,
                       "unknown key '" + key + "'" + (rec.path.empty() ? " at the top level" : ""), note);
  }
  return std::nullopt;
}

}  // namespace

void ConfigDocument::finish() const {
  std::optional<ConfigError> first;
  for (const auto& [id, rec] : state_->maps) {
    auto err = unknown_key(rec, *state_);
    if (!err) continue;
    const auto& a = err->location();
    if (!first || std::pair(a.line, a.column) < std::pair(first->location().line, first->location().column))
      first = std::move(err);
  }
  if (first) throw *first;
}

ConfigNode::ConfigNode(std::shared_ptr<detail::DocState> doc, YAML::Node node, std::string path, std::string id,
                       YAML::Mark mark, std::string origin)
    : doc_(std::move(doc)),
      node_(std::move(node)),
      path_(std::move(path)),
      id_(std::move(id)),
      mark_(mark),
      origin_(std::move(origin)) {
  if (!node_.IsMap()) return;
  auto& rec = doc_->maps[id_];
  if (rec.node.is(node_)) return;
  rec = detail::MapRecord{node_, path_, origin_, {}, false};  // new, or replaced by an override since
}

SourceLocation ConfigNode::location() const { return detail::location_of(doc_->file, mark_, origin_); }

void ConfigNode::fail(std::string_view message, std::string_view note) const {
  throw ConfigError(location(), path_, std::nullopt, std::string(message), std::string(note));
}

void ConfigNode::fail_value(std::string_view expected, std::string_view note) const {
  if (node_.IsScalar())
    throw ConfigError(location(), path_, node_.Scalar(), std::string(expected), std::string(note));
  const char* kind = node_.IsMap() ? "a mapping" : node_.IsSequence() ? "a list" : "nothing (null)";
  throw ConfigError(location(), path_, std::nullopt, "expected " + std::string(expected) + ", got " + kind,
                    std::string(note));
}

// --- mappings ---------------------------------------------------------------------------------------------------

void ConfigNode::require_map(std::string_view for_key) const {
  if (node_.IsMap()) return;
  fail_value("a mapping", for_key.empty() ? std::string() : "with the key '" + std::string(for_key) + "'");
}

void ConfigNode::note_asked(std::string_view key) const {
  auto it = doc_->maps.find(id_);
  if (it != doc_->maps.end()) it->second.asked.emplace(key);
}

ConfigNode ConfigNode::make_child(std::string_view key, const YAML::Node& value, const YAML::Mark& key_mark) const {
  // A null value's mark points past it (to the next line); the key's own line is where the user looks.
  const YAML::Mark mark = value.IsNull() || value.Mark().line < 0 ? key_mark : value.Mark();
  std::string origin = origin_;
  if (origin.empty())
    if (const std::string* o = doc_->origin_of(value)) origin = *o;
  return ConfigNode(doc_, value, join_key(path_, key), id_ + '\x1f' + std::string(key), mark, std::move(origin));
}

std::optional<ConfigNode> ConfigNode::lookup(std::string_view key) const {
  require_map(key);
  note_asked(key);
  for (const auto& kv : node_)
    if (kv.first.Scalar() == key) return make_child(key, kv.second, kv.first.Mark());
  return std::nullopt;
}

ConfigNode ConfigNode::require(std::string_view key, std::string_view what) const {
  if (auto c = lookup(key)) return *c;
  const std::string message = "missing required key '" + std::string(key) + "'";
  // A required key is usually missing because it is misspelt: point at the misspelling rather than at the map.
  std::vector<std::string> present;
  for (const auto& kv : node_) present.push_back(kv.first.Scalar());
  if (const auto near = closest_matches(key, present); !near.empty()) {
    for (const auto& kv : node_) {
      if (kv.first.Scalar() != near.front()) continue;
      const std::string origin = make_child(near.front(), kv.second, kv.first.Mark()).origin_;
      throw ConfigError(detail::location_of(doc_->file, kv.first.Mark(), origin), path_, std::nullopt, message,
                        "is '" + near.front() + "' a misspelling of it?");
    }
  }
  // Or swallowed by a quote left open: yaml-cpp reads `name: "abc` to the end of the file as one string, so the
  // keys after it vanish into that value. Point at the quote.
  for (const auto& kv : node_) {
    if (!kv.second.IsScalar() || !is_quoted(kv.second) ||
        kv.second.Scalar().find(std::string(key) + ":") == std::string::npos)
      continue;
    const std::string origin = make_child(kv.first.Scalar(), kv.second, kv.first.Mark()).origin_;
    throw ConfigError(detail::location_of(doc_->file, kv.second.Mark(), origin), path_, std::nullopt, message,
                      "it is inside the value of '" + kv.first.Scalar() +
                          "', which runs on over the lines after it: an unclosed quote?");
  }
  throw ConfigError(location(), path_, std::nullopt, message,
                    what.empty() ? std::string() : "expected " + std::string(what));
}

bool ConfigNode::has(std::string_view key) const { return lookup(key).has_value(); }
ConfigNode ConfigNode::child(std::string_view key) const { return require(key, {}); }
ConfigNode ConfigNode::required_child(std::string_view key, std::string_view expected) const {
  return require(key, expected);
}
std::optional<ConfigNode> ConfigNode::optional_child(std::string_view key) const { return lookup(key); }

std::vector<std::string> ConfigNode::keys() const {
  require_map({});
  std::vector<std::string> out;
  for (const auto& kv : node_) out.push_back(kv.first.Scalar());
  return out;
}

void ConfigNode::finish() const {
  require_map({});
  auto it = doc_->maps.find(id_);
  if (it == doc_->maps.end()) return;
  if (auto err = unknown_key(it->second, *doc_)) throw *err;
}

void ConfigNode::finish_declared(const std::vector<std::string>& declared,
                                 const std::vector<std::string>& applies_when) const {
  require_map({});
  auto it = doc_->maps.find(id_);
  if (it == doc_->maps.end()) return;
  const Declared d{declared, applies_when};
  if (auto err = unknown_key(it->second, *doc_, &d)) throw *err;
}

std::string ConfigNode::get_string(std::string_view key) const { return require(key, "a string").as_string(); }
std::string ConfigNode::get_string_or(std::string_view key, std::string_view fallback) const {
  auto c = lookup(key);
  return c ? c->as_string() : std::string(fallback);
}

std::int64_t ConfigNode::get_int(std::string_view key, std::int64_t min, std::int64_t max) const {
  return require(key, int_range(min, max)).as_int(min, max);
}
std::int64_t ConfigNode::get_int_or(std::string_view key, std::int64_t fallback, std::int64_t min,
                                    std::int64_t max) const {
  auto c = lookup(key);
  return c ? c->as_int(min, max) : fallback;
}

double ConfigNode::get_number(std::string_view key, double min, double max) const {
  return require(key, number_range(min, max)).as_number(min, max);
}
double ConfigNode::get_number_or(std::string_view key, double fallback, double min, double max) const {
  auto c = lookup(key);
  return c ? c->as_number(min, max) : fallback;
}

bool ConfigNode::get_bool(std::string_view key) const { return require(key, "true or false").as_bool(); }
bool ConfigNode::get_bool_or(std::string_view key, bool fallback) const {
  auto c = lookup(key);
  return c ? c->as_bool() : fallback;
}

double ConfigNode::get_quantity(std::string_view key, Dimension dim, double min, double max) const {
  return require(key, expected_text(dim)).as_quantity(dim, min, max);
}
double ConfigNode::get_quantity_or(std::string_view key, Dimension dim, double fallback, double min,
                                   double max) const {
  auto c = lookup(key);
  return c ? c->as_quantity(dim, min, max) : fallback;
}

std::string ConfigNode::get_enum(std::string_view key, const Choices& choices) const {
  return require(key, "one of " + quoted_list(choices)).as_enum(choices);
}
std::string ConfigNode::get_enum_or(std::string_view key, const Choices& choices, std::string_view fallback) const {
  auto c = lookup(key);
  return c ? c->as_enum(choices) : std::string(fallback);
}

std::vector<ConfigNode> ConfigNode::get_list(std::string_view key) const { return require(key, "a list").items(); }

// --- the node itself --------------------------------------------------------------------------------------------

std::string ConfigNode::scalar_text(std::string_view expected) const {
  if (!node_.IsScalar()) fail_value(expected);
  return node_.Scalar();
}

std::string ConfigNode::as_string() const { return scalar_text("a string"); }

std::int64_t ConfigNode::as_int(std::int64_t min, std::int64_t max) const {
  const std::string expected = int_range(min, max);
  const std::string text = scalar_text(expected);
  if (is_quoted(node_)) fail_value(expected, kQuotedNote);
  std::string_view t = trim_blanks(text);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec == std::errc::result_out_of_range) fail_value(expected, "too large for an integer");
  if (ec != std::errc() || ptr != t.data() + t.size()) {
    // Not plain digits: "1e6" is a whole number and fine; "2.5" and "8 GPUs" are not.
    const auto d = plain_number(text);
    if (!d) fail_value(expected);
    if (*d != std::floor(*d)) fail_value(expected, "not a whole number");
    if (std::fabs(*d) > 0x1p53) fail_value(expected, "too large for an integer");
    v = static_cast<std::int64_t>(*d);
  }
  if (v < min || v > max) fail_value(expected);
  return v;
}

double ConfigNode::as_number(double min, double max) const {
  const std::string expected = number_range(min, max);
  const std::string text = scalar_text(expected);
  if (is_quoted(node_)) fail_value(expected, kQuotedNote);
  const auto d = plain_number(text);
  if (!d) fail_value(expected);
  if (*d < min || *d > max) fail_value(expected);
  return *d;
}

bool ConfigNode::as_bool() const {
  const std::string text = scalar_text("true or false");
  if (is_quoted(node_)) fail_value("true or false", kQuotedNote);
  if (text == "true") return true;
  if (text == "false") return false;
  fail_value("true or false");
}

double ConfigNode::as_quantity(Dimension dim, double min, double max) const {
  const std::string text = scalar_text(expected_text(dim));
  double v = 0;
  try {
    v = parse_quantity(text, dim);
  } catch (const UnitError& e) {
    fail_value(e.expected(), e.detail());
  }
  if (v < min || v > max) fail_value(quantity_range(dim, min, max));
  return v;
}

std::string ConfigNode::as_enum(const Choices& choices) const {
  const std::string expected = "one of " + quoted_list(choices);
  const std::string text = scalar_text(expected);
  for (const auto& c : choices)
    if (c == text) return text;
  fail_value(expected, did_you_mean(text, choices));
}

std::vector<ConfigNode> ConfigNode::items() const {
  if (!node_.IsSequence()) fail_value("a list");
  std::vector<ConfigNode> out;
  out.reserve(node_.size());
  std::size_t i = 0;
  for (const auto& item : node_) {
    const std::string index = "[" + std::to_string(i++) + "]";
    const YAML::Mark mark = item.IsNull() || item.Mark().line < 0 ? mark_ : item.Mark();
    std::string origin = origin_;
    if (origin.empty())
      if (const std::string* o = doc_->origin_of(item)) origin = *o;
    out.push_back(ConfigNode(doc_, item, path_ + index, id_ + '\x1f' + index, mark, std::move(origin)));
  }
  return out;
}

const YAML::Node& ConfigNode::yaml() const {
  if (auto it = doc_->maps.find(id_); it != doc_->maps.end()) it->second.opaque = true;
  return node_;
}

}  // namespace dcsim::app
