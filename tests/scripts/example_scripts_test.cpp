// The example Lua plugins in scripts/ (rule_engine, data_processor, order_processor) driven
// through the real actors with troupe::runtime: every documented behaviour, the errors, the tools
// and their schemas, settings, and the rule engine's evaluation cost.

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "actor_fixture.hpp"
#include "actors/runtime.hpp"
#include "messages/json_codec.hpp"
#include "plugins/lua/lua_plugin.hpp"

#ifndef TROUPE_SCRIPTS_DIR
#error "TROUPE_SCRIPTS_DIR must name the scripts/ folder"
#endif

namespace troupe::test {
namespace {

using nlohmann::json;
using namespace std::string_literals;

std::string script_path(const std::string& name) {
  return std::string(TROUPE_SCRIPTS_DIR) + "/" + name;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

runtime_options test_options() {
  runtime_options opts;
  opts.call_timeout = std::chrono::milliseconds{10000};
  return opts;
}

/// A fixture with a runtime; `add` starts one script under an id.
class Scripts : public actor_fixture {
protected:
  /// Adds `script` as plugin `id` with `settings` and starts every plugin; the start result.
  caf::expected<std::vector<std::string>> add(const std::string& id, const std::string& script,
                                              std::map<std::string, std::string> settings = {}) {
    auto md = rt.add(lua_spec(config_for(id, std::move(settings)), script_path(script)));
    if (!md)
      return std::move(md.error());
    return rt.start_all();
  }

  /// As add, but failing is a test failure.
  void start(const std::string& id, const std::string& script,
             std::map<std::string, std::string> settings = {}) {
    auto started = add(id, script, std::move(settings));
    ASSERT_TRUE(started) << describe(started.error());
  }

  /// Executes JSON text on `id`; the JSON result, or the error.
  caf::expected<json> exec(const std::string& id, const std::string& input) {
    auto in = payload_from_json_text(input);
    if (!in)
      return std::move(in.error());
    auto out = rt.execute(id, *in);
    if (!out)
      return std::move(out.error());
    return payload_to_json(*out);
  }

  /// As exec, but an error fails the test.
  json ok(const std::string& id, const std::string& input) {
    auto out = exec(id, input);
    if (!out) {
      ADD_FAILURE() << input << " failed: " << describe(out.error());
      return json("<failed>");
    }
    return *out;
  }

  /// call_script_function with JSON arguments (an array is spread).
  caf::expected<json> call(const std::string& id, const std::string& fn, const json& args) {
    auto out = rt.call_script_function(id, fn, payload_from_json(args));
    if (!out)
      return std::move(out.error());
    return payload_to_json(*out);
  }

  caf::expected<json> tool(const std::string& name, const json& args) {
    auto out = rt.call_tool(name, payload_from_json(args));
    if (!out)
      return std::move(out.error());
    return payload_to_json(*out);
  }

  runtime rt{sys, test_options()};
};

/// The error's text, for EXPECT_THAT-free substring checks.
template <class T>
std::string error_text(const caf::expected<T>& x) {
  return x ? std::string("<no error>") : describe(x.error());
}

#define EXPECT_CONTAINS(haystack, needle)                                                        \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)                              \
    << "expected [" << (needle) << "] in [" << (haystack) << "]"

const char* const sample_facts =
  R"({"customer": {"tier": "gold", "verified": true},
      "order": {"total": 250, "items": 12, "coupon": "SAVE5"}})";

// -- every script ---------------------------------------------------------------------------------

TEST_F(Scripts, EveryScriptValidatesCleanlyAndReportsItsMetadata) {
  const std::map<std::string, std::string> types{
    {"rule_engine", "skill"}, {"data_processor", "tool"}, {"order_processor", "skill"}};
  for (const auto& [name, type] : types) {
    auto file = script_path(name + ".lua");
    for (const auto& p : lua::validate_script(read_text(file)))
      ADD_FAILURE() << file << ":" << p.line << ": " << p.message;
    ASSERT_TRUE(rt.add(lua_spec(config_for(name), file)));
  }
  auto started = rt.start_all();
  ASSERT_TRUE(started) << describe(started.error());
  // list() asks the plugins themselves (the manager's metadata() answers what it cached at
  // registration, before the script was loaded).
  auto rows = rt.list();
  ASSERT_TRUE(rows) << describe(rows.error());
  ASSERT_EQ(rows->size(), 3u);
  for (const auto& row : *rows) {
    const auto& md = row.metadata;
    EXPECT_EQ(md.name, md.id);
    EXPECT_EQ(md.version, "1.0.0");
    EXPECT_FALSE(md.description.empty());
    EXPECT_FALSE(md.capabilities.empty());
    EXPECT_EQ(to_string(md.type), types.at(md.id));
  }
}

// -- rule_engine ----------------------------------------------------------------------------------

TEST_F(Scripts, RuleEngineDefaultRulesGiveTheDocumentedSampleOutput) {
  start("rules", "rule_engine.lua");
  EXPECT_EQ(ok("rules", sample_facts), json::parse(R"({
    "matched": ["vip_customer", "bulk_order", "free_shipping", "promo_code"],
    "result": {"discount": 20, "shipping": "free"}, "tags": ["vip", "bulk", "promo"]})"));
}

TEST_F(Scripts, RuleEngineStopEndsEvaluationAndNoMatchGivesEmptyTables) {
  start("rules", "rule_engine.lua");
  // fraud_hold (priority 100) stops: vip_customer and free_shipping would match otherwise.
  EXPECT_EQ(ok("rules", R"({"customer": {"tier": "gold"}, "order": {"total": 6000}})"),
            json::parse(R"({"matched": ["fraud_hold"], "result": {"decision": "hold"},
                            "tags": ["review"]})"));
  // Nothing matches: the lists are empty tables, which encode as {}.
  EXPECT_EQ(ok("rules", "{}"), json::parse(R"({"matched": {}, "result": {}, "tags": {}})"));
  // A prefix that is not an object does not match and does not fail.
  EXPECT_EQ(ok("rules", R"({"customer": "gold", "order": [1, 2]})"),
            json::parse(R"({"matched": {}, "result": {}, "tags": {}})"));
}

TEST_F(Scripts, RuleEngineCallsDoNotLeakIntoEachOther) {
  start("rules", "rule_engine.lua");
  ok("rules", sample_facts);
  EXPECT_EQ(ok("rules", R"({"order": {"items": 10}})"),
            json::parse(R"({"matched": ["bulk_order"], "result": {"discount": 5}, "tags": ["bulk"]})"));
  ok("rules", R"({"order": {"total": 9000}})");
  EXPECT_EQ(ok("rules", sample_facts)["result"], json::parse(R"({"discount": 20, "shipping": "free"})"));
}

TEST_F(Scripts, RuleEngineRejectsFactsThatAreNotAnObject) {
  start("rules", "rule_engine.lua");
  auto out = exec("rules", R"("gold")");
  EXPECT_TROUPE_ERROR(out, errc::plugin_failed);
  EXPECT_CONTAINS(error_text(out), "facts must be an object, got string");
  EXPECT_TRUE(exec("rules", "{}")); // the next call works
}

TEST_F(Scripts, RuleEngineEveryOperator) {
  start("rules", "rule_engine.lua");
  auto rule = [](const std::string& name, json when) {
    return json{{"name", name}, {"when", std::move(when)}};
  };
  auto cond = [](const std::string& field, const std::string& op, json value = nullptr) {
    json c{{"field", field}, {"op", op}};
    if (!value.is_null())
      c["value"] = std::move(value);
    return c;
  };
  json long_list = json::array();
  for (int i = 0; i < 20; ++i)
    long_list.push_back("c" + std::to_string(i));
  json rules = json::array({
    rule("eq", cond("a.s", "==", "x")),
    rule("ne", cond("a.s", "!=", "y")),
    rule("ne_missing", cond("a.missing", "!=", "y")),
    rule("eq_missing", cond("a.missing", "==", "y")),
    rule("gt", cond("n", ">", 5)),
    rule("ge", cond("n", ">=", 6)),
    rule("lt", cond("n", "<", 7)),
    rule("le", cond("n", "<=", 5.5)),
    rule("gt_string", cond("a.s", ">", "w")),
    rule("gt_wrong_type", cond("a.s", ">", 1)),
    rule("in_short", cond("a.s", "in", json::array({"v", "x"}))),
    rule("in_long", cond("code", "in", long_list)),
    rule("in_number", cond("n", "in", json::array({1, 6}))),
    rule("contains_text", cond("text", "contains", "ell")),
    rule("contains_array", cond("list", "contains", 3)),
    rule("contains_absent", cond("list", "contains", 4)),
    rule("starts", cond("text", "starts_with", "he")),
    rule("starts_not", cond("text", "starts_with", "lo")),
    rule("exists", cond("a.s", "exists")),
    rule("exists_false", cond("a.missing", "exists", false)),
    rule("exists_not", cond("a.missing", "exists")),
    rule("array_index", cond("items.2.sku", "==", "B")),
    rule("deep", cond("x.y.z.w", "==", true)),
    rule("nested", json{{"any", json::array({cond("n", "<", 0),
                                              json{{"all", json::array({cond("a.s", "==", "x"),
                                                                        cond("n", "==", 6)})}}})}}),
    rule("all_fails", json{{"all", json::array({cond("n", "==", 6), cond("a.s", "==", "no")})}}),
    json{{"name", "always"}},
  });
  auto set = call("rules", "set_rules", json{{"rules", rules}});
  ASSERT_TRUE(set) << describe(set.error());
  EXPECT_EQ(*set, (json{{"ok", true}, {"count", rules.size()}}));
  auto out = ok("rules", R"({"a": {"s": "x"}, "n": 6, "code": "c17", "text": "hello",
                            "list": [1, 2, 3], "items": [{"sku": "A"}, {"sku": "B"}],
                            "x": {"y": {"z": {"w": true}}}})");
  EXPECT_EQ(out["matched"], json::parse(R"(["eq", "ne", "ne_missing", "gt", "ge", "lt",
    "gt_string", "in_short", "in_long", "in_number", "contains_text", "contains_array", "starts",
    "exists", "exists_false", "array_index", "deep", "nested", "always"])"));
}

