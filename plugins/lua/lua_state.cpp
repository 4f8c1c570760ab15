#include "plugins/lua/lua_state.hpp"

#include <cstdlib>
#include <new>

namespace troupe::lua {

namespace {

void* budgeted_alloc(void* ud, void* ptr, std::size_t old_size, std::size_t new_size) {
  auto* budget = static_cast<memory_budget*>(ud);
  // When ptr is null, old_size encodes the kind of object, not a size.
  std::size_t old_bytes = ptr != nullptr ? old_size : 0;
  if (new_size == 0) {
    std::free(ptr);
    budget->used -= old_bytes;
    return nullptr;
  }
  // A new string's allocation is tagged LUA_TSTRING and holds its bytes plus a small header.
  constexpr std::size_t string_header = 64;
  if (ptr == nullptr && old_size == LUA_TSTRING && budget->string_limit != 0
      && new_size > budget->string_limit + string_header) {
    budget->last_refusal = memory_budget::refusal::string_size;
    return nullptr;
  }
  if (new_size > old_bytes && budget->limit != 0
      && budget->used - old_bytes + new_size > budget->limit) {
    budget->last_refusal = memory_budget::refusal::memory;
    return nullptr;
  }
  // A new block (most of them) through malloc: realloc's checks for an existing block are
  // wasted on it.
  void* result = ptr == nullptr ? std::malloc(new_size) : std::realloc(ptr, new_size);
  if (result == nullptr)
    return nullptr;
  budget->used = budget->used - old_bytes + new_size;
  if (budget->used > budget->peak)
    budget->peak = budget->used;
  return result;
}

} // namespace

state::state(std::size_t memory_limit) : budget_(std::make_unique<memory_budget>()) {
  budget_->limit = memory_limit;
  lua_State* L = lua_newstate(budgeted_alloc, budget_.get());
  if (L == nullptr)
    throw std::bad_alloc();
  L_.reset(L);
}

} // namespace troupe::lua
