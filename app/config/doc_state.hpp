// Internal to app/config/: what a ConfigDocument and its ConfigNodes share. Not for use elsewhere.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "app/config/error.hpp"

namespace dcsim::app::detail {

// One mapping the reader has opened, by its bookkeeping id (see ConfigNode::id_).
struct MapRecord {
  YAML::Node node;
  std::string path;
  std::string origin;
  std::set<std::string, std::less<>> asked;  // keys the reader asked for, present or not
  bool opaque = false;                       // handed on whole through yaml(): its keys are someone else's
};

struct DocState {
  std::string file;
  YAML::Node root;
  // Subtrees put in by overrides, with where they came from ("--set a.b=1"); matched by node identity.
  std::vector<std::pair<YAML::Node, std::string>> origins;
  std::map<std::string, MapRecord> maps;

  const std::string* origin_of(const YAML::Node& n) const {
    for (const auto& [node, origin] : origins)
      if (node.is(n)) return &origin;
    return nullptr;
  }
};

// 1-based location of a yaml-cpp mark (which is 0-based, and -1 for nodes made in code).
inline SourceLocation location_of(const std::string& file, const YAML::Mark& m, const std::string& origin = {}) {
  SourceLocation loc{file, 0, 0, origin};
  if (m.line >= 0) {
    loc.line = m.line + 1;
    loc.column = m.column + 1;
  }
  return loc;
}

// Validates a freshly parsed or overridden tree: scalar keys only, no duplicates, no merge keys, within the depth
// and node-count limits. Throws ConfigError located in `file` (or at `origin`).
void check_tree(const YAML::Node& root, const std::string& file, const std::string& origin, const std::string& path);
// YAML text is UTF-8 without NUL or control characters (tab and line ends aside): a ConfigError naming `file`
// (a path, or "--set KEY=VALUE") and the line and column otherwise.
void check_text(std::string_view text, const std::string& file);

}  // namespace dcsim::app::detail