TEST_F(Scripts, RuleEnginePriorityOrdersRulesAndActionsApply) {
  start("rules", "rule_engine.lua");
  auto set = call("rules", "set_rules", json::parse(R"({"rules": [
    {"name": "low", "priority": -5, "actions": [{"add": "score", "value": 1}, {"add_tag": "t"}]},
    {"name": "first", "actions": [{"set": "score", "value": 10}, {"add_tag": "t"}]},
    {"name": "second", "actions": [{"add": "score", "value": 2.5}, {"set": "list", "value": [1, 2]}]},
    {"name": "high", "priority": 7, "actions": [{"add": "score", "value": 100}, {"add_tag": "h"}]},
    {"name": "stopper", "priority": -10, "actions": [{"stop": true}]},
    {"name": "never", "priority": -20, "actions": [{"set": "never", "value": true}]}]})"));
  ASSERT_TRUE(set) << describe(set.error());
  EXPECT_EQ(ok("rules", "{}"), json::parse(R"({
    "matched": ["high", "first", "second", "low", "stopper"],
    "result": {"score": 13.5, "list": [1, 2]}, "tags": ["h", "t"]})"));
  auto rules = call("rules", "get_rules", nullptr);
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->size(), 6u);
  auto code = call("rules", "compiled_code", nullptr);
  ASSERT_TRUE(code);
  EXPECT_CONTAINS(code->get<std::string>(), "matched[nm] = \"high\"");
}

