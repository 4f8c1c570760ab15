#include "actors/supervision/restart_intensity.hpp"

namespace troupe {

bool restart_intensity::admit(time_point now) {
  while (!times_.empty() && now - times_.front() >= policy_.within)
    times_.pop_front();
  times_.push_back(now);
  return times_.size() <= policy_.max_restarts;
}

} // namespace troupe
