#include "plugins/api/json_schema.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <utility>

#include <nlohmann/json.hpp>

namespace troupe {
namespace {

using json = nlohmann::json;

/// Deepest nesting of arrays / objects accepted, in a schema document and in a value.
constexpr int max_depth = 64;

/// libstdc++'s default (depth-first) regex executor recurses once per input character and
/// overflows the stack on strings of ~100k characters; its polynomial mode does not, but refuses
/// back-references, which check_schema then reports.
#ifdef __GLIBCXX__
const auto regex_flags = std::regex::ECMAScript | std::regex_constants::__polynomial;
#else
const auto regex_flags = std::regex::ECMAScript;
#endif

} // namespace

struct pattern_cache : std::map<std::string, std::regex> {};

namespace {

// ------------------------------------------------------------------------------ shared helpers

/// `key` as one JSON-pointer token (RFC 6901: "~" becomes "~0", "/" becomes "~1").
std::string escape_token(const std::string& key) {
  std::string out;
  for (char c : key)
    out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
}

/// The JSON pointer `base` extended by the token `key`.
std::string pointer_child(const std::string& base, const std::string& key) {
  return base + "/" + escape_token(key);
}

/// The schema path `base` extended by `key`, without a leading "/" ("properties/age").
std::string schema_child(const std::string& base, const std::string& key) {
  return base.empty() ? escape_token(key) : base + "/" + escape_token(key);
}

/// `v` as compact JSON (invalid UTF-8 replaced), cut to about 60 characters.
std::string show(const json& v) {
  std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return text.size() <= 60 ? text : text.substr(0, 57) + "...";
}

/// Whether `v` is a number with no fractional part (3 and 3.0 both are).
bool is_integral(const json& v) {
  if (v.is_number_float())
    return std::isfinite(v.get<double>()) && std::floor(v.get<double>()) == v.get<double>();
  return v.is_number_integer();
}

/// The name of `v`'s JSON type, with integral numbers called "integer".
std::string type_name(const json& v) {
  if (v.is_number())
    return is_integral(v) ? "integer" : "number";
  return v.type_name(); // object, array, string, boolean, null
}

/// Whether `v` has the schema type `name`.
bool has_type(const json& v, const std::string& name) {
  if (name == "integer")
    return is_integral(v);
  if (name == "number")
    return v.is_number();
  return !v.is_number() && v.type_name() == name;
}

/// `v` (a number) as a long double, which holds every int64, uint64 and double exactly.
long double number(const json& v) {
  return v.get<long double>(); // converts from whichever of the three the json holds
}

/// The path of the first array / object in `root` nested deeper than max_depth, or nullopt.
/// Iterative, so it is safe on any depth. Paths are built with `child` from `base`.
std::optional<std::string> too_deep(const json& root, const std::string& base,
                                    std::string (*child)(const std::string&, const std::string&)) {
  struct frame { const json* v; std::string at; int depth; };
  std::vector<frame> todo{{&root, base, 1}};
  while (!todo.empty()) {
    frame f = std::move(todo.back());
    todo.pop_back();
    if (!f.v->is_structured())
      continue; // a scalar root (iterating one would visit the scalar itself)
    if (f.depth > max_depth)
      return f.at;
    std::size_t index = 0;
    for (auto it = f.v->begin(); it != f.v->end(); ++it, ++index) {
      if (it->is_structured())
        todo.push_back({&*it, child(f.at, f.v->is_object() ? it.key() : std::to_string(index)),
                        f.depth + 1});
    }
  }
  return std::nullopt;
}

// ------------------------------------------------------------------------------- check_schema

/// `message` placed at the schema path `at`.
std::string problem(const std::string& at, const std::string& message) {
  return at.empty() ? message : at + ": " + message;
}

/// The check of a keyword's argument: the problem with `arg`, found at `at`, or "".
using arg_check = std::function<std::string(const json& arg, const std::string& at)>;

std::string check_node(const json& s, const std::string& at);

std::string check_type(const json& arg, const std::string& at) {
  static const std::vector<std::string> known{"object",  "array",   "string", "number",
                                              "integer", "boolean", "null"};
  const auto bad = [&](const json& name) {
    return !name.is_string() ||
           std::find(known.begin(), known.end(), name.get<std::string>()) == known.end();
  };
  const auto quoted = [](const json& name) {
    return name.is_string() ? "'" + name.get<std::string>() + "'" : show(name);
  };
  if (arg.is_string())
    return bad(arg) ? problem(at, "unknown type " + quoted(arg)) : "";
  if (!arg.is_array() || arg.empty())
    return problem(at, "must be a type name or a non-empty array of type names");
  for (auto it = arg.begin(); it != arg.end(); ++it) {
    if (bad(*it))
      return problem(at, "unknown type " + quoted(*it));
    if (std::find(arg.begin(), it, *it) != it)
      return problem(at, "type " + quoted(*it) + " listed twice");
  }
  return "";
}

/// The first problem among the schemas in `arg`: an object's values or an array's elements.
std::string check_members(const json& arg, const std::string& at) {
  std::size_t index = 0;
  for (auto it = arg.begin(); it != arg.end(); ++it, ++index) {
    const std::string key = arg.is_object() ? it.key() : std::to_string(index);
    if (std::string p = check_node(*it, schema_child(at, key)); !p.empty())
      return p;
  }
  return "";
}

std::string check_properties(const json& arg, const std::string& at) {
  return arg.is_object() ? check_members(arg, at) : problem(at, "must be an object");
}

std::string check_subschema(const json& arg, const std::string& at) {
  if (arg.is_array())
    return problem(at, "must be one schema (the array form of items is not supported)");
  return check_node(arg, at);
}

std::string check_schema_list(const json& arg, const std::string& at) {
  if (!arg.is_array() || arg.empty())
    return problem(at, "must be a non-empty array of schemas");
  return check_members(arg, at);
}

std::string check_pattern(const json& arg, const std::string& at) {
  if (!arg.is_string())
    return problem(at, "must be a string");
  try {
    std::regex compiled(arg.get<std::string>(), regex_flags);
    return "";
  } catch (const std::regex_error& e) {
    return problem(at, "invalid regex " + show(arg) + ": " + e.what());
  }
}

/// The check of an argument that must pass `ok`, else "must be `must_be`".
arg_check plain(bool (*ok)(const json&), const std::string& must_be) {
  return [ok, must_be](const json& arg, const std::string& at) {
    return ok(arg) ? "" : problem(at, "must be " + must_be);
  };
}

bool is_name_list(const json& a) {
  const auto is_name = [](const json& n) { return n.is_string(); };
  return a.is_array() && std::all_of(a.begin(), a.end(), is_name);
}

/// Every keyword this validator knows, with the check of its argument. Annotations accept anything.
std::map<std::string, arg_check> make_keyword_table() {
  const arg_check count =
    plain([](const json& a) { return is_integral(a) && number(a) >= 0; }, "a non-negative integer");
  const arg_check num = plain([](const json& a) { return a.is_number(); }, "a number");
  const arg_check any = [](const json&, const std::string&) { return std::string(); };
  return std::map<std::string, arg_check>{
    {"type", check_type}, {"properties", check_properties}, {"items", check_subschema},
    {"additionalProperties", check_subschema}, {"not", check_subschema},
    {"anyOf", check_schema_list}, {"oneOf", check_schema_list}, {"allOf", check_schema_list},
    {"pattern", check_pattern}, {"required", plain(is_name_list, "an array of property names")},
    {"enum", plain([](const json& a) { return a.is_array(); }, "an array")}, {"const", any},
    {"minItems", count}, {"maxItems", count}, {"minLength", count}, {"maxLength", count},
    {"minProperties", count}, {"maxProperties", count}, {"minimum", num}, {"maximum", num},
    {"exclusiveMinimum", num}, {"exclusiveMaximum", num},
    {"multipleOf", plain([](const json& a) { return a.is_number() && number(a) > 0; }, "> 0")},
    {"uniqueItems", plain([](const json& a) { return a.is_boolean(); }, "true or false")},
    {"title", any}, {"description", any}, {"examples", any}, {"default", any},
    {"$schema", any}, {"$id", any}, {"$comment", any}, {"format", any}, {"deprecated", any},
    {"readOnly", any}, {"writeOnly", any}};
}

/// make_keyword_table(), built once.
const std::map<std::string, arg_check>& known_keywords() {
  static const std::map<std::string, arg_check> table = make_keyword_table();
  return table;
}

/// The first problem of the schema `s` found at `at`, or "". Recursion is bounded by the JSON
/// depth of the whole schema, which check_schema checks first.
std::string check_node(const json& s, const std::string& at) {
  if (s.is_boolean())
    return "";
  if (!s.is_object())
    return problem(at, std::string("a schema must be an object or a boolean, got ") +
                         s.type_name());
  for (auto it = s.begin(); it != s.end(); ++it) {
    auto known = known_keywords().find(it.key());
    if (known == known_keywords().end())
      return problem(at, "unknown keyword '" + it.key() + "'");
    if (std::string p = known->second(*it, schema_child(at, it.key())); !p.empty())
      return p;
  }
  return "";
}

// ---------------------------------------------------------------------------------- validation

/// Where violations go, with the schema's compiled patterns (null: compile each when used).
struct violations {
  const pattern_cache* patterns = nullptr;
  std::vector<schema_violation> list;

