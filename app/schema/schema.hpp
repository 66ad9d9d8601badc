// The scenario format, declared once: every key with its type, unit, default (or required), range or choices, the
// rule that ties it to other keys and a one-line doc. The readers in app/ read through these declarations
// (app/schema/reader.hpp), docs/reference.md and `dcsim explain` print them, and `dcsim schema` turns them into a
// JSON Schema for editors: ns-3's attribute system, for YAML.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "app/config/units.hpp"

namespace dcsim::app::schema {

struct Section;

enum class Kind {
  integer,   // whole number, range in min/max
  number,    // plain number (no unit), range in min/max
  quantity,  // number with a unit of `dim` ("80 GiB"), range in SI units
  boolean,
  text,      // free text; `pattern` (a regular expression) when only some texts are valid
  choice,    // one of `choices`
  catalog,   // the name of a catalog entry of kind `catalog` (choices known only with the catalog)
  section,   // a mapping of declared keys (`section`)
  list,      // a list of `items`
  map,       // a mapping of free-form keys to `items` (sweep axes, token-value classes, overrides)
  any,       // any YAML value, handed on unread (an override or sweep value, checked where it lands)
  null,      // an explicit null ("optics: null": no transceivers)
};

struct Type {
  Kind kind = Kind::any;
  Dimension dim = Dimension::dimensionless;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  std::vector<std::string> choices;          // choice; also a literal word a numeric form accepts ("auto")
  std::string catalog;                       // catalog: "system", "gpu", "model", ...
  std::string pattern;                       // text: ECMA regular expression a whole value must match; map: its
                                             // keys' (JSON Schema only: the reader checks map keys itself)
  std::string pattern_doc;                   // text: what the pattern means, for messages ("letters, digits")
  std::shared_ptr<const Section> section;    // section
  std::vector<Type> items;                   // list: item forms; map: value forms
  std::size_t min_items = 0;                 // list
  std::size_t max_items = std::numeric_limits<std::size_t>::max();
};

enum class DefaultKind {
  required,  // the key must be given
  value,     // absent means `value`
  computed,  // absent means something derived from other keys or the catalog (said in `text`)
  absent,    // absent turns the feature off or leaves a mapping at its keys' defaults (said in `text`)
};

using DefaultValue = std::variant<std::monostate, std::int64_t, double, bool, std::string>;

struct Default {
  DefaultKind kind = DefaultKind::required;
  DefaultValue value;
  std::string text;  // computed and absent: what happens
};

struct Key {
  std::string name;
  std::vector<Type> forms;  // usually one; `input: 128` or `input: {dist: ...}` has two
  Default def;
  std::string doc;
  std::string rule;  // a condition on other keys ("divides heads", "at least low")
  std::string when;  // where the key applies ("process: poisson")
  bool retired = false;  // no longer taken: declared so that its error can say what replaced it (in `doc`)

  // Builders: integer("tp", 1, 1024).or_default(1).doc("...").
  Key& required();
  Key& or_default(std::int64_t v);
  Key& or_default(int v) { return or_default(static_cast<std::int64_t>(v)); }
  Key& or_default(double v);
  Key& or_default(bool v);
  Key& or_default(std::string v);
  Key& or_default(const char* v) { return or_default(std::string(v)); }
  Key& or_default_described(std::string what);  // a structured default (a distribution), read with value_if
  Key& computed(std::string what);
  Key& optional(std::string what_absent_means);
  Key& describe(std::string text);
  Key& rule_(std::string text);
  Key& when_(std::string text);
  Key& or_form(Type t);  // also accepts this form
  Key& retire(std::string replaced_by);
};

struct Section {
  std::string name;  // its path in the reference: "workload (kind: serving).instance"
  std::string doc;
  std::vector<Key> keys;
  // A mapping whose keys depend on one of them ("kind"): each value names the section that applies.
  std::string discriminator;
  std::vector<std::pair<std::string, std::shared_ptr<const Section>>> variants;
  // The keys that are not retired, and where each applies: what an unread or unknown key is checked against.
  std::vector<std::string> live_names, live_whens;

  const Key* find(std::string_view name) const;
  std::vector<std::string> key_names() const;
};

using SectionPtr = std::shared_ptr<const Section>;

// Types.
Type integer_type(std::int64_t min, std::int64_t max);
Type number_type(double min, double max);
Type quantity_type(Dimension dim, double min, double max);
Type boolean_type();
Type text_type(std::string pattern = {}, std::string pattern_doc = {});
Type choice_type(std::vector<std::string> choices);
Type catalog_type(std::string kind);
Type section_type(SectionPtr section);
Type list_type(Type item, std::size_t min_items = 0, std::size_t max_items = std::numeric_limits<std::size_t>::max());
Type map_type(Type value);
Type any_type();
Type null_type();

// Keys of one form (required until told otherwise).
Key key(std::string name, Type type);
Key integer(std::string name, std::int64_t min, std::int64_t max);
Key number(std::string name, double min, double max);
Key quantity(std::string name, Dimension dim, double min, double max);
Key boolean(std::string name);
Key text(std::string name, std::string pattern = {}, std::string pattern_doc = {});
Key choice(std::string name, std::vector<std::string> choices);
Key catalog_ref(std::string name, std::string kind);
Key section(std::string name, SectionPtr section);

SectionPtr make_section(std::string name, std::string doc, std::vector<Key> keys);
// A mapping chosen by `discriminator`: every variant declares the discriminator key itself.
SectionPtr make_variants(std::string name, std::string doc, std::string discriminator,
                         std::vector<std::pair<std::string, SectionPtr>> variants);

// What a value of these forms looks like, for messages and docs: "an integer from 1 to 1024, or a mapping".
std::string describe_forms(const std::vector<Type>& forms);
std::string describe_type(const Type& t);
// A default as the reference shows it: "1", "60 s", "least-loaded", or the computed/absent text.
std::string describe_default(const Key& k, const Type& first_form);

}  // namespace dcsim::app::schema
