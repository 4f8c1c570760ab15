#include "actors/deadline_queue.hpp"

#include <vector>

namespace troupe::detail {

deadline_queue::settled_flag deadline_queue::add(time_point due, std::function<void()> on_expiry) {
  auto settled = std::make_shared<bool>(false);
  entries_.emplace(due, entry{settled, std::move(on_expiry)});
  return settled;
}

void deadline_queue::expire(time_point now) {
  std::vector<std::function<void()>> due;
  auto end = entries_.upper_bound(now);
  for (auto i = entries_.begin(); i != end; ++i)
    if (!*i->second.settled) {
      *i->second.settled = true;
      due.push_back(std::move(i->second.on_expiry));
    }
  entries_.erase(entries_.begin(), end);
  for (auto& f : due) // after the erase: an expiry may add new entries
    f();
}

} // namespace troupe::detail