  void push_back(schema_violation v) { list.push_back(std::move(v)); }
  bool empty() const { return list.empty(); }
  const schema_violation& front() const { return list.front(); }
};

void validate_node(const json& s, const json& v, const std::string& at, violations& out);

/// The argument of keyword `key` in `s`, or null.
const json* keyword(const json& s, const char* key) {
  auto it = s.find(key);
  return it == s.end() ? nullptr : &*it;
}

/// Checks `type`; returns whether `v` has (one of) the types asked for.
bool validate_type(const json& s, const json& v, const std::string& at, violations& out) {
  const json* type = keyword(s, "type");
  if (!type)
    return true;
  const json names = type->is_array() ? *type : json::array({*type});
  std::string wanted;
  for (const json& name : names) {
    if (has_type(v, name.get<std::string>()))
      return true;
    wanted += (wanted.empty() ? "" : " or ") + name.get<std::string>();
  }
  out.push_back({at, "expected " + wanted + ", got " + type_name(v)});
  return false;
}

/// Whether `v` is a multiple of `m` (> 0): exactly for integers, to a few ulps for floats.
bool is_multiple(const json& v, const json& m) {
  const long double x = number(v), d = number(m);
  if (v.is_number_integer() && m.is_number_integer())
    return std::fmod(x, d) == 0;
  const long double q = x / d;
  if (!std::isfinite(q))
    return false;
  return std::fabs(q - std::round(q)) <= 4 * DBL_EPSILON * std::max(1.0L, std::fabs(q));
}

void validate_number(const json& s, const json& v, const std::string& at, violations& out) {
  struct bound { const char* key; const char* op; bool (*ok)(long double, long double); };
  static const bound bounds[]{
    {"minimum", ">=", [](long double x, long double b) { return x >= b; }},
    {"maximum", "<=", [](long double x, long double b) { return x <= b; }},
    {"exclusiveMinimum", ">", [](long double x, long double b) { return x > b; }},
    {"exclusiveMaximum", "<", [](long double x, long double b) { return x < b; }}};
  for (const bound& b : bounds) {
    if (const json* arg = keyword(s, b.key); arg && !b.ok(number(v), number(*arg)))
      out.push_back({at, std::string("expected ") + b.op + " " + show(*arg) + ", got " + show(v)});
  }
  if (const json* m = keyword(s, "multipleOf"); m && !is_multiple(v, *m))
    out.push_back({at, "expected a multiple of " + show(*m) + ", got " + show(v)});
}

/// Checks `min_key` / `max_key` against `count`, naming the counted things `unit`.
void validate_count(const json& s, std::size_t count, const char* min_key, const char* max_key,
                    const std::string& unit, const std::string& at, violations& out) {
  const std::string got = ", got " + std::to_string(count);
  if (const json* min = keyword(s, min_key); min && static_cast<long double>(count) < number(*min))
    out.push_back({at, "expected at least " + show(*min) + " " + unit + got});
  if (const json* max = keyword(s, max_key); max && static_cast<long double>(count) > number(*max))
    out.push_back({at, "expected at most " + show(*max) + " " + unit + got});
}

void validate_string(const json& s, const std::string& v, const std::string& at, violations& out) {
  const auto code_points = static_cast<std::size_t>(std::count_if(
    v.begin(), v.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
  validate_count(s, code_points, "minLength", "maxLength", "characters", at, out);
  const json* pattern = keyword(s, "pattern");
  if (!pattern)
    return;
  try {
    const auto& source = pattern->get_ref<const std::string&>();
    auto compiled = out.patterns ? out.patterns->find(source) : out.patterns->end();
    bool found = out.patterns && compiled != out.patterns->end()
                   ? std::regex_search(v, compiled->second)
                   : std::regex_search(v, std::regex(source, regex_flags));
    if (!found)
      out.push_back({at, "does not match pattern " + show(*pattern)});
  } catch (const std::regex_error& e) {
    out.push_back({at, "pattern " + show(*pattern) + " could not be applied: " + e.what()});
  }
}

/// The indexes of two equal elements of the array `v`, or nullopt. Sorts, so O(n log n); json's
/// ordering compares numbers by value across int / uint / float, as its equality does.
std::optional<std::pair<std::size_t, std::size_t>> equal_items(const json& v) {
  std::vector<std::size_t> order(v.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  for (std::size_t k = 1; k < order.size(); ++k) {
    if (v[order[k - 1]] == v[order[k]])
      return std::make_pair(order[k - 1], order[k]);
  }
  return std::nullopt;
}

void validate_array(const json& s, const json& v, const std::string& at, violations& out) {
  validate_count(s, v.size(), "minItems", "maxItems", "items", at, out);
  if (const json* unique = keyword(s, "uniqueItems"); unique && unique->get<bool>()) {
    if (std::optional<std::pair<std::size_t, std::size_t>> twins = equal_items(v))
      out.push_back({at, "items " + std::to_string(twins->first) + " and " +
                           std::to_string(twins->second) + " are equal, expected unique items"});
  }
  if (const json* items = keyword(s, "items")) {
    for (std::size_t i = 0; i < v.size(); ++i)
      validate_node(*items, v[i], pointer_child(at, std::to_string(i)), out);
  }
}

void validate_object(const json& s, const json& v, const std::string& at, violations& out) {
  if (const json* required = keyword(s, "required")) {
    for (const json& name : *required) {
      if (!v.contains(name.get<std::string>()))
        out.push_back({pointer_child(at, name.get<std::string>()), "required property missing"});
    }
  }
  validate_count(s, v.size(), "minProperties", "maxProperties", "properties", at, out);
  const json* properties = keyword(s, "properties");
  const json* additional = keyword(s, "additionalProperties");
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string where = pointer_child(at, it.key());
    if (properties && properties->contains(it.key()))
      validate_node((*properties)[it.key()], *it, where, out);
    else if (additional && additional->is_boolean() && !additional->get<bool>())
      out.push_back({where, "property not allowed (additionalProperties is false)"});
    else if (additional)
      validate_node(*additional, *it, where, out);
  }
}

void validate_enum_const(const json& s, const json& v, const std::string& at, violations& out) {
  if (const json* options = keyword(s, "enum");
      options && std::find(options->begin(), options->end(), v) == options->end())
    out.push_back({at, "expected one of " + show(*options) + ", got " + show(v)});
  if (const json* expected = keyword(s, "const"); expected && *expected != v)
    out.push_back({at, "expected " + show(*expected) + ", got " + show(v)});
}

/// How `v` fares against each schema of `list`: the branches it matches and a summary of the
/// first violation of each branch it fails ("#0 /a: expected string, got integer | #1 ...").
std::pair<std::vector<std::size_t>, std::string> try_branches(const json& list, const json& v,
                                                              const std::string& at,
                                                              const pattern_cache* patterns) {
  std::vector<std::size_t> matched;
  std::string failures;
  for (std::size_t i = 0; i < list.size(); ++i) {
    violations branch{patterns, {}};
    validate_node(list[i], v, at, branch);
    if (branch.empty()) {
      matched.push_back(i);
      continue;
    }
    const schema_violation& first = branch.front();
    failures += (failures.empty() ? "#" : " | #") + std::to_string(i) + " " +
                (first.path == at ? "" : first.path + ": ") + first.message;
  }
  return {matched, failures};
}

void validate_combinators(const json& s, const json& v, const std::string& at, violations& out) {
  if (const json* all = keyword(s, "allOf")) {
    for (const json& branch : *all)
      validate_node(branch, v, at, out);
  }
  for (const char* key : {"anyOf", "oneOf"}) {
    const json* list = keyword(s, key);
    if (!list)
      continue;
    const auto [matched, failures] = try_branches(*list, v, at, out.patterns);
    const std::string of = " of the " + std::to_string(list->size()) + " " + key + " schemas";
    if (matched.empty())
      out.push_back({at, "matches none" + of + " (" + failures + ")"});
    else if (matched.size() > 1 && std::string(key) == "oneOf")
      out.push_back({at, "matches " + std::to_string(matched.size()) + of + " (#" +
                           std::to_string(matched[0]) + " and #" + std::to_string(matched[1]) +
                           "), expected exactly 1"});
  }
  if (const json* negated = keyword(s, "not")) {
    violations branch{out.patterns, {}};
    validate_node(*negated, v, at, branch);
    if (branch.empty())
      out.push_back({at, "matches the schema under 'not', expected not to"});
  }
}

/// Appends to `out` every violation of the schema `s` by `v`, which sits at `at`.
void validate_node(const json& s, const json& v, const std::string& at, violations& out) {
  if (s.is_boolean()) {
    if (!s.get<bool>())
      out.push_back({at, "no value is allowed here (the schema is false)"});
    return;
  }
  if (!validate_type(s, v, at, out))
    return; // the other keywords would only repeat the type mismatch
  if (v.is_number())
    validate_number(s, v, at, out);
  else if (v.is_string())
    validate_string(s, v.get_ref<const std::string&>(), at, out);
  else if (v.is_array())
    validate_array(s, v, at, out);
  else if (v.is_object())
    validate_object(s, v, at, out);
  validate_enum_const(s, v, at, out);
  validate_combinators(s, v, at, out);
}

/// Every string under a "pattern" key of `s`, compiled (a pattern that does not compile is left
/// out: check_schema has refused the schema already).
void collect_patterns(const json& s, pattern_cache& into) {
  if (s.is_object()) {
    for (auto it = s.begin(); it != s.end(); ++it) {
      if (it.key() == "pattern" && it->is_string() && into.count(it->get<std::string>()) == 0) {
        try {
          into.emplace(it->get<std::string>(), std::regex(it->get<std::string>(), regex_flags));
        } catch (const std::regex_error&) {
        }
      }
      collect_patterns(*it, into);
    }
  } else if (s.is_array()) {
    for (const json& member : s)
      collect_patterns(member, into);
  }
}

} // namespace

std::string check_schema(const nlohmann::json& schema) {
  try {
    if (std::optional<std::string> deep = too_deep(schema, "", schema_child))
      return problem(*deep, "schema nested deeper than 64 levels");
    return check_node(schema, "");
  } catch (const std::exception& e) {
    return std::string("schema could not be checked: ") + e.what();
  }
}

compiled_schema::compiled_schema(nlohmann::json schema) : schema_(std::move(schema)) {
  problem_ = check_schema(schema_);
  if (!problem_.empty())
    return;
  try {
    auto patterns = std::make_shared<pattern_cache>();
    collect_patterns(schema_, *patterns);
    patterns_ = std::move(patterns);
  } catch (const std::exception& e) {
    problem_ = std::string("schema could not be compiled: ") + e.what();
  }
}

std::vector<schema_violation> compiled_schema::validate(const nlohmann::json& value) const {
  try {
    if (!problem_.empty())
      return {{"", "invalid schema: " + problem_}};
    if (std::optional<std::string> deep = too_deep(value, "", pointer_child))
      return {{*deep, "value nested deeper than 64 levels"}};
    violations out{patterns_.get(), {}};
    validate_node(schema_, value, "", out);
    return std::move(out.list);
  } catch (const std::exception& e) {
    return {{"", std::string("value could not be validated: ") + e.what()}};
  }
}

std::vector<schema_violation> validate_against_schema(const nlohmann::json& schema,
                                                      const nlohmann::json& value) {
  // Checked before it is copied: copying a schema nested too deep would recurse as deep.
  if (std::string p = check_schema(schema); !p.empty())
    return {{"", "invalid schema: " + p}};
  return compiled_schema(schema).validate(value);
}

std::string describe_violations(const std::vector<schema_violation>& v) {
  try {
    std::string out;
    for (const schema_violation& one : v) {
      out += (out.empty() ? "" : "; ") + (one.path.empty() ? "(root)" : one.path) + ": " +
             one.message;
    }
    return out;
  } catch (const std::exception&) {
    return "(violations could not be described)";
  }
}

} // namespace troupe
