#include "app/config/override.hpp"

#include <algorithm>
#include <vector>

#include "app/config/doc_state.hpp"

// GCC 12 reports a false -Wrestrict inside std::string for "literal" + std::string at -O3 (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

namespace dcsim::app {

namespace {

[[noreturn]] void bad(const std::string& origin, std::string_view key, std::string message, std::string note = {}) {
  throw ConfigError(SourceLocation{{}, 0, 0, origin}, std::string(key), std::nullopt, std::move(message),
                    std::move(note));
}

std::vector<std::string> split(std::string_view key, const std::string& origin) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    const std::string_view part = key.substr(start, dot == std::string_view::npos ? key.npos : dot - start);
    if (part.empty()) bad(origin, key, "the key has an empty part", "write it as a.b.c");
    parts.emplace_back(part);
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

std::string join(const std::vector<std::string>& parts, std::size_t from, std::size_t to) {
  std::string s;
  for (std::size_t i = from; i < to; ++i) s += (i > from ? "." : "") + parts[i];
  return s;
}

// The existing key of `map` that matches the longest run parts[i..k), so "gpu.hbm_bandwidth" is found whole.
std::size_t match_existing(const YAML::Node& map, const std::vector<std::string>& parts, std::size_t i) {
  for (std::size_t k = parts.size(); k > i + 1; --k) {
    const std::string joined = join(parts, i, k);
    for (const auto& kv : map)
      if (kv.first.Scalar() == joined) return k;
  }
  return i + 1;
}

}  // namespace

void apply_override(ConfigDocument& doc, std::string_view dotted_key, const YAML::Node& value, std::string origin) {
  detail::DocState& st = *doc.state_;
  if (origin.empty()) origin = "override " + std::string(dotted_key);
  if (dotted_key.empty()) bad(origin, dotted_key, "the key is empty", "write KEY=VALUE, e.g. seed=7");
  if (!value.IsDefined()) bad(origin, dotted_key, "no value given");  // a zombie node from a failed lookup
  const std::vector<std::string> parts = split(dotted_key, origin);
  detail::check_tree(value, st.file, origin, std::string(dotted_key));

  // Walk from the root: each step must be a mapping; a missing one is created (and belongs to this override).
  YAML::Node cur = st.root;
  std::size_t i = 0;
  while (true) {
    if (cur.IsSequence())
      bad(origin, join(parts, 0, i),
          "a list item cannot be set on its own ('" + std::string(dotted_key) + "')",
          "set the whole list, e.g. " + join(parts, 0, i) + "=[a, b]");
    if (!cur.IsMap())
      bad(origin, join(parts, 0, i),
          "cannot set '" + std::string(dotted_key) + "': '" + join(parts, 0, i) + "' is a single value, not a mapping");
    const std::size_t next = match_existing(cur, parts, i);
    const std::string key = join(parts, i, next);
    if (next == parts.size()) {
      // Replace the pair rather than assign through cur[key]: yaml-cpp's assignment rebinds the shared node, which
      // would also change every alias of the old value.
      cur.remove(key);
      cur.force_insert(key, value);
      st.origins.emplace_back(value, origin);
      return;
    }
    const YAML::Node existing = static_cast<const YAML::Node&>(cur)[key];
    if (existing) {
      if (existing.IsNull()) {  // "key:" with nothing: treat as an empty mapping to fill
        YAML::Node fresh(YAML::NodeType::Map);
        cur.remove(key);
        cur.force_insert(key, fresh);
        st.origins.emplace_back(fresh, origin);
        cur.reset(fresh);
      } else {
        cur.reset(existing);
      }
    } else {
      YAML::Node fresh(YAML::NodeType::Map);
      cur.force_insert(key, fresh);
      st.origins.emplace_back(fresh, origin);
      cur.reset(fresh);
    }
    i = next;
  }
}

void apply_override(ConfigDocument& doc, std::string_view assignment) {
  const std::string origin = "--set " + std::string(assignment);
  const std::size_t eq = assignment.find('=');
  if (eq == std::string_view::npos)
    bad(origin, {}, "expected KEY=VALUE", "e.g. --set workload.bytes=1GiB or --set seed=7");
  const std::string_view key = assignment.substr(0, eq);
  const std::string_view text = assignment.substr(eq + 1);
  if (key.empty()) bad(origin, {}, "the key before '=' is empty", "e.g. --set seed=7");
  if (text.find_first_not_of(" \t") == std::string_view::npos)
    bad(origin, key, "the value after '=' is empty", "for an empty string write " + std::string(key) + "=''");

  detail::check_text(assignment, origin);  // control characters, NUL, invalid UTF-8
  YAML::Node value;
  try {
    const std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
    if (docs.size() != 1) bad(origin, key, "the value holds " + std::to_string(docs.size()) + " YAML documents, expected one");
    value = docs.front();
  } catch (const YAML::Exception& e) {
    bad(origin, key, "the value is not valid YAML: " + e.msg);
  }
  apply_override(doc, key, value, origin);
}

}  // namespace dcsim::app
