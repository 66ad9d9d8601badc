// Reading a scenario (or catalog) YAML file through a checked API. The only code that touches yaml-cpp is in
// app/config/; the rest of app/ reads ConfigNodes and gets plain values in SI units, or a ConfigError naming
// file:line:column, the dotted key, the bad value and what was expected.
//
// Every key a reader asks for (has, child, get_*, even when absent) is remembered per mapping; finish() then
// rejects the keys nobody asked for, suggesting the nearest asked-for key ("nic_bandwith" -> "nic_bandwidth").
// A ConfigDocument and its nodes share that bookkeeping; they are cheap to copy and not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "app/config/error.hpp"
#include "app/config/units.hpp"

namespace dcsim::app {

namespace detail {
struct DocState;
}

class ConfigNode;

class ConfigDocument {
 public:
  // Files larger than this are refused before they are read: no scenario is that big, a trace file given by
  // mistake is.
  static constexpr std::uintmax_t kMaxBytes = 16u << 20;
  // Limits on the parsed tree. Aliases share nodes, so a few lines can expand into billions of nodes ("billion
  // laughs") or a cycle; the loader walks the expanded tree once and stops at these.
  static constexpr int kMaxDepth = 64;
  static constexpr std::size_t kMaxNodes = 1'000'000;

  // Errors (ConfigError, naming the file): missing, a directory or other non-file, unreadable, too big, empty or
  // only comments, not UTF-8 text (NUL bytes, control characters, bad byte sequences), YAML syntax, several
  // documents, a top level that is not a mapping, duplicate or non-scalar or merge ('<<') keys, over the limits.
  static ConfigDocument load_file(const std::filesystem::path& path);
  // The same checks on text held in memory; `file_name` is what messages call it.
  static ConfigDocument load_string(std::string_view text, std::string file_name);

  ConfigNode root() const;
  const std::string& file() const;
  // The tree as YAML text, overrides applied, comments and layout dropped: what a run actually read.
  // `leave_out`: top-level keys to drop (a sweep's own block, which every point would otherwise carry whole).
  std::string canonical_text(const std::vector<std::string>& leave_out = {}) const;
  // The unknown-key check of ConfigNode::finish() on every mapping the reader has opened (by root(), child(),
  // items(), ...), so that a reader that forgets one finish() still rejects typos. Reports the first in file order.
  void finish() const;

  // One document read many times (a sweep's points): overrides_applied() marks the overrides that stay (the
  // --set ones); start_pass(mark) forgets every key a reader asked for and the origins of later overrides, so that
  // each pass is checked as if the document were new, whatever the passes before it read.
  std::size_t overrides_applied() const;
  void start_pass(std::size_t overrides_mark) const;

 private:
  explicit ConfigDocument(std::shared_ptr<detail::DocState> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::DocState> state_;

  friend void apply_override(ConfigDocument& doc, std::string_view dotted_key, const YAML::Node& value,
                             std::string origin);
};

// Choices for get_enum: both a braced list and a catalog's list of names work.
using Choices = std::vector<std::string>;

class ConfigNode {
 public:
  static constexpr std::int64_t kIntMin = std::numeric_limits<std::int64_t>::min();
  static constexpr std::int64_t kIntMax = std::numeric_limits<std::int64_t>::max();
  static constexpr double kInf = std::numeric_limits<double>::infinity();

  ConfigNode(const ConfigNode&) = default;
  // No assignment: assigning a YAML::Node overwrites the node it refers to (yaml-cpp's reference semantics), so
  // `a = b` would silently rewrite the scenario tree. Hold a std::optional<ConfigNode> and emplace instead.
  ConfigNode& operator=(const ConfigNode&) = delete;

  const std::string& path() const { return path_; }  // "hardware.scale_out", "sweep.seed[2]"; "" for the root
  SourceLocation location() const;
  // Domain errors at this node: "FILE:L:C: PATH: MESSAGE (NOTE)", e.g. fail("tp*pp*dp = 48 does not divide ...").
  [[noreturn]] void fail(std::string_view message, std::string_view note = {}) const;
  // "FILE:L:C: PATH: got 'VALUE', expected EXPECTED (NOTE)" (or "expected ..., got a mapping" for non-scalars).
  [[noreturn]] void fail_value(std::string_view expected, std::string_view note = {}) const;

