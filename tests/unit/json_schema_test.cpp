// The JSON-schema subset validator (plugins/api/json_schema.hpp) that checks tool-call arguments:
// every keyword accepting and rejecting, the paths and wording of violations, the schema checker,
// and the depth bounds.

#include <cstddef>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "plugins/api/json_schema.hpp"

namespace troupe {
namespace {

using json = nlohmann::json;

/// The violations of `value` against the schema written as `schema_text`, which must be valid.
std::vector<schema_violation> violations_of(const std::string& schema_text, const json& value) {
  const json schema = json::parse(schema_text);
  EXPECT_EQ(check_schema(schema), "") << schema_text;
  return validate_against_schema(schema, value);
}

/// The violations as describe_violations words them ("" when `value` is valid).
std::string errors(const std::string& schema_text, const json& value) {
  return describe_violations(violations_of(schema_text, value));
}

/// The problem check_schema finds in the schema written as `schema_text`.
std::string schema_problem(const std::string& schema_text) {
  return check_schema(json::parse(schema_text));
}

/// `depth` nested JSON arrays, built by the (iterative) parser rather than by recursion.
json nested_arrays(std::size_t depth) {
  return json::parse(std::string(depth, '[') + std::string(depth, ']'));
}

/// A schema of `depth` nested "not"s around {}.
json nested_nots(std::size_t depth) {
  std::string text;
  for (std::size_t i = 0; i < depth; ++i)
    text += R"({"not":)";
  return json::parse(text + "{}" + std::string(depth, '}'));
}

const char* const tool_schema = R"({
  "type": "object",
  "description": "Adds a task",
  "properties": {
    "name": {"type": "string", "minLength": 1},
    "age": {"type": "integer", "minimum": 0},
    "items": {"type": "array", "items": {"type": "object",
              "properties": {"name": {"type": "string"}}, "required": ["name"]}}
  },
  "required": ["name"],
  "additionalProperties": false
})";

// ------------------------------------------------------------------------------------ type

TEST(JsonSchemaType, StringAcceptsStringsAndRejectsNumbers) {
  EXPECT_EQ(errors(R"({"type":"string"})", "hi"), "");
  EXPECT_EQ(errors(R"({"type":"string"})", 3), "(root): expected string, got integer");
}

TEST(JsonSchemaType, IntegerAcceptsIntegralFloatsAndRejectsFractions) {
  EXPECT_EQ(errors(R"({"type":"integer"})", json::parse("3.0")), "");
  EXPECT_EQ(errors(R"({"type":"integer"})", -7), "");
  EXPECT_EQ(errors(R"({"type":"integer"})", 3.5), "(root): expected integer, got number");
  EXPECT_EQ(errors(R"({"type":"integer"})", "3"), "(root): expected integer, got string");
}

TEST(JsonSchemaType, NumberAcceptsIntegersAndFloatsButNotBooleans) {
  EXPECT_EQ(errors(R"({"type":"number"})", 3), "");
  EXPECT_EQ(errors(R"({"type":"number"})", 2.5), "");
  EXPECT_EQ(errors(R"({"type":"number"})", true), "(root): expected number, got boolean");
}

TEST(JsonSchemaType, EachBasicTypeAcceptsItsOwnKind) {
  EXPECT_EQ(errors(R"({"type":"boolean"})", false), "");
  EXPECT_EQ(errors(R"({"type":"null"})", nullptr), "");
  EXPECT_EQ(errors(R"({"type":"object"})", json::object()), "");
  EXPECT_EQ(errors(R"({"type":"array"})", json::array()), "");
  EXPECT_EQ(errors(R"({"type":"object"})", json::array()), "(root): expected object, got array");
  EXPECT_EQ(errors(R"({"type":"null"})", 0), "(root): expected null, got integer");
}

TEST(JsonSchemaType, ArrayOfTypesAcceptsAnyAndNamesAllWhenRejecting) {
  EXPECT_EQ(errors(R"({"type":["string","null"]})", nullptr), "");
  EXPECT_EQ(errors(R"({"type":["string","null"]})", "x"), "");
  EXPECT_EQ(errors(R"({"type":["string","null"]})", 1),
            "(root): expected string or null, got integer");
}

