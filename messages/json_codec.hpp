#pragma once
// JSON <-> payload conversion with nlohmann::json, used by the CLI and by anyone who speaks JSON.
// The mapping is nlohmann's msgpack mapping: objects <-> maps, arrays <-> arrays, integers stay
// integers, floats stay floats, msgpack binary becomes a JSON object {"bytes": [...], "subtype": null}.

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

/// Decodes a msgpack payload into JSON. Map keys that are not strings are rendered as their JSON
/// text; anything else malformed is a bad_input error naming `plugin`.
caf::expected<nlohmann::json> payload_to_json(const payload& in, const std::string& plugin = {});

} // namespace troupe
