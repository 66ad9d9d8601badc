// Loading: turning bytes into a checked YAML tree. Everything that can go wrong before a key is read is caught here,
// so that readers only ever see a well-formed mapping.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <yaml-cpp/eventhandler.h>

#include "app/config/doc_state.hpp"
#include "app/config/node.hpp"
#include "app/config/suggest.hpp"

// GCC 12 reports a false -Wrestrict inside std::string for "literal" + std::string at -O3 (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

namespace dcsim::app {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void file_error(const std::string& file, std::string message, std::string note = {}, int line = 0,
                             int column = 0) {
  throw ConfigError(SourceLocation{file, line, column, {}}, {}, std::nullopt, std::move(message), std::move(note));
}

std::string mib(std::uintmax_t bytes) { return format_quantity(static_cast<double>(bytes), Dimension::data); }

const char* kind_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a single value";
    default: return "nothing";
  }
}

struct TreeChecker {
  const std::string& file;
  const std::string& origin;
  std::size_t nodes = 0;

  [[noreturn]] void fail(const YAML::Node& at, const std::string& path, std::string message,
                         std::string note = {}) const {
    throw ConfigError(detail::location_of(file, at.Mark(), origin), path, std::nullopt, std::move(message),
                      std::move(note));
  }

  void walk(const YAML::Node& n, const std::string& path, int depth) {
    if (++nodes > ConfigDocument::kMaxNodes)
      fail(n, path,
           "the document expands to more than " + std::to_string(ConfigDocument::kMaxNodes) +
               " nodes once aliases are resolved",
           "anchors and aliases (&a, *a) nest too deeply");
    if (depth > ConfigDocument::kMaxDepth)
      fail(n, path, "nesting is deeper than " + std::to_string(ConfigDocument::kMaxDepth) + " levels",
           "an alias inside its own anchor (&a [*a]) makes an endless loop");
    if (n.IsSequence()) {
      std::size_t i = 0;
      for (const auto& item : n) walk(item, path + "[" + std::to_string(i++) + "]", depth + 1);
      return;
    }
    if (!n.IsMap()) return;
    std::unordered_map<std::string, YAML::Mark> seen;
    for (const auto& kv : n) {
      const YAML::Node& key = kv.first;
      if (!key.IsScalar())
        fail(key, path, std::string("a key is ") + kind_of(key) + ", expected a plain name");
      const std::string name = key.Scalar();
      if (name == "<<" && key.Tag() == "?")
        fail(key, path, "YAML merge keys ('<<') are not supported", "repeat the keys, or use --set / overrides");
      const auto [it, fresh] = seen.emplace(name, key.Mark());
      if (!fresh)
        fail(key, path, "duplicate key '" + name + "'",
             "first at line " + std::to_string(it->second.line + 1) + "; YAML keeps only one of them");
      walk(kv.second, path.empty() ? name : path + "." + name, depth + 1);
    }
  }
};

// Counts the documents of a stream by parsing it into events only. YAML::LoadAll cannot be used for this: on a
// stray ',' (e.g. ", a" or "- a\n,") yaml-cpp 0.7 returns the same empty document forever and LoadAll eats all
// memory (yaml-cpp issues #1040, fixed upstream by PR #1319). Here a document that starts where the previous one
// started is recognised as that loop and reported as a syntax error.
struct DocumentScan : YAML::EventHandler {
  std::vector<YAML::Mark> starts;  // mark of each document's first node
  bool in_doc_first = false;