TEST(JsonSchemaType, MismatchSuppressesTheOtherKeywordsOfThatSchema) {
  EXPECT_EQ(errors(R"({"type":"string","minLength":3,"enum":["abc"]})", 5),
            "(root): expected string, got integer");
}

// ------------------------------------------------------------------------------ objects

TEST(JsonSchemaObject, MissingRequiredPropertyNamesThePath) {
  const auto v = violations_of(tool_schema, json{{"age", 3}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].path, "/name");
  EXPECT_EQ(v[0].message, "required property missing");
}

TEST(JsonSchemaObject, NestedViolationsCarryTheFullPointer) {
  const json value = json::parse(R"({"name":"t","items":[{"name":"a"},{"name":"b"},{"name":7}]})");
  EXPECT_EQ(errors(tool_schema, value), "/items/2/name: expected string, got integer");
  const json missing = json::parse(R"({"name":"t","items":[{}]})");
  EXPECT_EQ(errors(tool_schema, missing), "/items/0/name: required property missing");
}

TEST(JsonSchemaObject, ValidToolArgumentsHaveNoViolations) {
  const json value = json::parse(R"({"name":"t","age":4,"items":[{"name":"a","x":1}]})");
  EXPECT_TRUE(violations_of(tool_schema, value).empty());
}

TEST(JsonSchemaObject, EveryViolationIsReportedNotJustTheFirst) {
  const json value = json::parse(R"({"age":-1,"extra":true})");
  EXPECT_EQ(errors(tool_schema, value),
            "/name: required property missing; /age: expected >= 0, got -1; "
            "/extra: property not allowed (additionalProperties is false)");
}

TEST(JsonSchemaObject, PointerTokensEscapeSlashAndTilde) {
  EXPECT_EQ(errors(R"({"required":["a/b~c"]})", json::object()),
            "/a~1b~0c: required property missing");
}

TEST(JsonSchemaObject, AdditionalPropertiesSchemaChecksOnlyUnlistedProperties) {
  const std::string schema =
    R"({"properties":{"id":{"type":"string"}},"additionalProperties":{"type":"integer"}})";
  EXPECT_EQ(errors(schema, json{{"id", "x"}, {"n", 2}}), "");
  EXPECT_EQ(errors(schema, json{{"id", "x"}, {"n", "2"}}), "/n: expected integer, got string");
}

TEST(JsonSchemaObject, AdditionalPropertiesAbsentOrTrueAllowsAnything) {
  EXPECT_EQ(errors(R"({"properties":{"a":{}}})", json{{"b", 1}}), "");
  EXPECT_EQ(errors(R"({"properties":{"a":{}},"additionalProperties":true})", json{{"b", 1}}), "");
}

TEST(JsonSchemaObject, MinAndMaxPropertiesCountProperties) {
  const std::string schema = R"({"minProperties":1,"maxProperties":2})";
  EXPECT_EQ(errors(schema, json{{"a", 1}}), "");
  EXPECT_EQ(errors(schema, json::object()), "(root): expected at least 1 properties, got 0");
  EXPECT_EQ(errors(schema, json{{"a", 1}, {"b", 2}, {"c", 3}}),
            "(root): expected at most 2 properties, got 3");
}

TEST(JsonSchemaObject, ObjectKeywordsIgnoreNonObjects) {
  EXPECT_EQ(errors(R"({"required":["a"],"minProperties":3})", "not an object"), "");
}

// ------------------------------------------------------------------------------- arrays

TEST(JsonSchemaArray, ItemsChecksEveryElementAtItsIndex) {
  EXPECT_EQ(errors(R"({"items":{"type":"integer"}})", json{1, 2, 3}), "");
  EXPECT_EQ(errors(R"({"items":{"type":"integer"}})", json{1, "x", 3, "y"}),
            "/1: expected integer, got string; /3: expected integer, got string");
}

TEST(JsonSchemaArray, MinAndMaxItemsCountElements) {
  const std::string schema = R"({"minItems":1,"maxItems":2})";
  EXPECT_EQ(errors(schema, json{1, 2}), "");
  EXPECT_EQ(errors(schema, json::array()), "(root): expected at least 1 items, got 0");
  EXPECT_EQ(errors(schema, json{1, 2, 3}), "(root): expected at most 2 items, got 3");
}

