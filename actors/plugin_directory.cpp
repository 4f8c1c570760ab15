#include "actors/plugin_directory.hpp"

#include <algorithm>
#include <mutex>

namespace troupe {

plugin_actor plugin_directory::find(const std::string& id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto i = addresses_.find(id);
  return i == addresses_.end() ? plugin_actor{} : i->second.first;
}

void plugin_directory::set(const std::string& id, plugin_actor address, bool idempotent) {
  {
    std::unique_lock<std::shared_mutex> guard{mtx_};
    addresses_[id] = {address, idempotent};
  }
  std::lock_guard<std::mutex> guard{observer_mtx_};
  if (observer_)
    observer_(id, address, idempotent);
}

void plugin_directory::erase(const std::string& id) {
  plugin_actor gone; // released outside the lock
  {
    std::unique_lock<std::shared_mutex> guard{mtx_};
    auto i = addresses_.find(id);
    if (i == addresses_.end())
      return;
    gone = std::move(i->second.first);
    addresses_.erase(i);
  }
  std::lock_guard<std::mutex> guard{observer_mtx_};
  if (observer_)
    observer_(id, plugin_actor{}, false);
}

void plugin_directory::clear() {
  std::map<std::string, std::pair<plugin_actor, bool>, std::less<>> gone;
  {
    std::unique_lock<std::shared_mutex> guard{mtx_};
    gone.swap(addresses_);
  }
  std::lock_guard<std::mutex> guard{observer_mtx_};
  if (observer_)
    for (const auto& [id, _] : gone)
      observer_(id, plugin_actor{}, false);
}

std::vector<std::pair<std::string, std::pair<plugin_actor, bool>>> plugin_directory::locals() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return {addresses_.begin(), addresses_.end()};
}

void plugin_directory::observe(observer fn) {
  std::lock_guard<std::mutex> guard{observer_mtx_};
  observer_ = std::move(fn);
}

void plugin_directory::set_remote(const std::string& node, const std::string& id,
                                  remote_replica replica) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  remote_[id][node] = std::move(replica);
  lost_.erase(id);
}

void plugin_directory::erase_remote(const std::string& node, const std::string& id) {
  remote_replica gone;
  std::unique_lock<std::shared_mutex> guard{mtx_};
  auto i = remote_.find(id);
  if (i == remote_.end())
    return;
  if (auto j = i->second.find(node); j != i->second.end()) {
    gone = std::move(j->second);
    i->second.erase(j);
  }
  if (i->second.empty())
    remote_.erase(i);
}

void plugin_directory::erase_node(const std::string& node) {
  std::vector<remote_replica> gone;
  std::unique_lock<std::shared_mutex> guard{mtx_};
  for (auto i = remote_.begin(); i != remote_.end();) {
    if (auto j = i->second.find(node); j != i->second.end()) {
      gone.push_back(std::move(j->second));
      i->second.erase(j);
    }
    if (!i->second.empty()) {
      ++i;
      continue;
    }
    if (addresses_.count(i->first) == 0)
      lost_[i->first] = node;
    i = remote_.erase(i);
  }
}

std::vector<remote_replica> plugin_directory::remote_replicas(const std::string& id) const {
  std::vector<remote_replica> out;
  {
    std::shared_lock<std::shared_mutex> guard{mtx_};
    auto i = remote_.find(id);
    if (i == remote_.end())
      return out;
    for (const auto& [node, r] : i->second)
      out.push_back(r);
  }
  if (out.size() > 1) {
    auto start = next_.fetch_add(1, std::memory_order_relaxed) % out.size();
    std::rotate(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
  }
  return out;
}

bool plugin_directory::hosted_elsewhere(const std::string& id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return remote_.find(id) != remote_.end();
}

std::string plugin_directory::lost_with(const std::string& id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto i = lost_.find(id);
  return i == lost_.end() ? std::string{} : i->second;
}

std::size_t plugin_directory::count_on(const std::string& node) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  std::size_t n = 0;
  for (const auto& [id, nodes] : remote_)
    n += nodes.count(node);
  return n;
}

router_actor plugin_directory::router() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return router_;
}

void plugin_directory::set_router(router_actor router) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  router_ = std::move(router);
}

} // namespace troupe