TEST_F(Scripts, RuleEngineSetRulesAcceptsEveryCallingForm) {
  start("rules", "rule_engine.lua");
  json r1{{"name", "r1"}, {"actions", json::array({json{{"add_tag", "one"}}})}};
  json r2{{"name", "r2"}, {"actions", json::array({json{{"add_tag", "two"}}})}};
  auto tags = [&] { return ok("rules", "{}")["tags"]; };
  ASSERT_TRUE(call("rules", "set_rules", json::array({json::array({r1, r2})}))); // one array argument
  EXPECT_EQ(tags(), json::parse(R"(["one", "two"])"));
  ASSERT_TRUE(call("rules", "set_rules", json::array({r2}))); // spread: one rule per argument
  EXPECT_EQ(tags(), json::parse(R"(["two"])"));
  ASSERT_TRUE(call("rules", "set_rules", json::array({r2, r1})));
  EXPECT_EQ(tags(), json::parse(R"(["two", "one"])"));
  ASSERT_TRUE(call("rules", "set_rules", json::array({r1}).dump())); // JSON text
  EXPECT_EQ(tags(), json::parse(R"(["one"])"));
  ASSERT_TRUE(call("rules", "set_rules", json{{"rules", json::array()}})); // no rules at all
  EXPECT_EQ(ok("rules", sample_facts), json::parse(R"({"matched": {}, "result": {}, "tags": {}})"));
}

TEST_F(Scripts, RuleEngineInvalidRulesAreRejectedAndTheOldRulesStay) {
  start("rules", "rule_engine.lua");
  struct bad_case {
    const char* rules;
    const char* message;
  };
  const bad_case cases[] = {
    {R"([{"name": "r", "when": {"field": "a", "op": "~=", "value": 1}}])",
     "rule 'r': when (a ~=): unknown op (use one of ==, !=, >, >=, <, <=, in, contains, starts_with, exists)"},
    {R"([{"name": "r", "when": {"all": [{"op": "==", "value": 1}]}}])", "rule 'r': when.all[1]: missing 'field'"},
    {R"([{"when": {"field": "a", "op": "exists"}}])", "rule #1: missing 'name'"},
    {R"([{"name": "r"}, {"name": "r"}])", "rule 'r' is defined twice"},
    {R"([{"name": "r", "when": {"field": "a", "op": "in", "value": "x"}}])", "(a in): needs an array value"},
    {R"([{"name": "r", "when": {"field": "a", "op": ">", "value": true}}])", "needs a number or string value"},
    {R"([{"name": "r", "when": {"field": "a", "op": "=="}}])", "(a ==): needs a value"},
    {R"([{"name": "r", "when": {"field": "a", "op": "starts_with", "value": 1}}])", "needs a string value"},
    {R"([{"name": "r", "when": {"field": "a..b", "op": "exists"}}])", "empty segment in the field path"},
    {R"([{"name": "r", "when": {"any": []}}])", "rule 'r': when.any: needs a non-empty list"},
    {R"([{"name": "r", "actions": [{"explode": true}]}])", "rule 'r': action 1: unknown action"},
    {R"([{"name": "r", "actions": [{"add": "n", "value": "x"}]}])", "add needs a number value"},
    {R"([{"name": "r", "actions": [{"set": "n"}]}])", "rule 'r': action 1: needs a value"},
    {R"([{"name": "r", "priority": "high"}])", "priority must be a number"},
    {R"([7])", "rule #1 must be a table"},
    {R"(5)", "set_rules needs a list of rules"},
  };
  for (const auto& c : cases) {
    auto out = call("rules", "set_rules", json{{"rules", json::parse(c.rules)}});
    EXPECT_TROUPE_ERROR(out, errc::plugin_failed);
    EXPECT_CONTAINS(error_text(out), c.message);
  }
  auto text = call("rules", "set_rules", json::array({"[{\"name\": "}));
  EXPECT_CONTAINS(error_text(text), "json_parse");
  // After all that the default rules are still in force.
  EXPECT_EQ(ok("rules", sample_facts)["result"], json::parse(R"({"discount": 20, "shipping": "free"})"));
}

TEST_F(Scripts, RuleEngineValuesFromRulesCannotInjectCode) {
  start("rules", "rule_engine.lua");
  const std::string evil = "x\"] = 1 end error('injected') --\n]] \\ \0 "s;
  json rules = json::array({json{
    {"name", evil},
    {"when", json{{"field", evil + ".k\n"}, {"op", "=="}, {"value", evil}}},
    {"actions", json::array({json{{"set", evil}, {"value", evil}}, json{{"add_tag", evil}}})}}});
  ASSERT_TRUE(call("rules", "set_rules", json{{"rules", rules}}));
  json facts;
  facts[evil]["k\n"] = evil;
  auto out = rt.execute("rules", payload_from_json(facts));
  ASSERT_TRUE(out) << describe(out.error());
  auto got = payload_to_json(*out);
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["matched"], json::array({evil}));
  EXPECT_EQ((*got)["result"], (json{{evil, evil}}));
  EXPECT_EQ((*got)["tags"], json::array({evil}));
}

