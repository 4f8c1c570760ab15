#include "actors/lifecycle.hpp"

namespace troupe {

const char* to_string(lifecycle_op op) {
  switch (op) {
    case lifecycle_op::load: return "load";
    case lifecycle_op::init: return "init";
    case lifecycle_op::start: return "start";
    case lifecycle_op::pause: return "pause";
    case lifecycle_op::resume: return "resume";
    case lifecycle_op::stop: return "stop";
    case lifecycle_op::unload: return "unload";
  }
  return "unknown";
}

std::optional<lifecycle_position> next_position(lifecycle_position from, lifecycle_op op,
                                                std::string* why_illegal) {
  using sc = state_code;
  auto illegal = [&](std::string why) -> std::optional<lifecycle_position> {
    if (why_illegal != nullptr)
      *why_illegal = std::move(why);
    return std::nullopt;
  };
  auto in_state = std::string(" while ") + to_string(from.code);
  auto cannot = std::string("cannot ") + to_string(op);
  switch (op) {
    case lifecycle_op::load:
      if (from.code == sc::unloaded)
        return lifecycle_position{sc::loaded, false};
      return illegal(cannot + in_state + ": unload it first");
    case lifecycle_op::init:
      if (from.code == sc::loaded && !from.initialized)
        return lifecycle_position{sc::loaded, true};
      if (from.code == sc::loaded)
        return illegal(cannot + ": already initialized since its load");
      return illegal(cannot + in_state + ": init follows load");
    case lifecycle_op::start:
      if (from.code == sc::loaded && from.initialized)
        return lifecycle_position{sc::running, true};
      if (from.code == sc::loaded)
        return illegal(cannot + ": not initialized, send init first");
      return illegal(cannot + in_state);
    case lifecycle_op::pause:
      if (from.code == sc::running)
        return lifecycle_position{sc::paused, true};
      return illegal(cannot + in_state + ": only a Running plugin pauses");
    case lifecycle_op::resume:
      if (from.code == sc::paused)
        return lifecycle_position{sc::running, true};
      return illegal(cannot + in_state + ": only a Paused plugin resumes");
    case lifecycle_op::stop:
      if (from.code == sc::running || from.code == sc::paused)
        return lifecycle_position{sc::loaded, true};
      return illegal(cannot + in_state + ": only a Running or Paused plugin stops");
    case lifecycle_op::unload:
      if (from.code == sc::loaded || from.code == sc::error)
        return lifecycle_position{sc::unloaded, false};
      return illegal(cannot + in_state + ": stop it first");
  }
  return illegal("unknown lifecycle step");
}

} // namespace troupe
