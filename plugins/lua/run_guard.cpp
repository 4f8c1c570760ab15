#include "plugins/lua/run_guard.hpp"

#include <cstring>

namespace troupe::lua {

void run_guard::attach(lua_State* L) {
  run_guard* self = this;
  std::memcpy(lua_getextraspace(L), &self, sizeof self);
  lua_sethook(L, &run_guard::hook, LUA_MASKCOUNT, hook_interval);
}

run_guard* run_guard::of(lua_State* L) {
  run_guard* self = nullptr;
  std::memcpy(&self, lua_getextraspace(L), sizeof self);
  return self;
}

void run_guard::arm(lua_State* T, const run_usage& used) {
  armed_ = true;
  stop_ = stop_reason::none;
  run_instructions_ = 0;
  budget_ = 0;
  if (limits_.instructions != 0)
    budget_ = used.instructions < limits_.instructions ? limits_.instructions - used.instructions : 1;
  has_deadline_ = limits_.wall_time.count() != 0;
  if (has_deadline_) { // without a deadline the clock is never read
    started_ = std::chrono::steady_clock::now();
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(limits_.wall_time) - used.time;
    deadline_ = started_ + (left.count() > 0 ? left : std::chrono::nanoseconds(0));
  }
  // Restarts T's count, and leaves per-instruction mode if an earlier stop set it.
  lua_sethook(T, &run_guard::hook, LUA_MASKCOUNT, hook_interval);
}

run_usage run_guard::disarm(bool measure_time) {
  armed_ = false;
  stop_ = stop_reason::none;
  total_instructions_ += run_instructions_;
  run_usage used{run_instructions_, std::chrono::nanoseconds(0)};
  if (measure_time && has_deadline_)
    used.time = std::chrono::steady_clock::now() - started_;
  return used;
}

std::string run_guard::stop_message(stop_reason why) const {
  switch (why) {
    case stop_reason::wall_time:
      return "wall-time limit exceeded (" + std::to_string(limits_.wall_time.count())
             + " ms per call)";
    case stop_reason::instructions:
      return "instruction limit exceeded (" + std::to_string(limits_.instructions) + " per call)";
    case stop_reason::call_depth:
      return "call depth limit exceeded (" + std::to_string(limits_.call_depth)
             + " nested calls)";
    case stop_reason::none: break;
  }
  return "stopped";
}

void run_guard::raise_stop(lua_State* L) const {
  lua_pushstring(L, stop_message(stop_).c_str());
  lua_error(L);
  std::abort(); // lua_error does not return
}

void run_guard::stop(lua_State* L, stop_reason why) {
  stop_ = why;
  if (why == stop_reason::wall_time)
    ++time_stops_;
  else if (why == stop_reason::instructions)
    ++instruction_stops_;
  // From now on every instruction of this thread raises the stop again.
  lua_sethook(L, &run_guard::hook, LUA_MASKCOUNT, 1);
  raise_stop(L);
}

void run_guard::check_budget(lua_State* L) {
  if (budget_ != 0 && run_instructions_ > budget_)
    stop(L, stop_reason::instructions);
  if (has_deadline_ && std::chrono::steady_clock::now() >= deadline_)
    stop(L, stop_reason::wall_time);
}

void run_guard::charge(lua_State* L, std::uint64_t steps) {
  if (!armed_)
    return;
  if (stop_ != stop_reason::none)
    raise_stop(L);
  run_instructions_ += steps;
  check_budget(L);
}

void run_guard::hook(lua_State* L, lua_Debug* ar) {
  (void)ar;
  auto* self = of(L);
  if (self != nullptr && self->armed_)
    self->on_tick(L);
}

void run_guard::on_tick(lua_State* L) {
  if (stop_ != stop_reason::none) {
    if (lua_gethookcount(L) != 1)
      lua_sethook(L, &run_guard::hook, LUA_MASKCOUNT, 1);
    raise_stop(L);
  }
  if (lua_gethookcount(L) != hook_interval) {
    // A thread left in per-instruction mode by an earlier call's stop.
    lua_sethook(L, &run_guard::hook, LUA_MASKCOUNT, hook_interval);
    run_instructions_ += 1;
  } else {
    run_instructions_ += hook_interval;
  }
  check_budget(L);
  lua_Debug frame;
  if (limits_.call_depth != 0 && lua_getstack(L, static_cast<int>(limits_.call_depth), &frame))
    stop(L, stop_reason::call_depth);
}

} // namespace troupe::lua