TEST(JsonSchemaArray, UniqueItemsRejectsEqualElementsIncludingEqualObjects) {
  EXPECT_EQ(errors(R"({"uniqueItems":true})", json{1, 2, 3}), "");
  EXPECT_EQ(errors(R"({"uniqueItems":true})", json::parse(R"([{"a":1},2,{"a":1}])")),
            "(root): items 0 and 2 are equal, expected unique items");
}

TEST(JsonSchemaArray, UniqueItemsTreatsOneAndOnePointZeroAsEqual) {
  EXPECT_FALSE(violations_of(R"({"uniqueItems":true})", json::parse("[1, 1.0]")).empty());
}

TEST(JsonSchemaArray, UniqueItemsFindsTheDuplicateInALongArray) {
  json many = json::array();
  for (int i = 0; i < 100000; ++i)
    many.push_back(i);
  EXPECT_EQ(errors(R"({"uniqueItems":true})", many), "");
  many.push_back(json::parse("77.0"));
  EXPECT_EQ(errors(R"({"uniqueItems":true})", many),
            "(root): items 77 and 100000 are equal, expected unique items");
}

TEST(JsonSchemaArray, UniqueItemsFalseAllowsDuplicates) {
  EXPECT_EQ(errors(R"({"uniqueItems":false})", json{1, 1}), "");
}

// --------------------------------------------------------------------------- enum, const

TEST(JsonSchemaEnum, AcceptsListedValuesIncludingObjects) {
  const std::string schema = R"({"enum":["red",{"rgb":[0,0,255]},null]})";
  EXPECT_EQ(errors(schema, "red"), "");
  EXPECT_EQ(errors(schema, nullptr), "");
  EXPECT_EQ(errors(schema, json::parse(R"({"rgb":[0,0,255]})")), "");
  EXPECT_EQ(errors(schema, json::parse(R"({"rgb":[0,0,254]})")),
            R"((root): expected one of ["red",{"rgb":[0,0,255]},null], got {"rgb":[0,0,254]})");
}

TEST(JsonSchemaEnum, NumbersCompareByValueNotRepresentation) {
  EXPECT_EQ(errors(R"({"enum":[1,2]})", json::parse("2.0")), "");
  EXPECT_EQ(errors(R"({"enum":[1,2]})", 3), "(root): expected one of [1,2], got 3");
}

TEST(JsonSchemaConst, AcceptsOnlyTheEqualValue) {
  const std::string schema = R"({"const":{"mode":"fast","level":[1,2]}})";
  EXPECT_EQ(errors(schema, json::parse(R"({"level":[1,2],"mode":"fast"})")), "");
  EXPECT_EQ(errors(schema, json::parse(R"({"mode":"fast"})")),
            R"((root): expected {"level":[1,2],"mode":"fast"}, got {"mode":"fast"})");
  EXPECT_EQ(errors(R"({"const":false})", 0), "(root): expected false, got 0");
}

// ------------------------------------------------------------------------------ numbers

TEST(JsonSchemaNumber, MinimumAndMaximumAreInclusive) {
  const std::string schema = R"({"minimum":1,"maximum":2.5})";
  EXPECT_EQ(errors(schema, 1), "");
  EXPECT_EQ(errors(schema, 2.5), "");
  EXPECT_EQ(errors(schema, 0.5), "(root): expected >= 1, got 0.5");
  EXPECT_EQ(errors(schema, 3), "(root): expected <= 2.5, got 3");
}

TEST(JsonSchemaNumber, ExclusiveBoundsRejectTheBoundItself) {
  const std::string schema = R"({"exclusiveMinimum":0,"exclusiveMaximum":10})";
  EXPECT_EQ(errors(schema, 5), "");
  EXPECT_EQ(errors(schema, 0), "(root): expected > 0, got 0");
  EXPECT_EQ(errors(schema, 10), "(root): expected < 10, got 10");
}

