#pragma once
// An owned Lua 5.4 state with a per-state memory cap. Lua is linked as C++ (lua5.4-c++), so a Lua
// error unwinds C++ frames with their destructors instead of longjmp-ing over them.

#include <cstddef>
#include <memory>

#include <lua.hpp>

namespace troupe::lua {

/// Counts a state's allocations and refuses any that would pass `limit` bytes. Lua turns a refusal
/// into a catchable "not enough memory" error; the state stays usable afterwards.
struct memory_budget {
  /// Which cap refused an allocation last.
  enum class refusal { none, memory, string_size };
  std::size_t limit = 0;        ///< 0: unlimited.
  std::size_t string_limit = 0; ///< Longest string the state may create; 0: unlimited.
  std::size_t used = 0;         ///< Bytes currently allocated by the state.
  std::size_t peak = 0;         ///< Highest `used` seen.
  refusal last_refusal = refusal::none; ///< Reset by whoever inspects it.
};

/// Owns a lua_State; closing it frees every byte it allocated. Move-only.
class state {
public:
  /// Opens a new, empty state (no libraries) whose allocations are capped at `memory_limit` bytes
  /// (0: unlimited). Throws std::bad_alloc if even the empty state does not fit.
  explicit state(std::size_t memory_limit);

  lua_State* get() const { return L_.get(); }

  /// The state's memory accounting; lives as long as the state.
  const memory_budget& memory() const { return *budget_; }

  /// The state's memory accounting, writable (to reset last_refusal).
  memory_budget& memory() { return *budget_; }

  /// Changes the cap; existing allocations are kept even if above it.
  void set_memory_limit(std::size_t limit) { budget_->limit = limit; }

  /// Caps the size of any one string the state creates (0: unlimited).
  void set_string_limit(std::size_t limit) { budget_->string_limit = limit; }

private:
  struct closer {
    void operator()(lua_State* L) const { lua_close(L); }
  };
  std::unique_ptr<memory_budget> budget_; // outlives L_ (declared first, destroyed last)
  std::unique_ptr<lua_State, closer> L_;
};

} // namespace troupe::lua
