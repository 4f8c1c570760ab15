// The manager's queries about every plugin or one: list, health and stats. A plugin that is not
// up answers for itself through its entry; one that does not answer in time shows up as
// unreachable instead of failing the whole answer.

#include "actors/manager_impl.hpp"
#include "messages/errors.hpp"

namespace troupe::detail {

caf::result<std::vector<plugin_info>> manager_impl::list(std::optional<plugin_type> type) {
  std::function<bool(const plugin_info&)> keep;
  if (type)
    keep = [type](const plugin_info& info) { return info.metadata.type == *type; };
  return gather<plugin_info>(
    list_atom::value,
    [](const entry& e, const caf::error& err) {
      if (e.status != entry_status::up)
        return plugin_info{e.metadata, state_when_down(e)};
      return plugin_info{e.metadata, {state_code::error, "unreachable: " + describe(err)}};
    },
    std::move(keep));
}

caf::result<plugin_stats> manager_impl::stats_of(const std::string& id) {
  auto found = find(id);
  if (!found)
    return std::move(found.error());
  auto e = *found;
  plugin_stats down;
  down.id = id;
  down.restarts = e->restarts;
  down.reloads = e->reloads;
  if (e->status != entry_status::up) {
    down.state = state_when_down(*e);
    return down;
  }
  auto promise = make_response_promise<plugin_stats>();
  request(e->handle, opts_.query_timeout, stats_atom::value).then(
    [e, promise](plugin_stats& s) mutable {
      s.restarts = e->restarts;
      s.reloads = e->reloads;
      promise.deliver(std::move(s));
    },
    [id, promise](caf::error& err) mutable { promise.deliver(with_plugin(std::move(err), id)); });
  return promise;
}

caf::result<std::vector<plugin_health>> manager_impl::health_of_all() {
  return gather<plugin_health>(health_atom::value, [](const entry& e, const caf::error& err) {
    return plugin_health{e.metadata.id, false, {state_code::error, describe(err)},
                         "unreachable: " + describe(err)};
  });
}

caf::result<plugin_health> manager_impl::health_of(const std::string& id) {
  auto e = find(id);
  if (!e)
    return std::move(e.error());
  if ((*e)->status != entry_status::up)
    return plugin_health{id, false, state_when_down(**e), (*e)->down_reason};
  return delegate((*e)->handle, health_atom::value);
}

caf::result<std::vector<plugin_stats>> manager_impl::stats_of_all() {
  auto promise = make_response_promise<std::vector<plugin_stats>>();
  gather_then<plugin_stats>(
    stats_atom::value,
    [](const entry& e, const caf::error& err) {
      plugin_stats s;
      s.id = e.metadata.id;
      s.state = {state_code::error, "unreachable: " + describe(err)};
      return s;
    },
    [this, promise](std::vector<plugin_stats> all) mutable {
      for (auto& s : all) {
        if (auto i = entries_.find(s.id); i != entries_.end()) {
          s.restarts = i->second->restarts;
          s.reloads = i->second->reloads;
        }
      }
      promise.deliver(std::move(all));
    });
  return promise;
}

/// Asks every plugin the same question; answers every reply (or `on_error`'s stand-in for a
/// plugin that fails to answer or is not up) sorted by id.
template <class T, class Atom, class OnError>
caf::typed_response_promise<std::vector<T>>
manager_impl::gather(Atom atom, OnError on_error, std::function<bool(const T&)> keep) {
  auto promise = make_response_promise<std::vector<T>>();
  gather_then<T>(atom, std::move(on_error), [promise, keep](std::vector<T> results) mutable {
    if (!keep) {
      promise.deliver(std::move(results));
      return;
    }
    std::vector<T> kept;
    for (auto& r : results)
      if (keep(r))
        kept.push_back(std::move(r));
    promise.deliver(std::move(kept));
  });
  return promise;
}

/// As gather, handing the replies (sorted by plugin id) to `then` instead of a promise.
template <class T, class Atom, class OnError, class Then>
void manager_impl::gather_then(Atom atom, OnError on_error, Then then) {
  auto results = std::make_shared<std::vector<T>>(entries_.size());
  auto left = std::make_shared<std::size_t>(entries_.size());
  auto finish = [results, then]() mutable { then(std::move(*results)); };
  if (entries_.empty()) {
    finish();
    return;
  }
  std::size_t index = 0;
  for (const auto& [id, e] : entries_) {
    auto slot = index++;
    if (e->status != entry_status::up) {
      (*results)[slot] = on_error(*e, make_error(errc::unavailable, id, e->down_reason));
      if (--*left == 0)
        finish();
      continue;
    }
    request(e->handle, opts_.query_timeout, atom).then(
      [results, left, slot, finish](T& x) mutable {
        (*results)[slot] = std::move(x);
        if (--*left == 0)
          finish();
      },
      [results, left, slot, finish, e = e, on_error](caf::error& err) mutable {
        (*results)[slot] = on_error(*e, err);
        if (--*left == 0)
          finish();
      });
  }
}

} // namespace troupe::detail