TEST_F(Scripts, RuleEngineRulesFromTheSettingAndBadSettingsFailTheStart) {
  start("rules", "rule_engine.lua",
        {{"rules", R"([{"name": "big", "when": {"field": "total", "op": ">", "value": 100},
                       "actions": [{"set": "big", "value": true}]}])"}});
  EXPECT_EQ(ok("rules", R"({"total": 101})"),
            json::parse(R"({"matched": ["big"], "result": {"big": true}, "tags": {}})"));
  EXPECT_EQ(ok("rules", sample_facts)["matched"], json::object());

  runtime other{sys, test_options()};
  ASSERT_TRUE(other.add(lua_spec(config_for("bad", {{"rules", R"([{"name": "r", "when": {"field": "a", "op": "like", "value": 1}}])"}}), script_path("rule_engine.lua"))));
  auto started = other.start_all();
  ASSERT_FALSE(started);
  EXPECT_CONTAINS(describe(started.error()), "unknown op");

  runtime third{sys, test_options()};
  ASSERT_TRUE(third.add(lua_spec(config_for("bad", {{"rules", "[{"}}), script_path("rule_engine.lua"))));
  started = third.start_all();
  ASSERT_FALSE(started);
  EXPECT_CONTAINS(describe(started.error()), "setting 'rules' is not valid JSON");
}

TEST_F(Scripts, RuleEngineToolsRunAndTheirSchemasRejectBadArguments) {
  start("rules", "rule_engine.lua");
  auto tools = rt.tools();
  ASSERT_TRUE(tools) << describe(tools.error());
  std::map<std::string, json> schemas;
  for (const auto& t : *tools)
    schemas[t.name] = json::parse(t.parameters);
  ASSERT_EQ(schemas.count("evaluate_rules"), 1u);
  ASSERT_EQ(schemas.count("set_rules"), 1u);
  EXPECT_EQ(schemas["evaluate_rules"]["properties"]["facts"]["type"], "object");
  EXPECT_EQ(schemas["evaluate_rules"]["required"], json::array({"facts"}));

  auto out = tool("evaluate_rules", json{{"facts", json::parse(sample_facts)}});
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ((*out)["tags"], json::parse(R"(["vip", "bulk", "promo"])"));
  EXPECT_TROUPE_ERROR(tool("evaluate_rules", json{{"facts", 5}}), errc::bad_input);
  EXPECT_TROUPE_ERROR(tool("evaluate_rules", json::object()), errc::bad_input);
  EXPECT_TROUPE_ERROR(tool("rules/evaluate_rules", json{{"facts", json::object()}, {"x", 1}}),
                      errc::bad_input);
  EXPECT_TROUPE_ERROR(tool("set_rules", json{{"rules", json::array({json{{"when", 1}}})}}),
                      errc::bad_input); // no name, by the schema

  auto set = tool("set_rules", json::parse(R"({"rules": [{"name": "any", "actions": [{"add_tag": "x"}]}]})"));
  ASSERT_TRUE(set) << describe(set.error());
  EXPECT_EQ(*set, (json{{"ok", true}, {"count", 1}}));
  EXPECT_EQ(ok("rules", "{}")["tags"], json::array({"x"}));
  // The schema passes it, the script refuses it.
  auto bad = tool("set_rules", json::parse(R"({"rules": [{"name": "r", "when": {"field": "a", "op": "?"}}]})"));
  EXPECT_TROUPE_ERROR(bad, errc::plugin_failed);
  EXPECT_CONTAINS(error_text(bad), "unknown op");
}

TEST_F(Scripts, RuleEngineEvaluationIsFastAndMakesNoGarbage) {
  // The script plus a benchmark that calls execute in a loop inside the same Lua state, so the
  // time measured is the Lua work alone (under the sandbox's count hook, as in production).
  auto path = script_path("rule_engine.lua");
  auto text = read_text(path) + R"(
function bench(n, facts)
  execute(facts)
  collectgarbage("collect")
  local kb = collectgarbage("count")
  local t0 = os.clock()
  for _ = 1, n do execute(facts) end
  local elapsed = os.clock() - t0
  return { ns = elapsed / n * 1e9, kb = collectgarbage("count") - kb }
end
)";
  ASSERT_TRUE(rt.add(config_for("bench", {{"limit.instructions", "0"}, {"limit.wall_time_ms", "0"}}),
                     std::make_unique<lua::lua_plugin>(lua::script_source{path, text})));
  ASSERT_TRUE(rt.start_all());
  const int n = 50000;
  double best = 1e9;
  for (int round = 0; round < 3; ++round) {
    auto out = call("bench", "bench", json::array({n, json::parse(sample_facts)}));
    ASSERT_TRUE(out) << describe(out.error());
    best = std::min(best, (*out)["ns"].get<double>());
    // Nothing is allocated per evaluation (a few hundred bytes of slack for the collector).
    EXPECT_LT((*out)["kb"].get<double>(), 4.0) << "KiB of garbage after " << n << " evaluations";
  }
  std::printf("rule_engine: %.0f ns per 5-rule evaluation (Lua work, best of 3)\n", best);
  // Well under a microsecond on an idle machine; the bound leaves room for a loaded CI host.
  EXPECT_LT(best, 5000.0);
}

// -- data_processor -------------------------------------------------------------------------------

