#include "app/schema/reader.hpp"

#include <algorithm>
#include <cmath>
// GCC 12 reports a false -Wmaybe-uninitialized inside <regex> at -O1 with the sanitizers (std::function in the
// regex automaton); the library, not this file.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#include <map>
#include <mutex>
#include <stdexcept>

#include "app/config/suggest.hpp"


namespace dcsim::app::schema {
namespace {

[[noreturn]] void bug(const std::string& what) { throw std::logic_error("scenario schema: " + what); }

// Each pattern compiled once (a class name is read at every sweep point); nodes of a std::map stay put, and matching
// against a const regex is safe from several threads.
const std::regex& compiled(const std::string& pattern) {
  static std::mutex lock;
  static std::map<std::string, std::regex> cache;
  const std::lock_guard<std::mutex> hold(lock);
  auto it = cache.find(pattern);
  if (it == cache.end()) it = cache.emplace(pattern, std::regex(pattern)).first;
  return it->second;
}

std::pair<double, double> narrowed(const Type& t, const Bounds& b) {
  return {std::max(t.min, b.min), std::min(t.max, b.max)};
}

std::int64_t int_bound(double v, bool lower) {
  if (lower) return v <= -0x1p63 ? ConfigNode::kIntMin : static_cast<std::int64_t>(std::ceil(v));
  return v >= 0x1p63 ? ConfigNode::kIntMax : static_cast<std::int64_t>(std::floor(v));
}

}  // namespace

// --- Value --------------------------------------------------------------------------------------------------------

Value::Value(ConfigNode node, const std::vector<Type>* forms, const Key* key)
    : node_(std::move(node)), forms_(forms), key_(key) {}

const Type& Value::form(Kind kind) const {
  for (const Type& t : *forms_)
    if (t.kind == kind) return t;
  bug(node_.path() + " (" + key_->name + ") is read as a form it does not declare");
}

void Value::require_shape(bool ok) const {
  if (!ok) node_.fail_value(describe_forms(*forms_));
}

const Type& Value::scalar_form() const {
  for (const Type& t : *forms_)
    if (t.kind != Kind::section && t.kind != Kind::list && t.kind != Kind::map && t.kind != Kind::any &&
        t.kind != Kind::null)
      return t;
  bug(node_.path() + " (" + key_->name + ") is read as a scalar, which it does not declare");
}

bool Value::is_word(std::string_view word) const {
  for (const Type& t : *forms_)
    if (std::find(t.choices.begin(), t.choices.end(), word) != t.choices.end())
      return node_.is_scalar() && node_.as_string() == word;
  bug(node_.path() + " (" + key_->name + ") is asked for the word '" + std::string(word) +
      "', which it does not declare");
}

std::int64_t Value::integer(Bounds b) const {
  const Type& t = form(Kind::integer);
  require_shape(node_.is_scalar());
  const auto [lo, hi] = narrowed(t, b);
  return node_.as_int(int_bound(lo, true), int_bound(hi, false));
}

double Value::number(Bounds b) const {
  const Type& t = form(Kind::number);
  require_shape(node_.is_scalar());
  const auto [lo, hi] = narrowed(t, b);
  return node_.as_number(lo, hi);
}

double Value::quantity(Bounds b) const { return quantity_in(form(Kind::quantity).dim, b); }

double Value::quantity_in(Dimension dim, Bounds b) const {
  for (const Type& t : *forms_) {
    if (t.kind != Kind::quantity || t.dim != dim) continue;
    require_shape(node_.is_scalar());
    const auto [lo, hi] = narrowed(t, b);
    return node_.as_quantity(dim, lo, hi);
  }
  bug(node_.path() + " (" + key_->name + ") is read as a quantity of a dimension it does not declare");
}

bool Value::boolean() const {
  (void)form(Kind::boolean);
  return node_.as_bool();
}

std::string Value::choice() const { return node_.as_enum(form(Kind::choice).choices); }

std::string Value::catalog_name(const std::vector<std::string>& names) const {
  (void)form(Kind::catalog);
  return node_.as_enum(names);
}

std::string Value::text() const {
  const Type& t = form(Kind::text);
  const std::string s = node_.as_string();
  if (!t.pattern.empty() && !std::regex_match(s, compiled(t.pattern))) node_.fail_value(describe_type(t));
  return s;
}

Reader Value::section() const {
  const Type& t = form(Kind::section);
  require_shape(node_.is_map());
  return Reader(node_, t.section);
}

std::vector<Value> Value::items() const {
  const Type& t = form(Kind::list);
  require_shape(node_.is_sequence());
  std::vector<Value> out;
  for (const ConfigNode& item : node_.items()) out.emplace_back(item, &t.items, key_);
  if (out.size() < t.min_items || out.size() > t.max_items) node_.fail_value(describe_type(t));
  return out;
}

std::vector<std::pair<std::string, Value>> Value::entries() const {
  const Type& t = form(Kind::map);
  require_shape(node_.is_map());
  std::vector<std::pair<std::string, Value>> out;
  for (const std::string& k : node_.keys()) out.emplace_back(k, Value(node_.child(k), &t.items, key_));
  return out;
}

// --- Reader -------------------------------------------------------------------------------------------------------

Reader::Reader(ConfigNode node, SectionPtr section) : node_(std::move(node)), section_(std::move(section)) {
  if (!node_.is_map()) {
    const std::vector<std::string> names =
        section_->variants.empty() ? section_->key_names() : std::vector<std::string>{section_->discriminator};
    node_.fail_value("a mapping", names.empty() ? std::string() : "with keys such as " + quoted_list(names, "and"));
  }
  if (!section_->discriminator.empty()) {
    std::vector<std::string> names;
    for (const auto& [value, variant] : section_->variants) names.push_back(value);
    const std::string chosen = node_.get_enum(section_->discriminator, names);
    for (const auto& [value, variant] : section_->variants)
      if (value == chosen) section_ = variant;
  }
}

const Key& Reader::declared(std::string_view key) const {
  if (const Key* k = section_->find(key)) return *k;
  bug(section_->name + "." + std::string(key) + " is read but not declared");
}

const Key& Reader::with_default(std::string_view key, bool has_default) const {
  const Key& k = declared(key);
  const bool declared_default = k.def.kind == DefaultKind::required || k.def.kind == DefaultKind::value;
  if (declared_default != has_default) {
    bug(section_->name + "." + k.name +
        (has_default ? " is read with its declared default, but it declares none (read it with *_if)"
                     : " is read as optional, but it declares a default or is required"));
  }
  return k;
}

template <class T>
T Reader::default_of(const Key& k) const {
  if (k.def.kind == DefaultKind::required) {
    (void)node_.required_child(k.name, describe_forms(k.forms));  // throws "missing required key"
  }
  if (const T* v = std::get_if<T>(&k.def.value)) return *v;
  if constexpr (std::is_same_v<T, double>) {
    if (const auto* i = std::get_if<std::int64_t>(&k.def.value)) return static_cast<double>(*i);
  }
  bug(section_->name + "." + k.name + " declares a default of another type");
}

bool Reader::has(std::string_view key) const {
  (void)declared(key);
  return node_.has(key);
}

ConfigNode Reader::at(std::string_view key) const {
  const Key& k = declared(key);
  return node_.required_child(key, describe_forms(k.forms));
}

Value Reader::value(std::string_view key) const {
  const Key& k = declared(key);
  return Value(node_.required_child(key, describe_forms(k.forms)), &k.forms, &k);
}

std::optional<Value> Reader::value_if(std::string_view key) const {
  const Key& k = declared(key);
  auto c = node_.optional_child(key);
  if (!c) return std::nullopt;
  return Value(*c, &k.forms, &k);
}

std::int64_t Reader::integer(std::string_view key, Bounds b) const {
  const Key& k = with_default(key, true);
  if (auto v = value_if(key)) return v->integer(b);
  return default_of<std::int64_t>(k);
}
double Reader::number(std::string_view key, Bounds b) const {
  const Key& k = with_default(key, true);
  if (auto v = value_if(key)) return v->number(b);
  return default_of<double>(k);
}
double Reader::quantity(std::string_view key, Bounds b) const {
  const Key& k = with_default(key, true);
  if (auto v = value_if(key)) return v->quantity(b);
  return default_of<double>(k);
}
bool Reader::boolean(std::string_view key) const {
  const Key& k = with_default(key, true);
  if (auto v = value_if(key)) return v->boolean();
  return default_of<bool>(k);
}
std::string Reader::choice(std::string_view key) const {
  const Key& k = with_default(key, true);
  if (auto v = value_if(key)) return v->choice();
  return default_of<std::string>(k);
}
std::string Reader::text(std::string_view key) const {
  const Key& k = with_default(key, true);
  if (auto v = value_if(key)) return v->text();
  return default_of<std::string>(k);
}
std::string Reader::catalog_name(std::string_view key, const std::vector<std::string>& names) const {
  const Key& k = with_default(key, true);
  if (auto v = value_if(key)) return v->catalog_name(names);
  return default_of<std::string>(k);
}
Reader Reader::section(std::string_view key) const {
  const Key& k = with_default(key, true);
  if (k.def.kind != DefaultKind::required) bug(section_->name + "." + k.name + ": a section cannot have a value default");
  return value(key).section();
}

std::optional<Value> Reader::optional_value(std::string_view key) const {
  (void)with_default(key, false);
  return value_if(key);
}

std::optional<std::int64_t> Reader::integer_if(std::string_view key, Bounds b) const {
  const auto v = optional_value(key);
  return v ? std::optional(v->integer(b)) : std::nullopt;
}
std::optional<double> Reader::number_if(std::string_view key, Bounds b) const {
  const auto v = optional_value(key);
  return v ? std::optional(v->number(b)) : std::nullopt;
}
std::optional<double> Reader::quantity_if(std::string_view key, Bounds b) const {
  const auto v = optional_value(key);
  return v ? std::optional(v->quantity(b)) : std::nullopt;
}
std::optional<bool> Reader::boolean_if(std::string_view key) const {
  const auto v = optional_value(key);
  return v ? std::optional(v->boolean()) : std::nullopt;
}
std::optional<std::string> Reader::choice_if(std::string_view key) const {
  const auto v = optional_value(key);
  return v ? std::optional(v->choice()) : std::nullopt;
}
std::optional<std::string> Reader::text_if(std::string_view key) const {
  const auto v = optional_value(key);
  return v ? std::optional(v->text()) : std::nullopt;
}
std::optional<std::string> Reader::catalog_name_if(std::string_view key, const std::vector<std::string>& names) const {
  const auto v = optional_value(key);
  return v ? std::optional(v->catalog_name(names)) : std::nullopt;
}
std::optional<Reader> Reader::section_if(std::string_view key) const {
  const auto v = optional_value(key);
  return v ? std::optional(v->section()) : std::nullopt;
}

void Reader::finish() const { node_.finish_declared(section_->live_names, section_->live_whens); }

}  // namespace dcsim::app::schema