TEST(JsonSchemaNumber, LargeIntegersAreComparedExactly) {
  // 2^53 + 1 equals 2^53 once both are doubles.
  EXPECT_EQ(errors(R"({"maximum":9007199254740992})", json::parse("9007199254740993")),
            "(root): expected <= 9007199254740992, got 9007199254740993");
  EXPECT_EQ(errors(R"({"minimum":-1})", json::parse("18446744073709551615")), "");
  EXPECT_EQ(errors(R"({"maximum":-1})", json::parse("18446744073709551615")),
            "(root): expected <= -1, got 18446744073709551615");
}

TEST(JsonSchemaNumber, MultipleOfIsExactForIntegers) {
  EXPECT_EQ(errors(R"({"multipleOf":3})", 12), "");
  EXPECT_EQ(errors(R"({"multipleOf":3})", -9), "");
  EXPECT_EQ(errors(R"({"multipleOf":3})", 10), "(root): expected a multiple of 3, got 10");
}

TEST(JsonSchemaNumber, MultipleOfToleratesDecimalRounding) {
  EXPECT_EQ(errors(R"({"multipleOf":0.1})", 0.3), "");
  EXPECT_EQ(errors(R"({"multipleOf":0.01})", 19.99), "");
  EXPECT_EQ(errors(R"({"multipleOf":0.5})", 4), "");
  EXPECT_EQ(errors(R"({"multipleOf":0.1})", 0.35), "(root): expected a multiple of 0.1, got 0.35");
  EXPECT_FALSE(violations_of(R"({"multipleOf":1})", json::parse("1000000000000.5")).empty());
}

// ------------------------------------------------------------------------------ strings

TEST(JsonSchemaString, LengthsCountCodePointsNotBytes) {
  const std::string schema = R"({"minLength":2,"maxLength":3})";
  EXPECT_EQ(errors(schema, "h\u00e9\u00e9"), "");       // 3 code points, 5 bytes
  EXPECT_EQ(errors(schema, "\U0001F600\U0001F600"), ""); // 2 code points, 8 bytes
  EXPECT_EQ(errors(schema, "\U0001F600"), "(root): expected at least 2 characters, got 1");
  EXPECT_EQ(errors(schema, "abcd"), "(root): expected at most 3 characters, got 4");
}

TEST(JsonSchemaString, PatternIsSearchedNotFullyMatched) {
  EXPECT_EQ(errors(R"({"pattern":"b+"})", "abbc"), "");
  EXPECT_EQ(errors(R"({"pattern":"^b"})", "abc"), R"((root): does not match pattern "^b")");
  EXPECT_EQ(errors(R"({"pattern":"^[a-z]+(-[a-z]+)*$"})", "kebab-case-name"), "");
  EXPECT_FALSE(errors(R"({"pattern":"^[a-z]+(-[a-z]+)*$"})", "Kebab").empty());
}

TEST(JsonSchemaString, PatternOnAVeryLongStringDoesNotOverflowTheStack) {
  const std::string schema = R"({"pattern":"^[a-z]+$"})";
  EXPECT_EQ(errors(schema, std::string(300000, 'a')), "");
  EXPECT_FALSE(errors(schema, std::string(300000, 'a') + "!").empty());
}

TEST(JsonSchemaString, StringKeywordsIgnoreNonStrings) {
  EXPECT_EQ(errors(R"({"minLength":5,"pattern":"^x"})", 12), "");
}

// -------------------------------------------------------------------------- combinators

TEST(JsonSchemaCombinator, AnyOfAcceptsWhenAnyBranchMatches) {
  const std::string schema = R"({"anyOf":[{"type":"string"},{"type":"integer","minimum":0}]})";
  EXPECT_EQ(errors(schema, "x"), "");
  EXPECT_EQ(errors(schema, 4), "");
}

TEST(JsonSchemaCombinator, AnyOfWithNoMatchCountsTheBranchesAndSaysWhyEachFailed) {
  const std::string schema = R"({"anyOf":[{"type":"string"},{"type":"integer","minimum":0}]})";
  EXPECT_EQ(errors(schema, -1),
            "(root): matches none of the 2 anyOf schemas (#0 expected string, got integer | "
            "#1 expected >= 0, got -1)");
}

