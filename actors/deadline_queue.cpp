#include "actors/deadline_queue.hpp"

#include <vector>

namespace troupe::detail {

deadline_queue::ticket deadline_queue::add(time_point due, std::function<void()> on_expiry) {
  auto t = next_++;
  entries_.emplace(std::make_pair(due, t), std::move(on_expiry));
  due_of_.emplace(t, due);
  return t;
}

bool deadline_queue::settle(ticket t) {
  auto i = due_of_.find(t);
  if (i == due_of_.end())
    return false;
  entries_.erase(std::make_pair(i->second, t));
  due_of_.erase(i);
  return true;
}

void deadline_queue::expire(time_point now) {
  std::vector<std::function<void()>> due;
  auto end = entries_.upper_bound(std::make_pair(now, ~ticket{0}));
  for (auto i = entries_.begin(); i != end; ++i) {
    due_of_.erase(i->first.second);
    due.push_back(std::move(i->second));
  }
  entries_.erase(entries_.begin(), end);
  for (auto& f : due) // after the erase: an expiry may add new entries
    f();
}

} // namespace troupe::detail
