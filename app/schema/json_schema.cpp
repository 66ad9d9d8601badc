#include "app/schema/json_schema.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

// GCC 12 reports a false -Wrestrict inside std::string for "literal" + std::string at -O3 (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

namespace dcsim::app::schema {
namespace {

using nlohmann::json;

// A regular-expression literal of `s` (unit symbols hold '/', '%', '.').
std::string regex_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}/").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// What parse_quantity reads (app/config/units.hpp): a decimal number, optional blanks, a unit of the dimension.
std::string quantity_pattern(Dimension dim) {
  std::string units;
  // Longest first, so that "GB/s" is not matched as "GB" followed by junk by engines that stop at a first match.
  std::vector<std::string> symbols = unit_symbols(dim);
  std::sort(symbols.begin(), symbols.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  for (const std::string& u : symbols) units += (units.empty() ? "" : "|") + regex_escape(u);
  return "^[ \\t]*[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?[ \\t]*(" + units + ")[ \\t]*$";
}

class Emitter {
 public:
  Emitter(const std::function<std::vector<std::string>(const std::string&)>& names) : names_(names) {}

  json ref(const SectionPtr& s) {
    const std::string id = def_name(*s);
    if (!defs_.contains(id)) {
      defs_[id] = json::object();  // placeholder: breaks cycles, filled below
      defs_[id] = section(*s);
    }
    return json{{"$ref", "#/$defs/" + id}};
  }

  json& defs() { return defs_; }

 private:
  std::string def_name(const Section& s) {
    auto it = ids_.find(&s);
    if (it != ids_.end()) return it->second;
    std::string id;
    for (const char c : s.name.empty() ? std::string("scenario") : s.name) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (ok) id += c;
      else if (!id.empty() && id.back() != '_') id += '_';
    }
    while (!id.empty() && id.back() == '_') id.pop_back();
    std::string unique = id;
    for (int n = 2; used_.count(unique); ++n) unique = id + "_" + std::to_string(n);
    used_.insert(unique);
    ids_[&s] = unique;
    return unique;
  }

  json type(const Type& t) {
    json j = json::object();
    switch (t.kind) {
      case Kind::integer:
        j["type"] = "integer";
        if (std::isfinite(t.min) && t.min > -0x1p62) j["minimum"] = static_cast<std::int64_t>(t.min);
        if (std::isfinite(t.max) && t.max < 0x1p62) j["maximum"] = static_cast<std::int64_t>(t.max);
        if (!t.choices.empty()) return json{{"anyOf", json::array({j, json{{"enum", t.choices}}})}};
        return j;
      case Kind::number:
        j["type"] = "number";
        if (std::isfinite(t.min) && std::fabs(t.min) < 1e300) j["minimum"] = t.min;
        if (std::isfinite(t.max) && std::fabs(t.max) < 1e300) j["maximum"] = t.max;
        return j;
      case Kind::quantity:
        j["type"] = "string";
        j["pattern"] = quantity_pattern(t.dim);
        if (!t.choices.empty()) return json{{"anyOf", json::array({j, json{{"enum", t.choices}}})}};
        return j;
      case Kind::boolean:
        j["type"] = "boolean";
        return j;
      case Kind::text:
        // dcsim reads any scalar as text (`name: 2024`); the pattern applies to strings.
        j["type"] = json::array({"string", "number", "boolean"});
        if (!t.pattern.empty()) j["pattern"] = "^(?:" + t.pattern + ")$";
        return j;
      case Kind::choice:
        j["enum"] = t.choices;
        return j;
      case Kind::catalog:
        j["type"] = "string";
        j["enum"] = names_(t.catalog);
        return j;
      case Kind::section:
        return ref(t.section);
      case Kind::list:
        j["type"] = "array";
        j["items"] = forms(t.items);
        if (t.min_items > 0) j["minItems"] = t.min_items;
        if (t.max_items != std::numeric_limits<std::size_t>::max()) j["maxItems"] = t.max_items;
        return j;
      case Kind::map:
        j["type"] = "object";
        j["additionalProperties"] = forms(t.items);
        if (!t.pattern.empty()) j["propertyNames"] = json{{"pattern", t.pattern}};
        return j;
      case Kind::any:
        return j;
      case Kind::null:
        j["type"] = "null";
        return j;
    }
    return j;
  }

  json forms(const std::vector<Type>& ts) {
    if (ts.size() == 1) return type(ts.front());
    json any = json::array();
    for (const Type& t : ts) any.push_back(type(t));
    return json{{"anyOf", any}};
  }

  json default_value(const Key& k) {
    return std::visit(
        [&](const auto& v) -> json {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::monostate>) {
            return nullptr;
          } else if constexpr (std::is_same_v<V, double>) {
            if (k.forms.front().kind == Kind::quantity) return format_quantity(v, k.forms.front().dim);
            return v;
          } else {
            return v;
          }
        },
        k.def.value);
  }

