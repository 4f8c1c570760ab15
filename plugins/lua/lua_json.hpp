#pragma once
// JSON for Lua scripts: parsing with RapidJSON's SAX reader straight onto the Lua stack,
// encoding through the payload codec and nlohmann::json. The mapping is the payload one (see
// lua_value.hpp): objects and arrays become tables, integers stay integers, null becomes nil (an
// object member with null is absent, an array element leaves a hole).

#include <lua.hpp>

namespace troupe::lua {

/// json_parse(text): the decoded value, or nil and "json_parse: <what is wrong, with position>".
/// Nesting deeper than max_payload_depth is an error. Upvalue 1, if there is one: a light
/// userdata of the state's key_cache, through which member names are pushed.
int json_parse(lua_State* L);

/// json_encode(value): compact JSON text, rendered as the command line renders payloads (NaN
/// and infinities become null; a string that is not UTF-8 becomes {"bytes": [...],
/// "subtype": null}). Raises for functions, cycles and too deep nesting, naming where they sit.
int json_encode(lua_State* L);

} // namespace troupe::lua
