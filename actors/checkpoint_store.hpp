#pragma once
// Where plugin hosts keep their plugins' last checkpoints, so that a restarted instance (a new
// actor) can restore the state of the one that crashed. Shared by the hosts of one runtime.

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "messages/payload.hpp"

namespace troupe {

/// Thread-safe: hosts on any scheduler thread save and read.
class checkpoint_store {
public:
  /// Replaces the checkpoint of plugin `id`.
  void save(const std::string& id, payload state) {
    std::lock_guard<std::mutex> guard{mtx_};
    states_[id] = std::move(state);
  }

  /// The last checkpoint of plugin `id`, if any.
  std::optional<payload> find(const std::string& id) const {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = states_.find(id);
    if (i == states_.end())
      return std::nullopt;
    return i->second;
  }

  /// Forgets plugin `id`'s checkpoint (an orderly unload: the next load starts afresh).
  void erase(const std::string& id) {
    std::lock_guard<std::mutex> guard{mtx_};
    states_.erase(id);
  }

private:
  mutable std::mutex mtx_;
  std::map<std::string, payload> states_;
};

} // namespace troupe
