#pragma once
// JSON <-> payload conversion with nlohmann::json, used by the CLI and by anyone who speaks JSON.
// The mapping is nlohmann's msgpack mapping: objects <-> maps, arrays <-> arrays, integers stay
// integers, floats stay floats, msgpack binary becomes a JSON object {"bytes": [...], "subtype": null}.
// Bytes that are not UTF-8 never abort and are never lost: a msgpack `str` that is not well-formed
// UTF-8 (docs/architecture.md, "Text and bytes") is rendered like binary, {"bytes": [...]}; a map
// key of that kind (or any key that is not a string) becomes the JSON text of that rendering,
// cut after 1024 bytes (ending in "...") when longer.

#include <string>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "messages/payload.hpp"

namespace troupe {

/// Encodes a JSON value as a msgpack payload.
payload payload_from_json(const nlohmann::json& value);

/// Parses JSON text and encodes it; a syntax error, or nesting deeper than max_payload_depth, is
/// a bad_input error (naming the position for syntax errors).
caf::expected<payload> payload_from_json_text(const std::string& text);

/// Decodes a msgpack payload into JSON. Map keys that are not UTF-8 strings are rendered as their
/// JSON text (its first 1024 bytes and "..." when longer), strings that are not UTF-8 as binary;
/// anything malformed is a bad_input error naming `plugin`. Never throws.
caf::expected<nlohmann::json> payload_to_json(const payload& in, const std::string& plugin = {});

/// `value` as JSON text (compact, or indented by `indent` spaces), for every place that prints or
/// sends JSON. Never throws: a string that is not UTF-8 (an error message with raw bytes in it,
/// say) has each invalid byte replaced by U+FFFD.
std::string render_json(const nlohmann::json& value, int indent = -1);

} // namespace troupe
