#pragma once
// Reads msgpack bytes straight onto a Lua stack, without building msgpack-c's object tree first.
// Two passes: check() walks the bytes and accepts only what msgpack-c's unpack (with the limits
// of unpack_in) certainly accepts; push() then builds the Lua values from the checked bytes.
// What check() declines goes through msgpack-c as before (prepare_payload), so malformed or
// over-limit payloads keep exactly the errors unpack_in gives them.

#include <cstddef>
#include <cstdint>
#include <string>

#include <caf/expected.hpp>
#include <lua.hpp>
#include <msgpack.hpp>

#include "messages/payload.hpp"

namespace troupe::lua {

/// A payload ready to be pushed: either its checked bytes (bytes != nullptr) or, when the direct
/// reader declined it, msgpack-c's object for it (whose memory lives in the zone given to
/// prepare_payload).
struct prepared_payload {
  const std::uint8_t* bytes = nullptr;
  std::size_t size = 0;
  msgpack::object object;
};

/// True if `bytes` hold exactly one msgpack value that msgpack-c's unpack accepts under
/// unpack_in's limits (no trailing bytes, nesting below max_payload_depth). Conservative: false
/// may also mean "let msgpack-c decide". Never touches Lua.
bool check_msgpack(const std::uint8_t* bytes, std::size_t size);

/// Checks `in` with check_msgpack, else unpacks it with unpack_in into `zone` (referencing the
/// payload's bytes). Errors are unpack_in's. `in` must outlive the result.
caf::expected<prepared_payload> prepare_payload(msgpack::zone& zone, const payload& in,
                                                const std::string& plugin);

class key_cache;

/// Pushes the prepared value as one Lua value, with the mapping and errors of push_msgpack.
/// Map keys that are short strings are pushed through `keys` if it is set (the state's cache).
/// Raises a Lua error: must run inside a protected call.
void push_prepared(lua_State* L, const prepared_payload& p, key_cache* keys = nullptr);

/// Pushes the arguments the prepared value holds, like push_msgpack_arguments; answers how many.
int push_prepared_arguments(lua_State* L, const prepared_payload& p, key_cache* keys = nullptr);

} // namespace troupe::lua