TEST(JsonSchemaCombinator, OneOfAcceptsExactlyOneMatch) {
  const std::string schema = R"({"oneOf":[{"type":"integer"},{"type":"string"},{"minimum":10}]})";
  EXPECT_EQ(errors(schema, 3), "");
  EXPECT_EQ(errors(schema, 12.5), "");
  EXPECT_NE(errors(schema, "x"), ""); // minimum ignores strings, so "x" matches #1 and #2
}

TEST(JsonSchemaCombinator, OneOfRejectsSeveralMatchesAndCountsThem) {
  const std::string schema = R"({"oneOf":[{"type":"integer"},{"type":"number"},{"type":"null"}]})";
  EXPECT_EQ(errors(schema, 3), "(root): matches 2 of the 3 oneOf schemas (#0 and #1), expected "
                               "exactly 1");
  EXPECT_EQ(errors(schema, 2.5), "");
}

TEST(JsonSchemaCombinator, OneOfRejectsNoMatch) {
  const std::string schema = R"({"oneOf":[{"type":"integer"},{"type":"null"}]})";
  EXPECT_EQ(errors(schema, "x"),
            "(root): matches none of the 2 oneOf schemas (#0 expected integer, got string | "
            "#1 expected null, got string)");
}

TEST(JsonSchemaCombinator, AllOfReportsTheViolationsOfEveryBranch) {
  const std::string schema = R"({"allOf":[{"minLength":3},{"pattern":"^a"},{"type":"string"}]})";
  EXPECT_EQ(errors(schema, "abc"), "");
  EXPECT_EQ(errors(schema, "b"), R"((root): expected at least 3 characters, got 1; )"
                                 R"((root): does not match pattern "^a")");
}

TEST(JsonSchemaCombinator, NotRejectsWhatItsSchemaAccepts) {
  EXPECT_EQ(errors(R"({"not":{"type":"null"}})", 1), "");
  EXPECT_EQ(errors(R"({"not":{"type":"null"}})", nullptr),
            "(root): matches the schema under 'not', expected not to");
}

TEST(JsonSchemaCombinator, BranchFailuresNameNestedPaths) {
  const std::string schema =
    R"({"anyOf":[{"properties":{"a":{"type":"string"}}},{"required":["b"]}]})";
  EXPECT_EQ(errors(schema, json{{"a", 1}}),
            "(root): matches none of the 2 anyOf schemas (#0 /a: expected string, got integer | "
            "#1 /b: required property missing)");
}

TEST(JsonSchemaBoolean, TrueAcceptsEverythingAndFalseNothing) {
  EXPECT_EQ(errors("true", json{{"any", "thing"}}), "");
  EXPECT_EQ(errors("false", 1), "(root): no value is allowed here (the schema is false)");
  EXPECT_EQ(errors(R"({"properties":{"gone":false}})", json{{"gone", 1}}),
            "/gone: no value is allowed here (the schema is false)");
  EXPECT_EQ(errors(R"({"items":false})", json::array()), "");
}

// ------------------------------------------------------------------------- check_schema

TEST(JsonSchemaCheck, AcceptsATypicalToolSchemaWithAnnotations) {
  EXPECT_EQ(schema_problem(tool_schema), "");
  EXPECT_EQ(schema_problem(R"({"$schema":"https://json-schema.org/draft/2020-12/schema",
    "$id":"x","$comment":"c","title":"t","description":"d","examples":[1],"default":1,
    "format":"date-time","deprecated":false,"readOnly":true,"writeOnly":false})"),
            "");
  EXPECT_EQ(schema_problem("true"), "");
  EXPECT_EQ(schema_problem("{}"), "");
}

TEST(JsonSchemaCheck, RejectsAnUnknownTypeNamingItsPath) {
  EXPECT_EQ(schema_problem(R"({"properties":{"age":{"type":"integr"}}})"),
            "properties/age/type: unknown type 'integr'");
  EXPECT_EQ(schema_problem(R"({"type":["string","float"]})"), "type: unknown type 'float'");
  EXPECT_EQ(schema_problem(R"({"type":["string",3]})"), "type: unknown type 3");
  EXPECT_EQ(schema_problem(R"({"type":["string","string"]})"), "type: type 'string' listed twice");
  EXPECT_NE(schema_problem(R"({"type":[]})"), "");
}

