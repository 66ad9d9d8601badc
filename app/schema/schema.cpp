#include "app/schema/schema.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "app/config/suggest.hpp"

namespace dcsim::app::schema {
namespace {

// `dcsim list` takes plurals: systems, gpus, switches; optics and storage stay as they are.
std::string catalog_list_name(const std::string& kind) {
  if (kind == "switch") return "switches";
  if (kind == "optics" || kind == "storage" || kind == "reliability") return kind;
  return kind + "s";
}

std::string exact_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// "an integer", "an integer of at least 1", "a number from 0 to 1".
std::string ranged(std::string what, double min, double max, bool whole, Dimension dim, bool with_unit) {
  const auto fmt = [&](double v) {
    if (with_unit) return format_quantity(v, dim);
    if (whole) return std::to_string(static_cast<long long>(v));
    return exact_number(v);
  };
  const bool has_min = std::isfinite(min) && !(whole && min <= -0x1p62);
  const bool has_max = std::isfinite(max) && !(whole && max >= 0x1p62);
  if (has_min && has_max) return what + " from " + fmt(min) + " to " + fmt(max);
  if (has_min) return what + " of at least " + fmt(min);
  if (has_max) return what + " of at most " + fmt(max);
  return what;
}

}  // namespace

Key& Key::required() {
  def = Default{DefaultKind::required, {}, {}};
  return *this;
}
Key& Key::or_default(std::int64_t v) {
  def = Default{DefaultKind::value, v, {}};
  return *this;
}
Key& Key::or_default(double v) {
  def = Default{DefaultKind::value, v, {}};
  return *this;
}
Key& Key::or_default(bool v) {
  def = Default{DefaultKind::value, v, {}};
  return *this;
}
Key& Key::or_default(std::string v) {
  def = Default{DefaultKind::value, std::move(v), {}};
  return *this;
}
Key& Key::or_default_described(std::string what) {
  def = Default{DefaultKind::value, {}, std::move(what)};
  return *this;
}
Key& Key::computed(std::string what) {
  def = Default{DefaultKind::computed, {}, std::move(what)};
  return *this;
}
Key& Key::optional(std::string what_absent_means) {
  def = Default{DefaultKind::absent, {}, std::move(what_absent_means)};
  return *this;
}
Key& Key::describe(std::string text) {
  doc = std::move(text);
  return *this;
}
Key& Key::rule_(std::string text) {
  rule = std::move(text);
  return *this;
}
Key& Key::when_(std::string text) {
  when = std::move(text);
  return *this;
}
Key& Key::retire(std::string replaced_by) {
  retired = true;
  def = Default{DefaultKind::absent, {}, "retired"};
  doc = std::move(replaced_by);
  return *this;
}
Key& Key::or_form(Type t) {
  forms.push_back(std::move(t));
  return *this;
}

const Key* Section::find(std::string_view key_name) const {
  for (const Key& k : keys)
    if (k.name == key_name) return &k;
  return nullptr;
}

std::vector<std::string> Section::key_names() const {
  std::vector<std::string> out;
  for (const Key& k : keys) out.push_back(k.name);
  return out;
}

Type integer_type(std::int64_t min, std::int64_t max) {
  Type t;
  t.kind = Kind::integer;
  t.min = static_cast<double>(min);
  t.max = static_cast<double>(max);
  return t;
}
Type number_type(double min, double max) {
  Type t;
  t.kind = Kind::number;
  t.min = min;
  t.max = max;
  return t;
}
Type quantity_type(Dimension dim, double min, double max) {
  Type t;
  t.kind = Kind::quantity;
  t.dim = dim;
  t.min = min;
  t.max = max;
  return t;
}
Type boolean_type() {
  Type t;
  t.kind = Kind::boolean;
  return t;
}
Type text_type(std::string pattern, std::string pattern_doc) {
  Type t;
  t.kind = Kind::text;
  t.pattern = std::move(pattern);
  t.pattern_doc = std::move(pattern_doc);
  return t;
}
Type choice_type(std::vector<std::string> choices) {
  Type t;
  t.kind = Kind::choice;
  t.choices = std::move(choices);
  return t;
}
Type catalog_type(std::string kind) {
  Type t;
  t.kind = Kind::catalog;
  t.catalog = std::move(kind);
  return t;
}
Type section_type(SectionPtr s) {
  Type t;
  t.kind = Kind::section;
  t.section = std::move(s);
  return t;
}
Type list_type(Type item, std::size_t min_items, std::size_t max_items) {
  Type t;
  t.kind = Kind::list;
  t.items.push_back(std::move(item));
  t.min_items = min_items;
  t.max_items = max_items;
  return t;
}
Type map_type(Type value) {
  Type t;
  t.kind = Kind::map;
  t.items.push_back(std::move(value));
  return t;
}
Type any_type() { return Type{}; }
Type null_type() {
  Type t;
  t.kind = Kind::null;
  return t;
}

Key key(std::string name, Type type) {
  Key k;
  k.name = std::move(name);
  k.forms.push_back(std::move(type));
  return k;
}
Key integer(std::string name, std::int64_t min, std::int64_t max) { return key(std::move(name), integer_type(min, max)); }
Key number(std::string name, double min, double max) { return key(std::move(name), number_type(min, max)); }
Key quantity(std::string name, Dimension dim, double min, double max) {
  return key(std::move(name), quantity_type(dim, min, max));
}
Key boolean(std::string name) { return key(std::move(name), boolean_type()); }
Key text(std::string name, std::string pattern, std::string pattern_doc) {
  return key(std::move(name), text_type(std::move(pattern), std::move(pattern_doc)));
}
Key choice(std::string name, std::vector<std::string> choices) {
  return key(std::move(name), choice_type(std::move(choices)));
}
Key catalog_ref(std::string name, std::string kind) { return key(std::move(name), catalog_type(std::move(kind))); }
Key section(std::string name, SectionPtr s) { return key(std::move(name), section_type(std::move(s))); }

SectionPtr make_section(std::string name, std::string doc, std::vector<Key> keys) {
  auto s = std::make_shared<Section>();
  s->name = std::move(name);
  s->doc = std::move(doc);
  for (const Key& k : keys) {
    if (k.forms.empty()) throw std::logic_error("schema: key " + k.name + " in " + s->name + " has no type");
    for (const Key& other : s->keys)
      if (other.name == k.name) throw std::logic_error("schema: key " + k.name + " declared twice in " + s->name);
    s->keys.push_back(k);
    if (!k.retired) {
      s->live_names.push_back(k.name);
      s->live_whens.push_back(k.when);
    }
  }
  return s;
}

SectionPtr make_variants(std::string name, std::string doc, std::string discriminator,
                         std::vector<std::pair<std::string, SectionPtr>> variants) {
  auto s = std::make_shared<Section>();
  s->name = std::move(name);
  s->doc = std::move(doc);
  s->discriminator = std::move(discriminator);
  for (const auto& [value, variant] : variants) {
    if (!variant->find(s->discriminator))
      throw std::logic_error("schema: variant " + variant->name + " does not declare " + s->discriminator);
  }
  s->variants = std::move(variants);
  return s;
}

std::string describe_type(const Type& t) {
  switch (t.kind) {
    case Kind::integer: {
      std::string s = ranged("an integer", t.min, t.max, true, t.dim, false);
      if (!t.choices.empty()) s += ", or " + quoted_list(t.choices);
      return s;
    }
    case Kind::number:
      return ranged("a number", t.min, t.max, false, t.dim, false);
    case Kind::quantity: {
      return ranged(std::string(dimension_name(t.dim)), t.min, t.max, false, t.dim, true);
    }
    case Kind::boolean:
      return "true or false";
    case Kind::text:
      if (!t.pattern_doc.empty()) return t.pattern_doc;
      return t.pattern.empty() ? "a string" : "a string matching " + t.pattern;
    case Kind::choice:
      return "one of " + quoted_list(t.choices);
    case Kind::catalog:
      return "the name of a catalog " + t.catalog + " (`dcsim list " + catalog_list_name(t.catalog) + "`)";
    case Kind::section:
      return "a mapping (" + t.section->name + ")";
    case Kind::list: {
      const std::string each = ", each " + describe_forms(t.items);
      if (t.min_items == t.max_items) return "a list of exactly " + std::to_string(t.min_items) + " values" + each;
      return std::string(t.min_items > 0 ? "a non-empty list" : "a list") + each;
    }
    case Kind::map:
      return "a mapping of names to " + describe_forms(t.items);
    case Kind::any:
      return "any value";
    case Kind::null:
      return "null";
  }
  return "a value";
}

std::string describe_forms(const std::vector<Type>& forms) {
  std::string out;
  for (std::size_t i = 0; i < forms.size(); ++i) {
    if (i > 0) out += i + 1 == forms.size() ? ", or " : ", ";
    out += describe_type(forms[i]);
  }
  return out;
}

std::string describe_default(const Key& k, const Type& first_form) {
  switch (k.def.kind) {
    case DefaultKind::required:
      return "required";
    case DefaultKind::computed:
    case DefaultKind::absent:
      return k.def.text;
    case DefaultKind::value:
      break;
  }
  return std::visit(
      [&](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::monostate>) {
          return k.def.text;
        } else if constexpr (std::is_same_v<V, std::int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<V, double>) {
          if (first_form.kind == Kind::quantity) return format_quantity(v, first_form.dim);
          return exact_number(v);
        } else if constexpr (std::is_same_v<V, bool>) {
          return v ? "true" : "false";
        } else {
          return v;
        }
      },
      k.def.value);
}

}  // namespace dcsim::app::schema
