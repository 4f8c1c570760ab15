#include "actors/plugin_directory.hpp"

#include <algorithm>
#include <mutex>

namespace troupe {

namespace {

/// The key of a remote replica: its node and the id it is registered under there.
std::string replica_key(const std::string& node, const std::string& id) {
  return node + "/" + id;
}

} // namespace

std::string plugin_directory::base_of(const std::string& id) {
  auto hash = id.find('#');
  return hash == std::string::npos ? id : id.substr(0, hash);
}

plugin_actor plugin_directory::find(const std::string& id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto i = addresses_.find(id);
  if (i != addresses_.end())
    return i->second.first;
  auto g = groups_.find(id);
  if (g == groups_.end() || g->second.empty())
    return {};
  return g->second[next_.fetch_add(1, std::memory_order_relaxed) % g->second.size()];
}

/// Rebuilds the replica group of `base` from the local entries (under the writer's lock).
void plugin_directory::regroup(const std::string& base) {
  std::vector<plugin_actor> members;
  for (auto i = addresses_.lower_bound(base + "#");
       i != addresses_.end() && base_of(i->first) == base; ++i)
    members.push_back(i->second.first);
  if (members.empty())
    groups_.erase(base);
  else
    groups_[base] = std::move(members);
}

void plugin_directory::set(const std::string& id, plugin_actor address, bool idempotent) {
  {
    std::unique_lock<std::shared_mutex> guard{mtx_};
    addresses_[id] = {address, idempotent};
    if (auto base = base_of(id); base != id)
      regroup(base);
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
    if (auto base = base_of(id); base != id)
      regroup(base);
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
    groups_.clear();
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
  auto base = base_of(id);
  std::unique_lock<std::shared_mutex> guard{mtx_};
  remote_[base][replica_key(node, id)] = std::move(replica);
  lost_.erase(base);
}

void plugin_directory::erase_remote(const std::string& node, const std::string& id) {
  remote_replica gone;
  std::unique_lock<std::shared_mutex> guard{mtx_};
  auto i = remote_.find(base_of(id));
  if (i == remote_.end())
    return;
  if (auto j = i->second.find(replica_key(node, id)); j != i->second.end()) {
    gone = std::move(j->second);
    i->second.erase(j);
  }
  if (i->second.empty())
    remote_.erase(i);
}

void plugin_directory::erase_node(const std::string& node) {
  std::vector<remote_replica> gone;
  std::unique_lock<std::shared_mutex> guard{mtx_};
  auto prefix = replica_key(node, "");
  for (auto i = remote_.begin(); i != remote_.end();) {
    for (auto j = i->second.lower_bound(prefix);
         j != i->second.end() && j->first.compare(0, prefix.size(), prefix) == 0;) {
      gone.push_back(std::move(j->second));
      j = i->second.erase(j);
    }
    if (!i->second.empty()) {
      ++i;
      continue;
    }
    if (addresses_.count(i->first) == 0 && groups_.count(i->first) == 0)
      lost_[i->first] = node;
    i = remote_.erase(i);
  }
}

std::vector<remote_replica> plugin_directory::remote_replicas(const std::string& id) const {
  std::vector<remote_replica> out;
  {
    std::shared_lock<std::shared_mutex> guard{mtx_};
    auto base = base_of(id);
    auto i = remote_.find(base);
    if (i == remote_.end())
      return out;
    auto suffix = "/" + id; // one replica asked for by its registered id ("rep#2")
    for (const auto& [key, r] : i->second)
      if (id == base
          || (key.size() > suffix.size()
              && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0))
        out.push_back(r);
  }
  if (out.size() > 1) {
    auto start = next_.fetch_add(1, std::memory_order_relaxed) % out.size();
    std::rotate(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
  }
  return out;
}

bool plugin_directory::hosted_elsewhere(const std::string& id) const {
  if (id.find('#') != std::string::npos)
    return !remote_replicas(id).empty();
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return remote_.find(id) != remote_.end();
}

std::string plugin_directory::lost_with(const std::string& id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto i = lost_.find(base_of(id));
  return i == lost_.end() ? std::string{} : i->second;
}

std::size_t plugin_directory::count_on(const std::string& node) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto prefix = replica_key(node, "");
  std::size_t n = 0;
  for (const auto& [id, replicas] : remote_)
    for (auto j = replicas.lower_bound(prefix);
         j != replicas.end() && j->first.compare(0, prefix.size(), prefix) == 0; ++j)
      ++n;
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
