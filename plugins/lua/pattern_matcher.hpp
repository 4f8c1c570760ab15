#pragma once
// The matching engine behind the metered string.find/match/gmatch/gsub (bounded_patterns.hpp):
// Lua 5.4 patterns (reference manual §6.4.1) with every unit of work counted, so that a
// backtracking pattern cannot run unbounded inside one C call. Pattern errors are Lua errors.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <lua.hpp>

#include "plugins/lua/step_meter.hpp"

namespace troupe::lua {

/// Collects the work of one Lua C function call and charges it to a step_meter in batches.
class step_counter {
public:
  /// Units collected before the meter is charged.
  static constexpr std::uint64_t batch_size = 4096;

  /// Charges `meter` (non-null) on behalf of the script running in `L`.
  step_counter(lua_State* L, step_meter* meter) : L_(L), meter_(meter) {}

  /// Adds `n` units of work; charges the meter (which may raise a Lua error) once a batch is full.
  void add(std::uint64_t n) {
    pending_ += n;
    if (pending_ >= batch_size)
      flush();
  }

  /// Charges whatever is left, at least one unit per call in total; call once when the call ends.
  void finish();

private:
  void flush();

  lua_State* L_;
  step_meter* meter_;
  std::uint64_t pending_ = 0;
  bool charged_ = false;
};

/// What a capture holds: a position (1-based) or a piece of the subject.
struct capture_value {
  bool is_position = false; ///< True for a "()" capture.
  lua_Integer position = 0; ///< 1-based subject position when is_position.
  std::string_view text;    ///< The captured bytes otherwise.
};

/// Matches one Lua pattern (without its leading '^', which the callers interpret) against one
/// subject. Both strings are borrowed and must outlive the matcher; so must L and the counter.
class pattern_matcher {
public:
  /// "No match" as returned by match_at().
  static constexpr std::size_t npos = std::string_view::npos;
  /// Most captures one pattern may have (Lua's LUA_MAXCAPTURES).
  static constexpr int max_captures = 32;
  /// Deepest nesting of the matcher before "pattern too complex" (Lua's MAXCCALLS).
  static constexpr int max_depth = 200;

  /// Prepares to match `pattern` against `subject`, raising errors in L and counting work in
  /// `steps`.
  pattern_matcher(lua_State* L, step_counter& steps, std::string_view subject,
                  std::string_view pattern);

  /// Matches the whole pattern at subject offset `start` (<= subject size), forgetting earlier
  /// captures; returns the offset just past the match, or npos. Raises malformed-pattern errors.
  std::size_t match_at(std::size_t start);

  /// Number of captures of the last successful match_at().
  int capture_count() const { return level_; }

  /// Capture `i` (0-based) of the match [s, e): the whole match when i == 0 and the pattern has
  /// no captures; raises "invalid capture index %<i+1>" or "unfinished capture".
  capture_value capture(int i, std::size_t s, std::size_t e) const;

  /// Pushes capture(i, s, e) as a string or an integer position.
  void push_capture(int i, std::size_t s, std::size_t e) const;

  /// Pushes every capture of the match [s, e) (or the whole match if there are none and
  /// `whole_if_none`); returns how many values were pushed.
  int push_captures(std::size_t s, std::size_t e, bool whole_if_none) const;

private:
  struct slot {
    std::size_t start = 0;
    std::ptrdiff_t len = 0; // >= 0 closed, or one of the markers in pattern_matcher.cpp
  };
  struct next; // where the item loop goes on: a new (subject, pattern) pair or a final result

  std::size_t match(std::size_t s, std::size_t p);
  next item(std::size_t s, std::size_t p);
  next escape_item(std::size_t s, std::size_t p);
  next single_item(std::size_t s, std::size_t p);
  next balance(std::size_t s, std::size_t p);
  next frontier(std::size_t s, std::size_t p);
  next back_reference(std::size_t s, std::size_t p);
  std::size_t max_expand(std::size_t s, std::size_t p, std::size_t ep);
  std::size_t min_expand(std::size_t s, std::size_t p, std::size_t ep);
  std::size_t open_capture(std::size_t s, std::size_t p, std::ptrdiff_t kind);
  std::size_t close_capture(std::size_t s, std::size_t p);
  std::size_t item_end(std::size_t p);
  bool single(std::size_t s, std::size_t p, std::size_t ep);
  bool in_set(unsigned char c, std::size_t p, std::size_t close) const;
  unsigned char pat(std::size_t i) const;

  lua_State* L_;
  step_counter& steps_;
  std::string_view subject_;
  std::string_view pattern_;
  int level_ = 0;
  int depth_left_ = 0;
  std::array<slot, max_captures> slots_{};
};

} // namespace troupe::lua