  bool is_scalar() const { return node_.IsScalar(); }
  bool is_map() const { return node_.IsMap(); }
  bool is_sequence() const { return node_.IsSequence(); }
  bool is_null() const { return node_.IsNull(); }

  // --- on a mapping ---------------------------------------------------------------------------------------------
  bool has(std::string_view key) const;                                  // present (null counts as present)
  ConfigNode child(std::string_view key) const;                          // error "missing required key"
  // The same, the error saying what the key takes ("expected an integer from 1 to 1024").
  ConfigNode required_child(std::string_view key, std::string_view expected) const;
  std::optional<ConfigNode> optional_child(std::string_view key) const;  // nullopt when absent
  std::vector<std::string> keys() const;  // in file order; for maps with free-form keys (sweep, overrides)
  void finish() const;                    // every key of this mapping was asked for, or ConfigError
  // finish() for a mapping whose keys are declared (app/schema): a declared key nobody asked for "does not apply
  // here" (with where it applies, from `applies_when`, parallel to `declared`); an undeclared one is unknown, with a
  // did-you-mean over the declared keys.
  void finish_declared(const std::vector<std::string>& declared, const std::vector<std::string>& applies_when) const;

  std::string get_string(std::string_view key) const;
  std::string get_string_or(std::string_view key, std::string_view fallback) const;
  std::int64_t get_int(std::string_view key, std::int64_t min = kIntMin, std::int64_t max = kIntMax) const;
  std::int64_t get_int_or(std::string_view key, std::int64_t fallback, std::int64_t min = kIntMin,
                          std::int64_t max = kIntMax) const;
  double get_number(std::string_view key, double min = -kInf, double max = kInf) const;
  double get_number_or(std::string_view key, double fallback, double min = -kInf, double max = kInf) const;
  bool get_bool(std::string_view key) const;
  bool get_bool_or(std::string_view key, bool fallback) const;
  // Quantities are >= 0 unless the caller lowers `min`; bounds are in SI units.
  double get_quantity(std::string_view key, Dimension dim, double min = 0, double max = kInf) const;
  double get_quantity_or(std::string_view key, Dimension dim, double fallback, double min = 0,
                         double max = kInf) const;
  std::string get_enum(std::string_view key, const Choices& choices) const;
  std::string get_enum_or(std::string_view key, const Choices& choices, std::string_view fallback) const;
  std::vector<ConfigNode> get_list(std::string_view key) const;

  // --- the node itself (list items, free-form map values) -----------------------------------------------------
  std::string as_string() const;  // any scalar, as written
  std::int64_t as_int(std::int64_t min = kIntMin, std::int64_t max = kIntMax) const;
  double as_number(double min = -kInf, double max = kInf) const;
  bool as_bool() const;  // exactly true or false
  double as_quantity(Dimension dim, double min = 0, double max = kInf) const;
  std::string as_enum(const Choices& choices) const;
  std::vector<ConfigNode> items() const;  // of a sequence

  // The raw subtree, to hand on unread (e.g. as an override value). Marks the subtree as consumed.
  const YAML::Node& yaml() const;

 private:
  friend class ConfigDocument;
  ConfigNode(std::shared_ptr<detail::DocState> doc, YAML::Node node, std::string path, std::string id,
             YAML::Mark mark, std::string origin);
  ConfigNode make_child(std::string_view key, const YAML::Node& value, const YAML::Mark& key_mark) const;
  void note_asked(std::string_view key) const;
  void require_map(std::string_view for_key) const;
  std::optional<ConfigNode> lookup(std::string_view key) const;
  ConfigNode require(std::string_view key, std::string_view what) const;
  std::string scalar_text(std::string_view expected) const;

  std::shared_ptr<detail::DocState> doc_;
  YAML::Node node_;
  std::string path_;    // for messages: keys joined by '.', list items as [i]
  std::string id_;      // for bookkeeping: keys joined by '\x1f', so that keys containing '.' cannot collide
  YAML::Mark mark_;
  std::string origin_;  // non-empty inside a subtree set by an override
};

}  // namespace dcsim::app