TEST(JsonSchemaCheck, RejectsUnknownValidationKeywords) {
  EXPECT_EQ(schema_problem(R"({"$ref":"#/definitions/x"})"), "unknown keyword '$ref'");
  EXPECT_EQ(schema_problem(R"({"items":{"patternProperties":{}}})"),
            "items: unknown keyword 'patternProperties'");
  EXPECT_EQ(schema_problem(R"({"anyOf":[{},{"maxContains":1}]})"),
            "anyOf/1: unknown keyword 'maxContains'");
}

TEST(JsonSchemaString, BacktrackingBombPatternIsAnsweredOnALongInput) {
  // A depth-first matcher (std::regex's default, valijson's) takes exponential time here.
  json s = {{"type", "string"}, {"pattern", "^(a|aa)*b$"}};
  auto violations = validate_against_schema(s, json(std::string(10000, 'a')));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_NE(violations[0].message.find("does not match pattern"), std::string::npos);
  EXPECT_TRUE(validate_against_schema(s, json(std::string(10000, 'a') + "b")).empty());
}

TEST(CompiledSchema, ValidatesManyValuesAgainstPatternsCompiledOnce) {
  compiled_schema schema{json::parse(R"({"type": "object", "properties": {
      "code": {"type": "string", "pattern": "^[A-Z]{2}-[0-9]+$"},
      "tags": {"type": "array", "items": {"type": "string", "pattern": "^#"}}}})")};
  ASSERT_EQ(schema.problem(), "");
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(schema.validate({{"code", "AB-" + std::to_string(i)}, {"tags", {"#x"}}}).empty());
    auto bad = schema.validate({{"code", "ab-" + std::to_string(i)}, {"tags", {"#x", "y"}}});
    ASSERT_EQ(bad.size(), 2u);
    EXPECT_EQ(bad[0].path, "/code");
    EXPECT_EQ(bad[1].path, "/tags/1");
  }
}

TEST(CompiledSchema, CopiesShareTheCompiledPatternsAndValidateAlike) {
  compiled_schema original{json{{"type", "string"}, {"pattern", "^x+$"}}};
  compiled_schema copy = original;
  EXPECT_TRUE(copy.validate("xxx").empty());
  EXPECT_EQ(copy.validate("xyz").size(), 1u);
  EXPECT_EQ(copy.document(), original.document());
}

TEST(CompiledSchema, ABadSchemaSaysWhyAndEveryValidationNamesTheProblem) {
  compiled_schema schema{json{{"type", "string"}, {"pattern", "(unclosed"}}};
  EXPECT_NE(schema.problem().find("invalid regex"), std::string::npos) << schema.problem();
  auto v = schema.validate("anything");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].message.find("invalid schema"), std::string::npos) << v[0].message;
}

