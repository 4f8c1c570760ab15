#include "plugins/wasm/call_meter.hpp"

#include <algorithm>

namespace troupe::wasm {

std::int64_t call_meter::grant() {
  granted_ = slice;
  if (fuel_ != 0)
    granted_ = static_cast<std::int64_t>(std::min<std::uint64_t>(fuel_ - used_, slice));
  return granted_;
}

std::int64_t call_meter::arm(clock::time_point now) {
  used_ = 0;
  stopped_ = stop_reason::none;
  deadline_ = wall_time_.count() > 0 ? now + wall_time_ : clock::time_point::max();
  return grant();
}

std::int64_t call_meter::tick(std::int64_t gauge, clock::time_point now) {
  finish(gauge);
  if (fuel_ != 0 && used_ > fuel_) {
    stopped_ = stop_reason::fuel;
    return -1;
  }
  if (now >= deadline_) {
    stopped_ = stop_reason::wall_time;
    return -1;
  }
  return grant();
}

void call_meter::finish(std::int64_t gauge) {
  used_ += static_cast<std::uint64_t>(granted_ - gauge);
  granted_ = gauge;
}

std::string call_meter::stop_message(stop_reason why, std::uint32_t memory_pages) const {
  switch (why) {
    case stop_reason::fuel:
      return "fuel limit exceeded (" + std::to_string(fuel_) + " instructions per call)";
    case stop_reason::wall_time:
      return "wall-time limit exceeded (" + std::to_string(wall_time_.count()) + " ms per call)";
    case stop_reason::memory:
      return "memory limit exceeded (" + std::to_string(memory_pages) + " pages of 64 KiB)";
    case stop_reason::none: break;
  }
  return "stopped";
}

} // namespace troupe::wasm
