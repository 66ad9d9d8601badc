// Reading a scenario through its declarations (app/schema/schema.hpp). A Reader is a mapping and the Section that
// declares its keys; every read names a key, and the declaration gives its type, range and default:
//
//   const Reader par = w.section_if("parallelism");
//   p.tp = par.integer("tp");            // declared: integer 1..2^20, default 1
//   p.dp = par.integer_if("dp").value_or(gpus / rest);   // declared: computed ("what tp, pp and cp leave")
//
// A key that is not declared, read as another type than declared, or read with a default other than declared
// (integer() on a computed key, integer_if() on one with a value) is a bug in dcsim: std::logic_error, which the
// tests reach by reading every bundled scenario and the bad-input corpus. Bad input is a ConfigError as always.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/config/node.hpp"
#include "app/schema/schema.hpp"

namespace dcsim::app::schema {

// A narrower range than the declared one, known only at read time (kv_heads <= heads); the declaration's `rule`
// says so.
struct Bounds {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};

class Reader;

// One present value and the forms its key declares.
class Value {
 public:
  Value(ConfigNode node, const std::vector<Type>* forms, const Key* key);
  const ConfigNode& node() const { return node_; }
  bool is_map() const { return node_.is_map(); }
  bool is_list() const { return node_.is_sequence(); }
  bool is_scalar() const { return node_.is_scalar(); }
  bool is_null() const { return node_.is_null(); }
  // The form a scalar value takes (integer, number, quantity, ...), for keys whose scalar type varies by use.
  const Type& scalar_form() const;
  // A literal word an integer form also takes ("count: auto").
  bool is_word(std::string_view word) const;

  std::int64_t integer(Bounds b = {}) const;
  double number(Bounds b = {}) const;
  double quantity(Bounds b = {}) const;
  double quantity_in(Dimension dim, Bounds b = {}) const;  // of a key whose forms are quantities of several units
  bool boolean() const;
  std::string choice() const;
  std::string catalog_name(const std::vector<std::string>& names) const;
  std::string text() const;
  Reader section() const;
  std::vector<Value> items() const;                            // a list
  std::vector<std::pair<std::string, Value>> entries() const;  // a map of free-form keys

 private:
  const Type& form(Kind kind) const;
  void require_shape(bool ok) const;

  ConfigNode node_;
  const std::vector<Type>* forms_;
  const Key* key_;  // the declaration, for internal errors
};

class Reader {
 public:
  // `node` must be a mapping (a ConfigError says what was expected otherwise). A section with variants reads its
  // discriminator here and reads on through the variant it names.
  Reader(ConfigNode node, SectionPtr section);
  const ConfigNode& node() const { return node_; }
  const Section& section() const { return *section_; }

  bool has(std::string_view key) const;
  // The key's node, present (else "missing required key"): to point an error at it, or to read a raw form.
  ConfigNode at(std::string_view key) const;
  Value value(std::string_view key) const;
  std::optional<Value> value_if(std::string_view key) const;

  // Keys declared with a default value or required.
  std::int64_t integer(std::string_view key, Bounds b = {}) const;
  double number(std::string_view key, Bounds b = {}) const;
  double quantity(std::string_view key, Bounds b = {}) const;
  bool boolean(std::string_view key) const;
  std::string choice(std::string_view key) const;
  std::string text(std::string_view key) const;
  std::string catalog_name(std::string_view key, const std::vector<std::string>& names) const;
  Reader section(std::string_view key) const;

  // Keys declared computed or optional: nullopt when absent, for the caller to apply what the declaration says.
  std::optional<std::int64_t> integer_if(std::string_view key, Bounds b = {}) const;
  std::optional<double> number_if(std::string_view key, Bounds b = {}) const;
  std::optional<double> quantity_if(std::string_view key, Bounds b = {}) const;
  std::optional<bool> boolean_if(std::string_view key) const;
  std::optional<std::string> choice_if(std::string_view key) const;
  std::optional<std::string> text_if(std::string_view key) const;
  std::optional<std::string> catalog_name_if(std::string_view key, const std::vector<std::string>& names) const;
  std::optional<Reader> section_if(std::string_view key) const;

  // Every key present was read, or a ConfigError: a declared key that does not apply here says where it applies;
  // an undeclared one gets a did-you-mean over the declared keys.
  void finish() const;
  [[noreturn]] void fail(std::string_view message, std::string_view note = {}) const { node_.fail(message, note); }

 private:
  const Key& declared(std::string_view key) const;
  const Key& with_default(std::string_view key, bool has_default) const;
  std::optional<Value> optional_value(std::string_view key) const;  // of a key declared computed or optional
  template <class T>
  T default_of(const Key& k) const;

  ConfigNode node_;
  SectionPtr section_;
};

}  // namespace dcsim::app::schema
