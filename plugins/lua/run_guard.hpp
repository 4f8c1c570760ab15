#pragma once
// Enforces the per-call limits of one Lua state: instructions, wall time and call depth, through
// a count hook, plus the work library functions charge through step_meter. A time or instruction
// stop is sticky: once a call is stopped every further instruction of that call raises the stop
// again, and the sandbox's pcall, xpcall and coroutine.resume re-raise it instead of catching it.
// A call-depth stop is sticky too: like the others it is raised from inside the hook, where Lua
// runs message handlers with hooks off, so letting a script catch it could not be bounded.

#include <chrono>
#include <cstdint>
#include <string>

#include <lua.hpp>

#include "plugins/lua/sandbox_limits.hpp"
#include "plugins/lua/step_meter.hpp"

namespace troupe::lua {

/// Why a run was stopped.
enum class stop_reason { none, wall_time, instructions, call_depth };

/// What one armed run used.
struct run_usage {
  std::uint64_t instructions = 0;
  std::chrono::nanoseconds time{0};
};

/// One per Lua state. Not thread-safe (a state is only used by its actor's thread).
class run_guard final : public step_meter {
public:
  /// Instructions between two hook calls; the granularity of the instruction count.
  static constexpr int hook_interval = 1000;

  explicit run_guard(const sandbox_limits& limits) : limits_(limits) {}

  /// Installs the count hook on L's main thread (inherited by every thread created afterwards)
  /// and records this guard in the state's extra space. REQUIRES: no thread created yet.
  void attach(lua_State* L);

  /// The guard of the state L belongs to.
  static run_guard* of(lua_State* L);

  /// Starts a run on thread T with the call's budget minus `used` (what earlier runs of the same
  /// call took, for a call resumed after call_plugin).
  void arm(lua_State* T, const run_usage& used);

  /// Ends the run; returns what it used. Clears the stop. The time is measured only if
  /// `measure_time` and a wall-time limit is set (it only feeds the deadline of a later run of
  /// the same call, see arm); otherwise it is 0 and the clock is not read.
  run_usage disarm(bool measure_time = true);

  /// True between arm and disarm.
  bool armed() const { return armed_; }

  /// Why the current run was stopped (none if it was not).
  stop_reason stopped() const { return stop_; }

  /// The message a stop raises: "instruction limit exceeded (100000000 per call)".
  std::string stop_message(stop_reason why) const;

  /// Raises the current stop as a Lua error. REQUIRES: stopped() != none.
  [[noreturn]] void raise_stop(lua_State* L) const;

  /// step_meter: charges work done inside a library function; raises a stop past a limit.
  void charge(lua_State* L, std::uint64_t steps) override;

  /// Instructions run by every call since the guard was made.
  std::uint64_t total_instructions() const { return total_instructions_; }

  /// Calls stopped by each limit since the guard was made.
  std::uint64_t time_stops() const { return time_stops_; }
  std::uint64_t instruction_stops() const { return instruction_stops_; }

private:
  static void hook(lua_State* L, lua_Debug* ar);
  void on_tick(lua_State* L);
  void check_budget(lua_State* L);
  [[noreturn]] void stop(lua_State* L, stop_reason why);

  sandbox_limits limits_;
  bool armed_ = false;
  stop_reason stop_ = stop_reason::none;
  std::uint64_t budget_ = 0; ///< Instructions this run may use; 0: unlimited.
  std::uint64_t run_instructions_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point deadline_;
  bool has_deadline_ = false;
  std::uint64_t total_instructions_ = 0;
  std::uint64_t time_stops_ = 0;
  std::uint64_t instruction_stops_ = 0;
};

} // namespace troupe::lua
