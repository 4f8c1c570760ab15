#pragma once
// The mapping between msgpack payloads and Lua values (documented in docs/lua-plugins.md):
//
//   msgpack          -> Lua                     Lua                   -> msgpack
//   nil                 nil                     nil                      nil
//   bool                boolean                 boolean                  bool
//   int (fits int64)    integer                 integer                  int
//   uint > INT64_MAX    float (rounded)         float                    float64 (NaN/inf kept)
//   float32/64          float                   string, valid UTF-8      str
//   str, bin            string                  string, other bytes      bin
//   array               table 1..n              table, keys exactly 1..n array
//   map                 table                   empty table              map {}  (see the docs)
//   ext                 bad_input               other table              map (keys: strings,
//                                                                         numbers, booleans)
//                                               function, userdata,      bad_input naming the path
//                                               thread, cycle, too deep
// Tables are read raw (no __index/__pairs); nesting is limited to max_payload_depth.

#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <lua.hpp>
#include <msgpack.hpp>

#include "messages/payload.hpp"

namespace troupe::lua {

/// Decodes `in` and pushes it as one Lua value. Runs protected: a malformed payload is bad_input,
/// running out of the state's memory is plugin_failed; on error nothing is pushed.
caf::error push_payload(lua_State* L, const payload& in, const std::string& plugin);

/// Pushes `o` as one Lua value. Raises a Lua error for what has no Lua form (extension types,
/// nil or NaN map keys) or when memory runs out: must run inside a protected call.
void push_msgpack(lua_State* L, const msgpack::object& o);

/// Pushes the arguments `o` holds (array elements, nothing for nil, else the value); answers
/// how many. Raises like push_msgpack.
int push_msgpack_arguments(lua_State* L, const msgpack::object& o);

/// Encodes the Lua value at stack index `idx` (left in place) as a payload. Values with no msgpack
/// form are bad_input naming where they sit ("result.items[3]: cannot encode a function").
caf::expected<payload> encode_value(lua_State* L, int idx, const std::string& plugin);

} // namespace troupe::lua
