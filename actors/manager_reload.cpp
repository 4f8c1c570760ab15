// The manager's side of a reload: the plugin's host builds the new version and swaps it in
// between two calls (actors/host/host_reload.cpp); the manager checks that a reload may start,
// keeps the tool directory and the counters, and tells subscribers.

#include <spdlog/spdlog.h>

#include "actors/manager_impl.hpp"
#include "messages/errors.hpp"

namespace troupe::detail {

namespace {

std::string version_of(const plugin_metadata& md) {
  return md.version.empty() ? std::string("(no version)") : md.version;
}

} // namespace

caf::result<plugin_metadata> manager_impl::reload_all_of(const std::string& id) {
  std::vector<std::string> replicas;
  if (entries_.count(id) == 0)
    for (auto i = entries_.lower_bound(id + "#"); i != entries_.end() && i->first.compare(
           0, id.size() + 1, id + "#") == 0; ++i)
      replicas.push_back(i->first);
  if (replicas.empty())
    return reload(id);
  // A plugin with replicas on this node: each reloads; the first error, or the new metadata.
  auto promise = make_response_promise<plugin_metadata>();
  auto left = std::make_shared<std::size_t>(replicas.size());
  auto failure = std::make_shared<caf::error>();
  auto done = [promise, left, failure](caf::expected<plugin_metadata> md) mutable {
    if (!md && !*failure)
      *failure = std::move(md.error());
    if (--*left > 0)
      return;
    if (*failure)
      promise.deliver(std::move(*failure));
    else
      promise.deliver(std::move(*md));
  };
  auto self = caf::actor_cast<manager_actor>(this);
  for (const auto& r : replicas)
    request(self, caf::infinite, reload_atom::value, r)
      .then([done](plugin_metadata& md) mutable { done(std::move(md)); },
            [done](caf::error& err) mutable { done(std::move(err)); });
  return promise;
}

caf::result<plugin_metadata> manager_impl::reload(const std::string& id) {
  auto found = find(id);
  if (!found)
    return std::move(found.error());
  auto e = *found;
  if (!e->supervised || !e->host)
    return make_error(errc::invalid_state, id,
                      "cannot reload: the runtime has no factory to build it again");
  if (e->reloading)
    return make_error(errc::invalid_state, id, "a reload of this plugin is under way");
  if (e->status != entry_status::up)
    return make_error(errc::unavailable, id,
                      "cannot reload while it is not up: " + e->down_reason);
  e->reloading = true;
  auto started = clock().now();
  auto promise = make_response_promise<plugin_metadata>();
  ask<plugin_metadata>(
    e->host, opts_.lifecycle_timeout,
    [this, e, started, promise](plugin_metadata& md) mutable {
      e->reloading = false;
      e->reload_failures = 0;
      ++e->reloads;
      auto old_md = e->metadata;
      adopt_metadata(*e, std::move(md));
      auto took = std::chrono::duration_cast<std::chrono::microseconds>(clock().now() - started);
      emit(event_kind::reload_completed, e->config.id,
           version_of(old_md) + " -> " + version_of(e->metadata) + " in "
             + std::to_string(took.count()) + " us");
      // The reload answers once the tool directory lists the new version's tools.
      refresh_tools(e, e->handle, [e, promise]() mutable { promise.deliver(e->metadata); });
    },
    [this, e, promise](caf::error& err) mutable {
      e->reloading = false;
      ++e->reload_failures;
      auto why = is_troupe_error(err) ? detail_of(err) : describe(err);
      // The old version serves on, unless it crashed meanwhile (its report came first).
      auto old = e->status == entry_status::up ? std::string("the old version serves on")
                                               : "the old version went down: " + e->down_reason;
      emit(event_kind::reload_failed, e->config.id, why + "; " + old, {},
           e->reload_failures);
      promise.deliver(make_error(errc::load_failed, e->config.id,
                                 "reload failed, " + old + ": " + why));
    },
    reload_atom::value);
  // After the request: whoever hears of the start finds the reload queued at the plugin already.
  emit(event_kind::reload_started, id, "building version beside " + version_of(e->metadata));
  return promise;
}

void manager_impl::on_rolled_back(const std::string& id, const std::string& why,
                                  plugin_metadata md) {
  auto i = entries_.find(id);
  if (i == entries_.end())
    return;
  auto e = i->second;
  adopt_metadata(*e, std::move(md));
  refresh_tools(e, e->handle, [] {});
  emit(event_kind::rolled_back, id, why);
}

} // namespace troupe::detail
