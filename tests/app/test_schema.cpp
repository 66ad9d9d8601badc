// The scenario format declared once (#17): the reader reads through the declarations, docs/reference.md and the JSON
// Schema are generated from them, and the declarations agree with themselves.
#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
// GCC 12 reports a false -Wmaybe-uninitialized inside <regex> at -O1 with the sanitizers (std::function in the
// regex automaton); the library, not this file.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "app/config/error.hpp"
#include "app/config/node.hpp"
#include "app/schema/json_schema.hpp"
#include "app/schema/reader.hpp"
#include "app/schema/reference.hpp"
#include "app/schema/scenario_keys.hpp"


namespace dcsim::app::schema {
namespace {

SectionPtr tiny() {
  static const SectionPtr s = make_section(
      "tiny", "a test block",
      {integer("tp", 1, 1024).or_default(1).describe("tensor parallel"),
       integer("dp", 1, 1 << 20).computed("what tp leaves"),
       quantity("duration", Dimension::time, 1e-6, 100).or_default(60.0),
       choice("routing", {"round-robin", "least-loaded"}).or_default("least-loaded"),
       number("rate", 0, 10).describe("requests/s").when_("process: poisson"),
       key("count", [] {
         Type t = integer_type(1, 100);
         t.choices = {"auto"};
         return t;
       }()).or_default(1)});
  return s;
}

ConfigDocument doc(const std::string& text) { return ConfigDocument::load_string(text, "t.yaml"); }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(SchemaReader, AbsentKeysTakeTheDeclaredDefaultAndGivenOnesTheDeclaredRange) {
  const auto d = doc("tp: 8\n");
  const Reader r(d.root(), tiny());
  EXPECT_EQ(r.integer("tp"), 8);
  EXPECT_EQ(r.quantity("duration"), 60.0);  // declared 60 s
  EXPECT_EQ(r.choice("routing"), "least-loaded");
  EXPECT_FALSE(r.integer_if("dp").has_value());  // computed: the caller applies what the declaration says
  r.finish();

  const auto big = doc("tp: 2048\n");
  const std::string e = error_of([&] { (void)Reader(big.root(), tiny()).integer("tp"); });
  EXPECT_NE(e.find("t.yaml:1:5: tp: got '2048', expected an integer from 1 to 1024"), std::string::npos) << e;
  // A narrower bound known only at read time (kv_heads <= heads) intersects the declared range.
  const auto four = doc("tp: 4\n");
  const std::string n = error_of([&] { (void)Reader(four.root(), tiny()).integer("tp", Bounds{1, 2}); });
  EXPECT_NE(n.find("expected an integer from 1 to 2"), std::string::npos) << n;
}

TEST(SchemaReader, ReadingAgainstTheDeclarationIsABugNotBadInput) {
  const auto d = doc("tp: 8\n");
  const Reader r(d.root(), tiny());
  EXPECT_THROW((void)r.integer("pp"), std::logic_error);          // not declared
  EXPECT_THROW((void)r.integer("dp"), std::logic_error);          // declared computed: read with integer_if
  EXPECT_THROW((void)r.integer_if("tp"), std::logic_error);       // declared with a default
  EXPECT_THROW((void)r.number("tp"), std::logic_error);           // declared an integer
  EXPECT_THROW((void)r.value("tp").is_word("auto"), std::logic_error);  // tp takes no word
  const auto c = doc("count: auto\n");
  EXPECT_TRUE(Reader(c.root(), tiny()).value("count").is_word("auto"));
}

TEST(SchemaReader, FinishSaysWhereADeclaredKeyAppliesAndSuggestsFromTheDeclarations) {
  const auto unused = doc("tp: 8\nrate: 5\n");
  const Reader r(unused.root(), tiny());
  (void)r.integer("tp");
  const std::string e = error_of([&] { r.finish(); });
  EXPECT_NE(e.find("t.yaml:2:1: key 'rate' does not apply here (it applies with process: poisson; remove it)"),
            std::string::npos)
      << e;
  // The suggestion comes from every declared key, not only the ones this reading asked for.
  const auto typo = doc("routin: least-loaded\n");
  const Reader t(typo.root(), tiny());
  const std::string u = error_of([&] { t.finish(); });
  EXPECT_NE(u.find("unknown key 'routin' at the top level (did you mean 'routing'?)"), std::string::npos) << u;
}

// Every default a declaration states is a value its own type accepts: a default outside the range would be a
// number no user could write.
void check_defaults(const SectionPtr& s, std::set<const Section*>& seen) {
  if (!seen.insert(s.get()).second) return;
  for (const auto& [value, variant] : s->variants) check_defaults(variant, seen);
  for (const Key& k : s->keys) {
    const Type& t = k.forms.front();
    SCOPED_TRACE(s->name + "." + k.name);
    if (k.def.kind == DefaultKind::value) {
      if (const auto* i = std::get_if<std::int64_t>(&k.def.value)) {
        EXPECT_EQ(t.kind, Kind::integer);
        EXPECT_GE(static_cast<double>(*i), t.min);
        EXPECT_LE(static_cast<double>(*i), t.max);
      } else if (const auto* d = std::get_if<double>(&k.def.value)) {
        EXPECT_TRUE(t.kind == Kind::number || t.kind == Kind::quantity);
        EXPECT_GE(*d, t.min);
        EXPECT_LE(*d, t.max);
      } else if (const auto* c = std::get_if<std::string>(&k.def.value)) {
        if (t.kind == Kind::choice) {
          EXPECT_NE(std::find(t.choices.begin(), t.choices.end(), *c), t.choices.end());
        }
      } else if (std::holds_alternative<std::monostate>(k.def.value)) {
        EXPECT_FALSE(k.def.text.empty());  // a described default (a distribution) says what it is
      }
    }
    if (k.def.kind == DefaultKind::computed || k.def.kind == DefaultKind::absent) {
      EXPECT_FALSE(k.def.text.empty());
    }
    if (!k.retired) {
      EXPECT_FALSE(k.doc.empty());
    }
    for (const Type& form : k.forms) {
      if (form.kind == Kind::section) check_defaults(form.section, seen);
      for (const Type& item : form.items)
        if (item.kind == Kind::section) check_defaults(item.section, seen);
    }
  }
}

TEST(ScenarioDeclarations, EveryDefaultIsInItsOwnRangeAndEveryKeyHasADoc) {
  std::set<const Section*> seen;
  check_defaults(scenario_keys(), seen);
  EXPECT_GT(seen.size(), 40u);  // every block of every workload was reached
}

TEST(ScenarioDeclarations, DefaultsAreTheWorkloadsOwn) {
  // Declared from the workload structs, so the reference shows what a run uses: spot checks by hand.
  const auto serving = explain(scenario_keys(), "workload.instance.max_batch");
  ASSERT_EQ(serving.size(), 2u);  // the serving pool and the agents' replica share the declaration
  EXPECT_NE(serving[0].find("default: 256"), std::string::npos) << serving[0];
  const auto window = explain(scenario_keys(), "workload.duration");
  ASSERT_EQ(window.size(), 2u);  // serving's (with a default) and the agents' (optional)
  EXPECT_NE(window[0].find("default: 1 min"), std::string::npos) << window[0];
  EXPECT_NE(window[1].find("none: the run ends when every task is done"), std::string::npos) << window[1];
  const auto turns = explain(scenario_keys(), "workload.turns");
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_NE(turns[0].find("lognormal, median 40, sigma 0.6, capped at 250"), std::string::npos) << turns[0];
  const auto count = explain(scenario_keys(), "hardware.count");
  ASSERT_EQ(count.size(), 1u);
  EXPECT_NE(count[0].find("an integer from 1 to 10000000"), std::string::npos) << count[0];
  // List items are named with or without an index.
  EXPECT_EQ(explain(scenario_keys(), "workload.classes[0].share").size(), 1u);
  EXPECT_EQ(explain(scenario_keys(), "workload.classes.share").size(), 1u);
  EXPECT_TRUE(explain(scenario_keys(), "workload.parallelism.tpp").empty());
}

TEST(ScenarioReference, DocsReferenceIsWhatTheDeclarationsGive) {
  std::ifstream in(std::string(DCSIM_SOURCE_DIR) + "/docs/reference.md");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(text.str() == reference_markdown(scenario_keys()))
      << "docs/reference.md is stale: run build/dcsim schema --format markdown --out docs/reference.md";
}

TEST(ScenarioJsonSchema, KeysCarryTheirRangesDefaultsAndUnitPatterns) {
  const auto names = [](const std::string& kind) { return std::vector<std::string>{"only-" + kind}; };
  const nlohmann::json j = json_schema(scenario_keys(), names);
  const auto& defs = j.at("$defs");
  const auto& tp = defs.at("workload_kind_pretraining_parallelism").at("properties").at("tp");
  EXPECT_EQ(tp.at("minimum"), 1);
  EXPECT_EQ(tp.at("maximum"), 1 << 20);
  EXPECT_EQ(tp.at("default"), 1);
  EXPECT_EQ(defs.at("hardware").at("properties").at("system").at("enum"), nlohmann::json({"only-system"}));
  EXPECT_EQ(defs.at("scenario").at("additionalProperties"), false);
  // A quantity is a number and a unit of its dimension.
  const std::regex duration(defs.at("workload_kind_serving").at("properties").at("duration").at("pattern").get<std::string>());
  EXPECT_TRUE(std::regex_search("2 s", duration));
  EXPECT_TRUE(std::regex_search("1.5e3 ms", duration));
  EXPECT_FALSE(std::regex_search("2", duration));
  EXPECT_FALSE(std::regex_search("2 GB", duration));
  // Each workload kind takes its own keys only.
  const auto& kinds = defs.at("workload").at("allOf");
  ASSERT_EQ(kinds.size(), 4u);
  EXPECT_EQ(defs.at("workload_kind_serving").at("properties").at("kind").at("const"), "serving");
}

}  // namespace
}  // namespace dcsim::app::schema