TEST_F(Scripts, DataProcessorNormalisesTheDocumentedExample) {
  start("data", "data_processor.lua");
  auto out = ok("data", R"({"records": [{"id": " P-1 ", "email": " Ann@Example.COM", "country": "de",
    "weight": "2.5", "unit": "LB", "length_cm": 30, "width_cm": 20, "height_cm": 10, "extra": 1}]})");
  EXPECT_EQ(out["valid"], json::parse(R"([{"id": "P-1", "email": "ann@example.com", "country": "DE",
    "weight": 2.5, "unit": "lb", "length_cm": 30, "width_cm": 20, "height_cm": 10,
    "weight_kg": 1.134, "volume_cm3": 6000, "billable_kg": 1.2}])"));
  EXPECT_EQ(out["invalid"], json::object()); // an empty list encodes as {}
  EXPECT_EQ(out["counters"]["processed"], 1);
  EXPECT_EQ(out["counters"]["valid"], 1);
}

TEST_F(Scripts, DataProcessorConvertsUnitsAndDerivesFields) {
  start("data", "data_processor.lua");
  auto out = ok("data", R"({"records": [
    {"id": "a", "email": "a@b.co", "country": "us", "weight": 500, "unit": "g"},
    {"id": "b", "email": "a@b.co", "country": "us", "weight": 16, "unit": "oz"},
    {"id": "c", "email": "a@b.co", "country": "us", "weight": 1},
    {"id": "d", "email": "a@b.co", "country": "us", "weight": 1, "length_cm": 50, "width_cm": 40,
     "height_cm": 30}]})");
  ASSERT_EQ(out["valid"].size(), 4u);
  EXPECT_EQ(out["valid"][0]["weight_kg"], 0.5);
  EXPECT_EQ(out["valid"][1]["weight_kg"], 0.454);
  EXPECT_EQ(out["valid"][2]["unit"], "kg"); // the default
  EXPECT_EQ(out["valid"][2]["billable_kg"], 1.0);
  EXPECT_EQ(out["valid"][3]["volume_cm3"], 60000);
  EXPECT_EQ(out["valid"][3]["billable_kg"], 12.0); // volumetric 60000 / 5000
}

TEST_F(Scripts, DataProcessorReportsAndCountsEveryKindOfError) {
  start("data", "data_processor.lua");
  auto out = ok("data", R"({"records": [
    {"id": "ok", "email": "a@b.co", "country": "fr", "weight": 1},
    {"id": "", "email": "bob", "country": "FRA", "weight": "heavy"},
    7,
    {"id": "x", "email": "a@b.co", "country": "fr", "weight": 2000, "unit": "stone"},
    {"id": "y", "email": "a@b.co", "country": "fr", "weight": 1, "length_cm": true}]})");
  EXPECT_EQ(out["valid"].size(), 1u);
  auto invalid = out["invalid"];
  ASSERT_EQ(invalid.size(), 4u);
  EXPECT_EQ(invalid[0]["index"], 2);
  std::vector<std::string> kinds;
  for (const auto& e : invalid[0]["errors"])
    kinds.push_back(e["kind"].get<std::string>() + ":" + e["field"].get<std::string>());
  EXPECT_EQ(kinds, (std::vector<std::string>{"missing:id", "bad_format:email", "bad_format:country",
                                              "wrong_type:weight"}));
  EXPECT_EQ(invalid[0]["errors"][1]["message"], "email: 'bob' is not an e-mail address");
  EXPECT_EQ(invalid[1], json::parse(R"({"index": 3, "errors": [{"kind": "not_a_record",
                                        "message": "expected an object, got number"}]})"));
  EXPECT_EQ(invalid[2]["errors"][0]["kind"], "out_of_range");
  EXPECT_EQ(invalid[2]["errors"][1]["kind"], "not_allowed");
  EXPECT_EQ(invalid[3]["errors"][0]["message"], "length_cm: expected a number, got boolean");
  EXPECT_EQ(out["counters"], json::parse(R"({"calls": 1, "processed": 5, "valid": 1, "invalid": 4,
    "rejected_inputs": 0, "errors": {"missing": 1, "wrong_type": 2, "out_of_range": 1,
    "bad_format": 2, "not_allowed": 1, "not_a_record": 1}})"));
}

