#include "http/event_log.hpp"

#include <caf/all.hpp>

namespace troupe {

void event_log::add(const runtime_event& e) {
  std::lock_guard<std::mutex> guard{mtx_};
  recent_.emplace_back(++last_, e);
  if (recent_.size() > capacity_)
    recent_.pop_front();
  ++counts_[to_string(e.kind)];
}

std::pair<std::vector<std::pair<std::uint64_t, runtime_event>>, std::uint64_t>
event_log::since(std::uint64_t after) const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<std::pair<std::uint64_t, runtime_event>> out;
  for (const auto& entry : recent_)
    if (entry.first > after)
      out.push_back(entry);
  return {std::move(out), last_};
}

std::map<std::string, std::uint64_t> event_log::counts() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return counts_;
}

caf::actor spawn_event_recorder(caf::actor_system& sys, manager_actor manager,
                                std::shared_ptr<event_log> log) {
  return sys.spawn([manager, log](caf::event_based_actor* self) -> caf::behavior {
    self->send(manager, subscribe_atom::value, caf::actor_cast<caf::actor>(self));
    return {
      [log](event_atom, const runtime_event& e) { log->add(e); },
      [](bool) {}, // the subscription's answer
    };
  });
}

} // namespace troupe
