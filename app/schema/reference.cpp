#include "app/schema/reference.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>

namespace dcsim::app::schema {
namespace {

// The sections a type leads to (a key's mapping, a list's items, a variant's kinds).
void sections_of(const Type& t, std::vector<SectionPtr>& out) {
  if (t.kind == Kind::section) out.push_back(t.section);
  for (const Type& item : t.items) sections_of(item, out);
}

std::vector<SectionPtr> children(const Section& s) {
  std::vector<SectionPtr> out;
  for (const auto& [value, variant] : s.variants) out.push_back(variant);
  for (const Key& k : s.keys)
    for (const Type& t : k.forms) sections_of(t, out);
  return out;
}

// Depth first from the root, each section once, in the order a scenario nests them.
std::vector<SectionPtr> all_sections(const SectionPtr& root) {
  std::vector<SectionPtr> order;
  std::set<const Section*> seen;
  std::function<void(const SectionPtr&)> visit = [&](const SectionPtr& s) {
    if (!seen.insert(s.get()).second) return;
    order.push_back(s);
    for (const SectionPtr& c : children(*s)) visit(c);
  };
  visit(root);
  return order;
}

std::string title(const Section& s) { return s.name.empty() ? "Top level" : s.name; }

// GitHub's heading anchors: lower case, spaces to '-', punctuation other than '-' and '_' dropped.
std::string anchor(const Section& s) {
  std::string out;
  for (const char c : title(s)) {
    if (c == ' ') out += '-';
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') out += c;
    else if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A type for the table: a mapping links to its own table.
std::string type_cell(const Type& t);
std::string forms_cell(const std::vector<Type>& forms) {
  std::string out;
  for (std::size_t i = 0; i < forms.size(); ++i) {
    if (i > 0) out += i + 1 == forms.size() ? ", or " : ", ";
    out += type_cell(forms[i]);
  }
  return out;
}
std::string type_cell(const Type& t) {
  if (t.kind == Kind::section) return "a mapping: [" + title(*t.section) + "](#" + anchor(*t.section) + ")";
  if (t.kind == Kind::list) {
    const std::string each = ", each " + forms_cell(t.items);
    if (t.min_items == t.max_items) return "a list of exactly " + std::to_string(t.min_items) + " values" + each;
    return std::string(t.min_items > 0 ? "a non-empty list" : "a list") + each;
  }
  if (t.kind == Kind::map) return "a mapping of names to " + forms_cell(t.items);
  return describe_type(t);
}

std::string escape_cell(std::string s) {
  std::string out;
  for (const char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string notes(const Key& k) {
  std::string out = k.doc;
  if (!k.rule.empty()) out += (out.empty() ? "" : ". ") + std::string("Rule: ") + k.rule;
  if (!k.when.empty()) out += (out.empty() ? "" : ". ") + std::string("Applies with ") + k.when;
  return out;
}

// The entries under a section for a path's remaining segments; variants branch.
void find(const SectionPtr& s, const std::vector<std::string>& segments, std::size_t i,
          std::vector<std::pair<std::string, const Key*>>& out) {
  if (!s->variants.empty()) {
    for (const auto& [value, variant] : s->variants) find(variant, segments, i, out);
    return;
  }
  const Key* k = s->find(segments[i]);
  if (!k) return;
  const std::string path = title(*s) == "Top level" ? k->name : s->name + "." + k->name;
  if (i + 1 == segments.size()) {
    out.emplace_back(path, k);
    return;
  }
  std::vector<SectionPtr> next;
  for (const Type& t : k->forms) sections_of(t, next);
  for (const SectionPtr& n : next) find(n, segments, i + 1, out);
}

void collect_paths(const SectionPtr& s, const std::string& prefix, std::set<std::string>& out, int depth) {
  if (depth > 16) return;
  if (!s->variants.empty()) {
    for (const auto& [value, variant] : s->variants) collect_paths(variant, prefix, out, depth + 1);
    return;
  }
  for (const Key& k : s->keys) {
    const std::string path = prefix.empty() ? k.name : prefix + "." + k.name;
    out.insert(path);
    std::vector<SectionPtr> next;
    for (const Type& t : k.forms) sections_of(t, next);
    for (const SectionPtr& n : next) collect_paths(n, path, out, depth + 1);
  }
}

}  // namespace

std::string reference_markdown(const SectionPtr& root) {
  std::ostringstream md;
  md << "# Scenario reference\n\n"
        "Every key a scenario file takes: its type with unit and range, its default, the rules that tie it to "
        "other keys, and what it does. Generated from the declarations in `app/schema/` (the readers read through "
        "the same declarations) by `dcsim schema --format markdown --out docs/reference.md`; a test fails when this "
        "file is not what they give. `dcsim explain KEY` prints one key; `dcsim schema` writes a JSON Schema for "
        "editors (docs/cli.md, Editors).\n\n"
        "Quantities carry units (`80 GiB`, `400 Gb/s`, `5 us`; docs/scenario-errors.md); their ranges are given in "
        "the units shown. \"Required\" keys must be given where they apply; a key that \"applies with\" a setting "
        "is an error elsewhere.\n\n";
  for (const SectionPtr& s : all_sections(root)) {
    md << "## " << title(*s) << "\n\n";
    if (!s->doc.empty()) md << s->doc << "\n\n";
    if (!s->variants.empty()) {
      md << "`" << s->discriminator << "` picks the keys:";
      for (const auto& [value, variant] : s->variants) md << " [" << value << "](#" << anchor(*variant) << ")";
      md << ".\n\n";
      continue;
    }
    md << "| key | type | default | what it does |\n|---|---|---|---|\n";
    for (const Key& k : s->keys) {
      if (k.retired) {
        md << "| `" << k.name << "` | retired | | " << escape_cell(k.doc) << " |\n";
        continue;
      }
      md << "| `" << k.name << "` | " << escape_cell(forms_cell(k.forms)) << " | "
         << escape_cell(describe_default(k, k.forms.front())) << " | " << escape_cell(notes(k)) << " |\n";
    }
    md << "\n";
  }
  return md.str();
}

namespace {

// The entries of a dotted key with their reference paths.
std::vector<std::pair<std::string, const Key*>> lookup(const SectionPtr& root, std::string_view dotted_key) {
  // "classes[0].name" and "classes[].name" name the same key as "classes.name".
  std::string cleaned;
  for (std::size_t i = 0; i < dotted_key.size(); ++i) {
    if (dotted_key[i] == '[') {
      while (i < dotted_key.size() && dotted_key[i] != ']') ++i;
      continue;
    }
    cleaned += dotted_key[i];
  }
  std::vector<std::string> segments;
  std::string seg;
  std::stringstream in(cleaned);
  while (std::getline(in, seg, '.'))
    if (!seg.empty()) segments.push_back(seg);
  std::vector<std::pair<std::string, const Key*>> found;
  if (!segments.empty()) find(root, segments, 0, found);
  return found;
}

}  // namespace

std::vector<const Key*> declarations_of(const SectionPtr& root, std::string_view dotted_key) {
  std::vector<const Key*> out;
  for (const auto& [path, k] : lookup(root, dotted_key)) out.push_back(k);
  return out;
}

std::vector<std::string> explain(const SectionPtr& root, std::string_view dotted_key) {
  std::vector<std::string> out;
  const std::vector<std::pair<std::string, const Key*>> found = lookup(root, dotted_key);
  for (const auto& [path, k] : found) {
    std::ostringstream e;
    e << path << "\n";
    if (k->retired) {
      e << "  retired: " << k->doc << "\n";
      out.push_back(e.str());
      continue;
    }
    e << "  type:    " << describe_forms(k->forms) << "\n";
    e << "  default: " << describe_default(*k, k->forms.front()) << "\n";
    if (!k->rule.empty()) e << "  rule:    " << k->rule << "\n";
    if (!k->when.empty()) e << "  applies: with " << k->when << "\n";
    if (!k->doc.empty()) e << "  " << k->doc << "\n";
    // A block: the keys it takes (or, chosen by a key, its kinds), for the next `explain`.
    for (const Type& t : k->forms) {
      const Type& inner = t.kind == Kind::list && !t.items.empty() ? t.items.front() : t;
      if (inner.kind != Kind::section) continue;
      const Section& sec = *inner.section;
      std::string names;
      if (!sec.variants.empty()) {
        for (const auto& [value, variant] : sec.variants) names += (names.empty() ? "" : ", ") + value;
        e << "  " << sec.discriminator << ":    " << names << " (each with its own keys)\n";
      } else {
        for (const Key& child : sec.keys)
          if (!child.retired) names += (names.empty() ? "" : ", ") + child.name;
        e << "  keys:    " << names << "\n";
      }
    }
    out.push_back(e.str());
  }
  return out;
}

std::vector<std::string> declared_paths(const SectionPtr& root) {
  std::set<std::string> paths;
  collect_paths(root, "", paths, 0);
  return {paths.begin(), paths.end()};
}

}  // namespace dcsim::app::schema
