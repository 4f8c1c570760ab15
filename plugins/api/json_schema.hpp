#pragma once
// A JSON-schema validator for the subset that tool schemas use (the `parameters` of a tool a plugin
// declares, the shape an LLM agent uses for function calling). Keywords understood:
//   type (object, array, string, number, integer, boolean, null; a name or an array of names),
//   properties, required, additionalProperties, items (one schema), minItems, maxItems,
//   uniqueItems, enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers, the
//   draft 6+ form), multipleOf, minLength, maxLength (Unicode code points), pattern (ECMAScript,
//   searched, not anchored), minProperties, maxProperties, anyOf, oneOf, allOf, not, and the
//   booleans true / false as schemas.
// Annotations are accepted and ignored: title, description, examples, default, $schema, $id,
// $comment, format, deprecated, readOnly, writeOnly. Any other keyword ($ref, patternProperties,
// the tuple form of items, ...) makes check_schema fail, so a schema is never half-checked.
// A schema document or a value with arrays / objects nested more than 64 deep is refused rather
// than recursed into (check_schema reports a problem, validate_against_schema a violation).

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace troupe {

/// A schema's patterns compiled once, by their source text (defined in json_schema.cpp).
struct pattern_cache;

/// One way a value fails a schema: where (a JSON pointer such as "/items/2/name", "" for the root)
/// and why.
struct schema_violation {
  std::string path;
  std::string message;
};

/// The first problem that keeps `schema` from being one this validator understands, as
/// "properties/age/type: unknown type 'integr'", or "" if there is none. Never throws.
std::string check_schema(const nlohmann::json& schema);

/// A schema checked once (check_schema) with its patterns compiled once, for validating many
/// values: a tool's schema is compiled when the tool is registered, not on every call.
/// Immutable after construction; copies share the compiled patterns. Thread-safe for validate.
class compiled_schema {
public:
  /// Checks `schema` and compiles its patterns. Never throws; see problem().
  explicit compiled_schema(nlohmann::json schema);

  /// Why the schema cannot be used, in check_schema's words; "" when it can.
  const std::string& problem() const { return problem_; }

  /// The schema document as given.
  const nlohmann::json& document() const { return schema_; }

  /// Every violation of the schema by `value`; empty means valid. A schema with a problem
  /// answers one violation at "" naming it. Never throws.
  std::vector<schema_violation> validate(const nlohmann::json& value) const;

private:
  nlohmann::json schema_;
  std::string problem_;
  std::shared_ptr<const pattern_cache> patterns_;
};

/// Every violation of `schema` by `value` (compiling it for this one value: prefer
/// compiled_schema for repeated checks); empty means valid. A schema check_schema refuses gives
/// one violation at "" naming the problem. Never throws.
std::vector<schema_violation> validate_against_schema(const nlohmann::json& schema,
                                                      const nlohmann::json& value);

/// The violations as one line: "/age: expected integer, got string; /name: required property
/// missing"; the root path shows as "(root)"; "" for none. Never throws.
std::string describe_violations(const std::vector<schema_violation>& v);

} // namespace troupe