TEST_F(Scripts, DataProcessorCountersAddUpAcrossCallsAndStatsReadsThem) {
  start("data", "data_processor.lua");
  ok("data", R"({"records": [{"id": "a", "email": "a@b.co", "country": "fr", "weight": 1}, {}]})");
  auto second = ok("data", R"({"json": "[{\"id\": \"b\", \"email\": \"x\", \"country\": \"fr\", \"weight\": 1}]"})");
  auto third = ok("data", R"({"json": "{\"records\": [{\"id\": \"c\", \"email\": \"c@d.ef\", \"country\": \"it\", \"weight\": 3}]}"})");
  EXPECT_EQ(second["invalid"][0]["errors"][0]["kind"], "bad_format");
  EXPECT_EQ(third["valid"][0]["id"], "c");
  auto counters = third["counters"];
  EXPECT_EQ(counters["calls"], 3);
  EXPECT_EQ(counters["processed"], 4);
  EXPECT_EQ(counters["valid"], 2);
  EXPECT_EQ(counters["invalid"], 2);
  EXPECT_EQ(counters["errors"]["missing"], 4); // the empty record misses id, email, country, weight
  auto stats = call("data", "stats", nullptr);
  ASSERT_TRUE(stats) << describe(stats.error());
  EXPECT_EQ(*stats, counters);
  ASSERT_TRUE(call("data", "reset_stats", nullptr));
  stats = call("data", "stats", nullptr);
  ASSERT_TRUE(stats);
  EXPECT_EQ((*stats)["processed"], 0);
  EXPECT_EQ((*stats)["errors"]["missing"], 0);
}

TEST_F(Scripts, DataProcessorRejectsInputsWithoutRecordsAndCountsThem) {
  start("data", "data_processor.lua");
  auto bad_json = exec("data", R"({"json": "{bad"})");
  EXPECT_TROUPE_ERROR(bad_json, errc::plugin_failed);
  EXPECT_CONTAINS(error_text(bad_json), "'json' does not parse");
  auto no_records = exec("data", R"({"rows": []})");
  EXPECT_CONTAINS(error_text(no_records), "input must have a 'records' array");
  auto not_object = exec("data", "42");
  EXPECT_CONTAINS(error_text(not_object), "input must be an object with 'records' or 'json'");
  auto stats = call("data", "stats", nullptr);
  ASSERT_TRUE(stats);
  EXPECT_EQ((*stats)["rejected_inputs"], 3);
  EXPECT_EQ((*stats)["calls"], 3);
  EXPECT_EQ((*stats)["processed"], 0);
}

TEST_F(Scripts, DataProcessorMaxRecordsSetting) {
  start("data", "data_processor.lua", {{"max_records", "2"}});
  EXPECT_TRUE(exec("data", R"({"records": [{}, {}]})"));
  auto out = exec("data", R"({"records": [{}, {}, {}]})");
  EXPECT_CONTAINS(error_text(out), "too many records: 3 (setting max_records is 2)");

  runtime other{sys, test_options()};
  ASSERT_TRUE(other.add(lua_spec(config_for("bad", {{"max_records", "lots"}}), script_path("data_processor.lua"))));
  auto started = other.start_all();
  ASSERT_FALSE(started);
  EXPECT_CONTAINS(describe(started.error()), "setting 'max_records' must be a positive integer");
}

// -- order_processor ------------------------------------------------------------------------------

const char* const sample_order = R"({"id": "A-1", "customer": "ann", "currency": "EUR",
  "items": [{"sku": "BOOK", "quantity": 2, "unit_price_cents": 1999},
            {"sku": "PEN", "quantity": 1, "unit_price": "2.50"}],
  "discount_cents": 0, "shipping_cents": 499})";

TEST_F(Scripts, OrderProcessorComputesTotalsInIntegerCents) {
  start("orders", "order_processor.lua");
  auto out = ok("orders", sample_order);
  EXPECT_EQ(out["status"], "approved");
  EXPECT_EQ(out["approved_by"], "auto");
  EXPECT_EQ(out["lines"], json::parse(R"([
    {"sku": "BOOK", "quantity": 2, "unit_price_cents": 1999, "line_total_cents": 3998},
    {"sku": "PEN", "quantity": 1, "unit_price_cents": 250, "line_total_cents": 250}])"));
  for (const char* field : {"subtotal_cents", "discount_cents", "tax_cents", "shipping_cents", "total_cents"})
    EXPECT_TRUE(out[field].is_number_integer()) << field << " = " << out[field].dump();
  EXPECT_EQ(out["subtotal_cents"], 4248);
  EXPECT_EQ(out["total_cents"], 4747);
  EXPECT_TRUE(out["submitted_at"].is_number_integer());
  auto kept = call("orders", "get_order", "A-1");
  ASSERT_TRUE(kept);
  EXPECT_EQ((*kept)["total_cents"], 4747);
}

TEST_F(Scripts, OrderProcessorTaxAndDiscountRoundHalfUpWithoutFloats) {
  start("orders", "order_processor.lua", {{"tax_rate_bp", "1900"}});
  // 1001 * 19% = 190.19 -> 190; 1003 * 19% = 190.57 -> 191; decimal prices parse exactly.
  auto a = ok("orders", R"({"id": "t1", "currency": "usd", "items": [{"sku": "x", "quantity": 1, "unit_price": "10.01"}]})");
  EXPECT_EQ(a["currency"], "USD");
  EXPECT_EQ(a["tax_cents"], 190);
  EXPECT_EQ(a["total_cents"], 1191);
  auto b = ok("orders", R"({"id": "t2", "currency": "EUR", "discount_cents": 97,
                            "items": [{"sku": "x", "quantity": 1, "unit_price": "11"}]})");
  EXPECT_EQ(b["subtotal_cents"], 1100);
  EXPECT_EQ(b["tax_cents"], 191);
  EXPECT_EQ(b["total_cents"], 1003 + 191);
  auto c = ok("orders", R"({"id": "t3", "currency": "EUR", "items": [{"sku": "x", "quantity": 3, "unit_price": "0.1"}]})");
  EXPECT_EQ(c["subtotal_cents"], 30); // 3 * 0.1 in floating point would be 0.30000000000000004
}

