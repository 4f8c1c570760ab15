#pragma once
// The functions Troupe adds to every Lua plugin's environment (documented in docs/lua-plugins.md):
//   log(...), debug(...), warn(...), print(...)  to spdlog at info/debug/warn/info, tagged with the
//                                                plugin id; arguments joined by spaces
//   now()                                        milliseconds since the Unix epoch (integer)
//   trim(s), upper(s), lower(s)                  ASCII whitespace and case
//   split(s [, sep])                             array of fields; sep is plain text (empty fields
//                                                kept); without sep, runs of whitespace split
//   starts_with(s, p), ends_with(s, p), contains(s, p)   plain-text tests
//   json_parse(text)                             the value, or nil and an error message
//   json_encode(value)                           JSON text; errors for what JSON cannot hold
// call_plugin is added by lua_plugin, which owns the suspension it needs.

#include <string>

#include <lua.hpp>

namespace troupe::lua {

class key_cache;

/// Adds the builtins to L's globals. `plugin_id` must outlive the state (the log tag); so must
/// `keys` (json_parse pushes member names through it) if it is set. Must run inside a protected
/// call after open_sandbox.
void open_builtins(lua_State* L, const std::string* plugin_id, key_cache* keys = nullptr);

} // namespace troupe::lua
