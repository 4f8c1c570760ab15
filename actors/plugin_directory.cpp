#include "actors/plugin_directory.hpp"

#include <mutex>

namespace troupe {

plugin_actor plugin_directory::find(const std::string& id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto i = addresses_.find(id);
  return i == addresses_.end() ? plugin_actor{} : i->second;
}

void plugin_directory::set(const std::string& id, plugin_actor address) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  addresses_[id] = std::move(address);
}

void plugin_directory::erase(const std::string& id) {
  plugin_actor gone; // released outside the lock
  std::unique_lock<std::shared_mutex> guard{mtx_};
  auto i = addresses_.find(id);
  if (i == addresses_.end())
    return;
  gone = std::move(i->second);
  addresses_.erase(i);
}

void plugin_directory::clear() {
  std::map<std::string, plugin_actor, std::less<>> gone;
  std::unique_lock<std::shared_mutex> guard{mtx_};
  gone.swap(addresses_);
}

} // namespace troupe