TEST(JsonSchemaCheck, RejectsABadRegex) {
  const std::string p = schema_problem(R"({"properties":{"code":{"pattern":"[a-"}}})");
  EXPECT_EQ(p.rfind(R"(properties/code/pattern: invalid regex "[a-": )", 0), 0u) << p;
  EXPECT_NE(schema_problem(R"({"pattern":"(a"})"), "");
  EXPECT_NE(schema_problem(R"({"pattern":"(a)\\1"})"), ""); // back-references are unsupported
  EXPECT_EQ(schema_problem(R"({"pattern":7})"), "pattern: must be a string");
}

TEST(JsonSchemaCheck, RejectsNonObjectSchemas) {
  EXPECT_EQ(schema_problem("42"), "a schema must be an object or a boolean, got number");
  EXPECT_EQ(schema_problem(R"("string")"), "a schema must be an object or a boolean, got string");
  EXPECT_EQ(schema_problem(R"({"properties":{"x":[]}})"),
            "properties/x: a schema must be an object or a boolean, got array");
  EXPECT_EQ(schema_problem(R"({"not":null})"),
            "not: a schema must be an object or a boolean, got null");
}

TEST(JsonSchemaCheck, RejectsMalformedKeywordArguments) {
  EXPECT_EQ(schema_problem(R"({"minItems":-1})"), "minItems: must be a non-negative integer");
  EXPECT_EQ(schema_problem(R"({"maxLength":1.5})"), "maxLength: must be a non-negative integer");
  EXPECT_EQ(schema_problem(R"({"minLength":2.0})"), "");
  EXPECT_EQ(schema_problem(R"({"minimum":"0"})"), "minimum: must be a number");
  EXPECT_EQ(schema_problem(R"({"exclusiveMinimum":true})"), "exclusiveMinimum: must be a number");
  EXPECT_EQ(schema_problem(R"({"multipleOf":0})"), "multipleOf: must be > 0");
  EXPECT_EQ(schema_problem(R"({"uniqueItems":1})"), "uniqueItems: must be true or false");
  EXPECT_EQ(schema_problem(R"({"required":"name"})"),
            "required: must be an array of property names");
  EXPECT_EQ(schema_problem(R"({"enum":"a"})"), "enum: must be an array");
  EXPECT_EQ(schema_problem(R"({"anyOf":[]})"), "anyOf: must be a non-empty array of schemas");
  EXPECT_EQ(schema_problem(R"({"properties":[]})"), "properties: must be an object");
  EXPECT_EQ(schema_problem(R"({"items":[{}]})"),
            "items: must be one schema (the array form of items is not supported)");
}

TEST(JsonSchemaCheck, ValidatingWithAnInvalidSchemaReportsTheProblemInsteadOfThrowing) {
  const auto v = validate_against_schema(json::parse(R"({"minimum":"zero"})"), 1);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].path, "");
  EXPECT_EQ(v[0].message, "invalid schema: minimum: must be a number");
}

// ---------------------------------------------------------------------------- depth bounds

TEST(JsonSchemaDepth, DeeplyNestedSchemaIsAProblemNotACrash) {
  EXPECT_EQ(check_schema(nested_nots(20)), "");
  const std::string p = check_schema(nested_nots(100));
  EXPECT_NE(p.find("schema nested deeper than 64 levels"), std::string::npos) << p;
  EXPECT_NE(check_schema(nested_nots(100000)), "");
  EXPECT_FALSE(validate_against_schema(nested_nots(100000), 1).empty());
}

TEST(JsonSchemaDepth, DeeplyNestedValueIsAViolationNotACrash) {
  EXPECT_EQ(errors("{}", nested_arrays(64)), "");
  const auto v = violations_of(R"({"items":{"items":{}}})", nested_arrays(65));
  ASSERT_EQ(v.size(), 1u);
  std::string path_of_65th; // the outermost array is the 1st
  for (int i = 1; i < 65; ++i)
    path_of_65th += "/0";
  EXPECT_EQ(v[0].path, path_of_65th);
  EXPECT_EQ(v[0].message, "value nested deeper than 64 levels");
  EXPECT_EQ(violations_of(R"({"uniqueItems":true})", nested_arrays(200000)).size(), 1u);
}

TEST(JsonSchemaDepth, DeeplyNestedConstIsAProblem) {
  json schema = {{"const", nested_arrays(100)}};
  EXPECT_NE(check_schema(schema).find("nested deeper than 64 levels"), std::string::npos);
}

// ------------------------------------------------------------------------ describe_violations

TEST(JsonSchemaDescribe, JoinsPathAndMessageWithSemicolons) {
  EXPECT_EQ(describe_violations({{"/age", "expected integer, got string"},
                                 {"/name", "required property missing"}}),
            "/age: expected integer, got string; /name: required property missing");
}

TEST(JsonSchemaDescribe, ShowsTheRootAsRootAndNothingAsEmpty) {
  EXPECT_EQ(describe_violations({{"", "expected object, got array"}}),
            "(root): expected object, got array");
  EXPECT_EQ(describe_violations({}), "");
}

TEST(JsonSchemaDescribe, LongValuesAreShortenedInMessages) {
  const std::string message = errors(R"({"const":"short"})", std::string(500, 'x'));
  EXPECT_LT(message.size(), 120u) << message;
  EXPECT_NE(message.find("..."), std::string::npos);
}

} // namespace
} // namespace troupe
