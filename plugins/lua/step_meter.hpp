#pragma once
// Work done inside one C function, charged against the calling plugin's budget.
#include <cstdint>
#include <lua.hpp>
namespace troupe::lua {
/// Implemented by the sandbox. charge() accounts `steps` units of work done inside a C function
/// on behalf of the running script; when a limit (instructions, wall time) is passed it raises a
/// Lua error and does not return. Called from inside Lua C functions only.
class step_meter {
public:
  virtual ~step_meter() = default;
  virtual void charge(lua_State* L, std::uint64_t steps) = 0;
};
}