TEST_F(Scripts, OrderProcessorRejectsInvalidOrdersWithEveryProblem) {
  start("orders", "order_processor.lua");
  auto out = ok("orders", R"({"id": "bad", "currency": "XYZ", "discount_cents": -1, "items": [
    {"sku": "a", "quantity": 0, "unit_price_cents": 100},
    {"sku": "b", "quantity": -2, "unit_price_cents": 100},
    {"sku": "c", "quantity": 1.5, "unit_price_cents": 100},
    {"sku": "d", "quantity": 1, "unit_price": 1.99},
    {"quantity": 1, "unit_price_cents": 1}, "e"]})");
  EXPECT_EQ(out["status"], "rejected");
  EXPECT_EQ(out["order_id"], "bad");
  std::string all = out["errors"].dump();
  EXPECT_CONTAINS(all, "currency: 'XYZ' is not one of CAD, CHF, EUR, GBP, USD");
  EXPECT_CONTAINS(all, "items[1].quantity: must be a whole number from 1 to 1000000, got 0");
  EXPECT_CONTAINS(all, "items[2].quantity: must be a whole number from 1 to 1000000, got -2");
  EXPECT_CONTAINS(all, "items[3].quantity: must be a whole number from 1 to 1000000, got 1.5");
  EXPECT_CONTAINS(all, "items[4]: needs unit_price_cents");
  EXPECT_CONTAINS(all, "items[5].sku: required");
  EXPECT_CONTAINS(all, "items[6]: must be an object");
  EXPECT_CONTAINS(all, "discount_cents: must be an integer from 0 to the subtotal");
  EXPECT_EQ(ok("orders", R"({"id": "e", "currency": "EUR", "items": []})")["errors"],
            json::array({"items: at least one line item is required"}));
  EXPECT_EQ(ok("orders", R"({"id": "big", "currency": "EUR",
    "items": [{"sku": "x", "quantity": 1000000, "unit_price_cents": 999999999999999}]})")["errors"],
            json::array({"items[1]: amount too large"}));
  // Rejected orders are not kept: the id is still free.
  EXPECT_EQ(ok("orders", R"({"id": "bad", "currency": "EUR", "items": [{"sku": "a", "quantity": 1, "unit_price_cents": 5}]})")["status"],
            "approved");
  EXPECT_EQ(ok("orders", R"({"id": "bad", "currency": "EUR", "items": [{"sku": "a", "quantity": 1, "unit_price_cents": 5}]})")["errors"],
            json::array({"id: order 'bad' was already submitted"}));
  auto stats = call("orders", "stats", nullptr);
  ASSERT_TRUE(stats);
  EXPECT_EQ((*stats)["rejected"], 4);
  EXPECT_EQ((*stats)["approved_auto"], 1);
  auto not_object = exec("orders", R"("A-1")");
  EXPECT_TROUPE_ERROR(not_object, errc::plugin_failed);
  auto unknown = exec("orders", R"({"action": "cancel"})");
  EXPECT_CONTAINS(error_text(unknown), "unknown action 'cancel' (use submit, approve or pending)");
}

TEST_F(Scripts, OrderProcessorApprovalFlowEndToEnd) {
  start("orders", "order_processor.lua");
  auto big = ok("orders", R"({"id": "B-1", "customer": "bo", "currency": "GBP",
                              "items": [{"sku": "tv", "quantity": 1, "unit_price_cents": 100001}]})");
  EXPECT_EQ(big["status"], "pending_approval");
  EXPECT_FALSE(big.contains("approved_by"));
  auto edge = ok("orders", R"({"id": "B-2", "currency": "GBP",
                               "items": [{"sku": "tv", "quantity": 1, "unit_price_cents": 100000}]})");
  EXPECT_EQ(edge["status"], "approved"); // equal to the threshold: approved
  ok("orders", R"({"id": "B-3", "currency": "CHF", "items": [{"sku": "car", "quantity": 1, "unit_price": "25000"}]})");

  auto pending = call("orders", "pending", nullptr);
  ASSERT_TRUE(pending) << describe(pending.error());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0]["order_id"], "B-1");
  EXPECT_EQ((*pending)[0]["total_cents"], 100001);
  EXPECT_EQ((*pending)[1]["order_id"], "B-3");

  auto approved = call("orders", "approve", json::array({"B-1", "carol"}));
  ASSERT_TRUE(approved) << describe(approved.error());
  EXPECT_EQ((*approved)["status"], "approved");
  EXPECT_EQ((*approved)["approved_by"], "carol");
  EXPECT_TRUE((*approved)["approved_at"].is_number_integer());

  auto again = call("orders", "approve", json::array({"B-1", "carol"}));
  EXPECT_TROUPE_ERROR(again, errc::plugin_failed);
  EXPECT_CONTAINS(error_text(again), "order 'B-1' is approved, not pending approval");
  EXPECT_CONTAINS(error_text(call("orders", "approve", json::array({"B-2", "x"}))), "is approved, not pending");
  EXPECT_CONTAINS(error_text(call("orders", "approve", json::array({"nope", "x"}))), "no order 'nope'");
  EXPECT_CONTAINS(error_text(call("orders", "approve", json::array({"B-3", " "}))), "needs the approver's name");

  // The same through execute actions.
  auto pend = ok("orders", R"({"action": "pending"})");
  ASSERT_EQ(pend.size(), 1u);
  EXPECT_EQ(pend[0]["order_id"], "B-3");
  EXPECT_EQ(pend[0]["total_cents"], 2500000);
  auto via_execute = ok("orders", R"({"action": "approve", "order_id": "B-3", "approver": "dan"})");
  EXPECT_EQ(via_execute["approved_by"], "dan");
  EXPECT_EQ(ok("orders", R"({"action": "pending"})"), json::object()); // none left: {}
  auto stats = call("orders", "stats", nullptr);
  ASSERT_TRUE(stats);
  EXPECT_EQ(*stats, json::parse(R"({"threshold_cents": 100000, "tax_rate_bp": 0, "submitted": 3,
    "approved_auto": 1, "approved_manual": 2, "pending": 0, "rejected": 0})"));
}

