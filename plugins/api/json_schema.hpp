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

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace troupe {

/// One way a value fails a schema: where (a JSON pointer such as "/items/2/name", "" for the root)
/// and why.
struct schema_violation {
  std::string path;
  std::string message;
};

/// The first problem that keeps `schema` from being one this validator understands, as
/// "properties/age/type: unknown type 'integr'", or "" if there is none. Never throws.
std::string check_schema(const nlohmann::json& schema);

/// Every violation of `schema` by `value`; empty means valid. REQUIRES: check_schema(schema) is
/// empty (otherwise the result is a violation at "" naming the problem). Never throws.
std::vector<schema_violation> validate_against_schema(const nlohmann::json& schema,
                                                      const nlohmann::json& value);

/// The violations as one line: "/age: expected integer, got string; /name: required property
/// missing"; the root path shows as "(root)"; "" for none. Never throws.
std::string describe_violations(const std::vector<schema_violation>& v);

} // namespace troupe