  void first(const YAML::Mark& m) {
    if (in_doc_first) starts.push_back(m);
    in_doc_first = false;
  }
  void OnDocumentStart(const YAML::Mark&) override { in_doc_first = true; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { first(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { first(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { first(m); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    first(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    first(m);
  }
  void OnMapEnd() override {}
};

// Where the second document of `text` starts, if there is one; throws YAML::ParserException on a syntax error.
std::optional<YAML::Mark> second_document(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentScan scan;
  std::size_t docs = 0;
  while (docs < 3 && parser.HandleNextDocument(scan)) {
    ++docs;
    const auto& st = scan.starts;
    if (st.size() >= 2 && st[st.size() - 1].pos == st[st.size() - 2].pos) {
      const std::size_t pos = static_cast<std::size_t>(std::max(0, st.back().pos));
      const std::string what = pos < text.size() ? std::string(1, text[pos]) : std::string("end of file");
      throw YAML::ParserException(st.back(), "unexpected '" + what + "'");
    }
  }
  if (docs < 2 || scan.starts.size() < 2) return std::nullopt;
  return scan.starts[1];
}

}  // namespace

namespace detail {

// Text checks yaml-cpp does not make: it would accept NUL bytes and invalid UTF-8, and report garbage as odd
// syntax errors far from the cause.
void check_text(std::string_view text, const std::string& file) {
  // NUL first, wherever it is: it is the surest sign of a binary file, clearer than the stray byte before it.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    const auto before = text.substr(0, nul);
    const auto last_nl = before.rfind('\n');
    const int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
    const int column = static_cast<int>(last_nl == std::string_view::npos ? nul + 1 : nul - last_nl);
    file_error(file, "contains NUL bytes: this is a binary file, expected YAML text", {}, line, column);
  }
  int line = 1, column = 1;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = 1;
    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", c);
      file_error(file, std::string("contains the control character ") + hex + ", expected YAML text", {}, line,
                 column);
    } else if (c >= 0x80) {
      // Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
      len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
      bool ok = len != 0 && i + len <= text.size();
      for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
      if (ok && len >= 3) {
        const auto c1 = static_cast<unsigned char>(text[i + 1]);
        ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0) && !(c == 0xF0 && c1 < 0x90) &&
             !(c == 0xF4 && c1 >= 0x90);
      }
      if (!ok) file_error(file, "is not valid UTF-8 text (a binary file?)", {}, line, column);
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += len;
  }
}

void check_tree(const YAML::Node& root, const std::string& file, const std::string& origin, const std::string& path) {
  TreeChecker{file, origin}.walk(root, path, 0);
}

}  // namespace detail

ConfigDocument ConfigDocument::load_string(std::string_view text, std::string file_name) {
  if (text.size() > kMaxBytes)
    file_error(file_name, "file is " + mib(text.size()) + ", larger than the " + mib(kMaxBytes) + " limit",
               "scenario files are small; is this a trace or data file?");
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // BOM: harmless, drop it
  detail::check_text(text, file_name);

  const std::string owned(text);
  YAML::Node root;
  try {
    if (const auto second = second_document(owned)) {
      const auto loc = detail::location_of(file_name, *second);
      file_error(file_name, "contains more than one YAML document ('---')", "expected a single mapping", loc.line,
                 loc.column);
    }
    root = YAML::Load(owned);
  } catch (const YAML::Exception& e) {
    // e.msg is yaml-cpp's bare message; e.what() would repeat the position in yaml-cpp's own words.
    const auto loc = detail::location_of(file_name, e.mark);
    file_error(file_name, "YAML syntax error: " + e.msg, {}, loc.line, loc.column);
  }
  if (root.IsNull())
    file_error(file_name, "is empty (or only comments)", "expected a mapping of keys such as 'name: ...'");
  if (!root.IsMap()) {
    const auto loc = detail::location_of(file_name, root.Mark());
    file_error(file_name, std::string("the top level is ") + kind_of(root) + ", expected a mapping of keys", {},
               loc.line, loc.column);
  }
  detail::check_tree(root, file_name, {}, {});

  auto state = std::make_shared<detail::DocState>();
  state->file = std::move(file_name);
  state->root = root;
  return ConfigDocument(std::move(state));
}

ConfigDocument ConfigDocument::load_file(const fs::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) file_error(name, "no such file");
  if (fs::is_directory(status)) file_error(name, "is a directory, expected a YAML file");
  if (!fs::is_regular_file(status)) file_error(name, "is not a regular file, expected a YAML file");
  const auto size = fs::file_size(path, ec);
  if (ec) file_error(name, "cannot be read: " + ec.message());
  if (size > kMaxBytes)
    file_error(name, "file is " + mib(size) + ", larger than the " + mib(kMaxBytes) + " limit",
               "scenario files are small; is this a trace or data file?");

  std::ifstream in(path, std::ios::binary);
  if (!in) file_error(name, std::string("cannot be read: ") + std::strerror(errno));
  // Read to the end but stop one chunk past the limit: the file may have grown since file_size().
  std::string text;
  char chunk[1 << 16];
  while (text.size() <= kMaxBytes && (in.read(chunk, sizeof chunk) || in.gcount() > 0))
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
  if (in.bad()) file_error(name, std::string("cannot be read: ") + std::strerror(errno));
  return load_string(text, name);
}

ConfigNode ConfigDocument::root() const {
  YAML::Mark mark = state_->root.Mark();
  return ConfigNode(state_, state_->root, {}, {}, mark, {});
}

const std::string& ConfigDocument::file() const { return state_->file; }

std::size_t ConfigDocument::overrides_applied() const { return state_->origins.size(); }

void ConfigDocument::start_pass(std::size_t overrides_mark) const {
  state_->maps.clear();
  if (state_->origins.size() > overrides_mark) state_->origins.resize(overrides_mark);
}

std::string ConfigDocument::canonical_text(const std::vector<std::string>& leave_out) const {
  YAML::Emitter out;
  if (leave_out.empty() || !state_->root.IsMap()) {
    out << state_->root;
    return out.c_str();
  }
  out << YAML::BeginMap;
  for (const auto& kv : state_->root) {
    if (std::find(leave_out.begin(), leave_out.end(), kv.first.Scalar()) != leave_out.end()) continue;
    out << YAML::Key << kv.first << YAML::Value << kv.second;
  }
  out << YAML::EndMap;
  return out.c_str();
}

}  // namespace dcsim::app