  json section(const Section& s) {
    if (!s.variants.empty()) {
      // if kind is X then X's keys: an editor then reports the offending key, not "matches none of the kinds".
      json all = json::array(), values = json::array();
      for (const auto& [value, variant] : s.variants) {
        values.push_back(value);
        json when{{"properties", {{s.discriminator, {{"const", value}}}}}, {"required", {s.discriminator}}};
        all.push_back(json{{"if", when}, {"then", ref(variant)}});
      }
      json j{{"type", "object"},
             {"required", {s.discriminator}},
             {"properties", {{s.discriminator, {{"enum", values}}}}},
             {"allOf", all}};
      if (!s.doc.empty()) j["description"] = s.doc;
      return j;
    }
    json props = json::object();
    json required = json::array();
    for (const Key& k : s.keys) {
      if (k.retired) {
        props[k.name] = json{{"not", json::object()}, {"description", "retired: " + k.doc}};
        continue;
      }
      json p = forms(k.forms);
      std::string doc = k.doc;
      const std::string def = describe_default(k, k.forms.front());
      if (k.def.kind != DefaultKind::required) doc += (doc.empty() ? "" : ". ") + std::string("Default: ") + def;
      if (!k.rule.empty()) doc += ". Rule: " + k.rule;
      if (!k.when.empty()) doc += ". Applies with " + k.when;
      p["description"] = doc;
      if (k.def.kind == DefaultKind::value) {
        const json d = default_value(k);
        if (!d.is_null()) p["default"] = d;
      }
      // The discriminator of a variant: this variant's value only.
      props[k.name] = p;
      if (k.def.kind == DefaultKind::required && k.when.empty()) required.push_back(k.name);
    }
    json j{{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
    if (!required.empty()) j["required"] = required;
    if (!s.doc.empty()) j["description"] = s.doc;
    return j;
  }

  const std::function<std::vector<std::string>(const std::string&)>& names_;
  json defs_ = json::object();
  std::map<const Section*, std::string> ids_;
  std::set<std::string> used_;
};

// Each variant of a mapping chosen by a key accepts only its own value of that key.
void pin_discriminators(const SectionPtr& s, json& defs, Emitter& e, std::set<const Section*>& seen) {
  if (!seen.insert(s.get()).second) return;
  for (const auto& [value, variant] : s->variants) {
    const std::string id = e.ref(variant)["$ref"].get<std::string>().substr(std::string("#/$defs/").size());
    defs[id]["properties"][s->discriminator]["const"] = value;
    defs[id]["properties"][s->discriminator].erase("enum");
  }
  for (const Key& k : s->keys)
    for (const Type& t : k.forms) {
      if (t.kind == Kind::section) pin_discriminators(t.section, defs, e, seen);
      for (const Type& item : t.items)
        if (item.kind == Kind::section) pin_discriminators(item.section, defs, e, seen);
    }
  for (const auto& [value, variant] : s->variants) pin_discriminators(variant, defs, e, seen);
}

// The schema of `section` with the blocks it reaches (a model file's holds no scenario blocks).
json wrap(const SectionPtr& section,
          const std::function<std::vector<std::string>(const std::string&)>& catalog_names) {
  Emitter e(catalog_names);
  const json top = e.ref(section);
  std::set<const Section*> seen;
  pin_discriminators(section, e.defs(), e, seen);
  json j{{"$schema", "https://json-schema.org/draft/2020-12/schema"},
         {"title", section->name.empty() ? "dcsim scenario" : "dcsim " + section->name},
         {"$ref", top["$ref"]},
         {"$defs", e.defs()}};
  return j;
}

}  // namespace

json json_schema(const SectionPtr& root,
                 const std::function<std::vector<std::string>(const std::string&)>& catalog_names) {
  return wrap(root, catalog_names);
}

json json_schema_of_section(const SectionPtr& section,
                            const std::function<std::vector<std::string>(const std::string&)>& catalog_names) {
  return wrap(section, catalog_names);
}

}  // namespace dcsim::app::schema