TEST_F(Scripts, OrderProcessorThresholdFromSettings) {
  start("orders", "order_processor.lua", {{"approval_threshold_cents", "5000"}});
  auto order = [](const std::string& id, int cents) {
    return R"({"id": ")" + id + R"(", "currency": "EUR", "items": [{"sku": "x", "quantity": 1, "unit_price_cents": )"
           + std::to_string(cents) + "}]}";
  };
  EXPECT_EQ(ok("orders", order("s1", 5000))["status"], "approved");
  EXPECT_EQ(ok("orders", order("s2", 5001))["status"], "pending_approval");
  EXPECT_EQ((*call("orders", "stats", nullptr))["threshold_cents"], 5000);

  for (const char* bad : {"-1", "lots", "1.5"}) {
    runtime other{sys, test_options()};
    ASSERT_TRUE(other.add(lua_spec(config_for("o", {{"approval_threshold_cents", bad}}), script_path("order_processor.lua"))));
    auto started = other.start_all();
    ASSERT_FALSE(started) << bad;
    EXPECT_CONTAINS(describe(started.error()),
                    "setting 'approval_threshold_cents' must be a non-negative integer");
  }
}

TEST_F(Scripts, OrderProcessorToolsWithSchemas) {
  start("orders", "order_processor.lua");
  auto tools = rt.tools();
  ASSERT_TRUE(tools);
  std::map<std::string, json> schemas;
  for (const auto& t : *tools)
    schemas[t.name] = json::parse(t.parameters);
  ASSERT_EQ(schemas.count("submit_order"), 1u);
  ASSERT_EQ(schemas.count("approve_order"), 1u);
  EXPECT_EQ(schemas["submit_order"]["properties"]["items"]["items"]["properties"]["quantity"]["minimum"], 1);
  EXPECT_EQ(schemas["approve_order"]["required"], json::parse(R"(["order_id", "approver"])"));

  // The schema refuses bad arguments before the script sees them.
  auto zero = tool("submit_order", json::parse(R"({"id": "T-1", "currency": "EUR",
                                                   "items": [{"sku": "x", "quantity": 0, "unit_price_cents": 1}]})"));
  EXPECT_TROUPE_ERROR(zero, errc::bad_input);
  EXPECT_CONTAINS(error_text(zero), "quantity");
  EXPECT_TROUPE_ERROR(tool("submit_order", json::parse(R"({"id": "T-1", "currency": "BTC",
                                                            "items": [{"sku": "x", "quantity": 1}]})")),
                      errc::bad_input);
  EXPECT_TROUPE_ERROR(tool("submit_order", json::parse(R"({"id": "T-1", "currency": "EUR", "items": []})")),
                      errc::bad_input);
  EXPECT_TROUPE_ERROR(tool("submit_order", json::parse(R"({"id": "T-1", "currency": "EUR",
                                                            "items": [{"sku": "x", "quantity": 1, "unit_price": "1.999"}]})")),
                      errc::bad_input);
  EXPECT_TROUPE_ERROR(tool("approve_order", json{{"order_id", "T-1"}}), errc::bad_input);
  EXPECT_TROUPE_ERROR(tool("approve_order", json{{"order_id", "T-1"}, {"approver", "x"}, {"why", 1}}),
                      errc::bad_input);

  auto submitted = tool("submit_order", json::parse(R"({"id": "T-1", "currency": "EUR",
                                                        "items": [{"sku": "x", "quantity": 3, "unit_price_cents": 50000}]})"));
  ASSERT_TRUE(submitted) << describe(submitted.error());
  EXPECT_EQ((*submitted)["status"], "pending_approval");
  EXPECT_EQ((*submitted)["total_cents"], 150000);
  auto approved = tool("orders/approve_order", json{{"order_id", "T-1"}, {"approver", "erin"}});
  ASSERT_TRUE(approved) << describe(approved.error());
  EXPECT_EQ((*approved)["approved_by"], "erin");
  auto twice = tool("approve_order", json{{"order_id", "T-1"}, {"approver", "erin"}});
  EXPECT_TROUPE_ERROR(twice, errc::plugin_failed);
}

} // namespace
} // namespace troupe::test

namespace troupe::test {
namespace {

// -- tally: state kept across a crash ------------------------------------------------------------

TEST_F(Scripts, TallyCountsPerKeyAndListsTheTop) {
  start("tally", "tally.lua");
  EXPECT_EQ(ok("tally", R"({"op":"add","key":"a"})"), 1);
  EXPECT_EQ(ok("tally", R"({"op":"add","key":"b","by":5})"), 5);
  EXPECT_EQ(ok("tally", R"({"op":"add","key":"a","by":2})"), 3);
  EXPECT_EQ(ok("tally", R"({"op":"get","key":"zzz"})"), 0);
  EXPECT_EQ(ok("tally", R"({"op":"top","n":2})"),
            json::parse(R"([{"count":5,"key":"b"},{"count":3,"key":"a"}])"));
  auto bad = exec("tally", R"({"op":"add","key":"a","by":1.5})");
  ASSERT_FALSE(bad);
  EXPECT_NE(describe(bad.error()).find("'by' must be an integer"), std::string::npos);
}

TEST_F(Scripts, TallyLeakCrashesItAndTheRestartKeepsTheCounts) {
  start("tally", "tally.lua", {{"limit.memory", "2000000"}});
  EXPECT_EQ(ok("tally", R"({"op":"add","key":"deploys","by":41})"), 41);
  auto leak = exec("tally", R"({"op":"leak"})");
  ASSERT_FALSE(leak);
  EXPECT_EQ(leak.error().code(), static_cast<std::uint8_t>(errc::crashed)) << describe(leak.error());
  // The manager holds this request until the new instance serves; the counts were restored.
  EXPECT_EQ(ok("tally", R"({"op":"add","key":"deploys"})"), 42);
  auto st = rt.stats("tally");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->restarts, 1u);
}

} // namespace
} // namespace troupe::test
