#pragma once
// The plugin lifecycle state machine, as plain code (no actors) so that it can be tested alone.
//
//   Unloaded --load--> Loaded --init--> Loaded(initialized) --start--> Running
//   Running --pause--> Paused --resume--> Running
//   Running | Paused --stop--> Loaded(initialized)
//   Loaded | Error --unload--> Unloaded
// A failing hook moves the plugin to Error(reason); from Error only unload is legal.

#include <optional>
#include <string>

#include "messages/plugin_types.hpp"

namespace troupe {

/// The seven lifecycle steps.
enum class lifecycle_op { load, init, start, pause, resume, stop, unload };

/// "load", "init", ...
const char* to_string(lifecycle_op op);

/// Where a plugin is in its lifecycle: its state plus whether init has run since load.
struct lifecycle_position {
  state_code code = state_code::unloaded;
  bool initialized = false;
};

/// The position a legal step leads to when its hook succeeds, or nullopt if the step is illegal
/// from `from`. `why_illegal` then receives a sentence saying why ("cannot start while Paused").
std::optional<lifecycle_position> next_position(lifecycle_position from, lifecycle_op op,
                                                std::string* why_illegal = nullptr);

} // namespace troupe

#include "messages/atoms.hpp"

namespace troupe {

/// Calls `f` with the atom constant of `op` (load_atom::value for load, ...) and returns what it
/// returns: the one place that maps lifecycle steps to message atoms.
template <class F>
decltype(auto) with_lifecycle_atom(lifecycle_op op, F&& f) {
  switch (op) {
    case lifecycle_op::load: return f(load_atom::value);
    case lifecycle_op::init: return f(init_atom::value);
    case lifecycle_op::start: return f(start_atom::value);
    case lifecycle_op::pause: return f(pause_atom::value);
    case lifecycle_op::resume: return f(resume_atom::value);
    case lifecycle_op::stop: return f(stop_atom::value);
    case lifecycle_op::unload: break;
  }
  return f(unload_atom::value);
}

} // namespace troupe
