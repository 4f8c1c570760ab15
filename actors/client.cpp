#include "actors/client.hpp"

#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/after.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/plugin_directory.hpp"
#include "messages/errors.hpp"

namespace troupe {

/// Blocking actors waiting to be borrowed by a call; at most one call uses one at a time.
class client::blocking_pool {
public:
  explicit blocking_pool(caf::actor_system& sys) : sys_(sys) {
  }

  /// An idle actor, or a new one.
  std::unique_ptr<caf::scoped_actor> take() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (!idle_.empty()) {
        auto self = std::move(idle_.back());
        idle_.pop_back();
        return self;
      }
    }
    return std::make_unique<caf::scoped_actor>(sys_);
  }

  /// Hands an actor back after a call that got its answer.
  void give_back(std::unique_ptr<caf::scoped_actor> self) {
    std::lock_guard<std::mutex> guard{mtx_};
    idle_.push_back(std::move(self));
  }

private:
  caf::actor_system& sys_;
  std::mutex mtx_;
  std::vector<std::unique_ptr<caf::scoped_actor>> idle_;
};

client::client(caf::actor_system& sys, manager_actor manager, std::chrono::milliseconds timeout)
  : sys_(sys), pool_(std::make_unique<blocking_pool>(sys)), manager_(std::move(manager)),
    timeout_(timeout) {
}

client::~client() = default;


template <class T>
caf::expected<T> client::await_answer(caf::scoped_actor& self, caf::message_id id,
                                      const std::string& about, bool& timed_out, bool* gone) {
  caf::expected<T> result{caf::error{}};
  bool late = false;
  caf::blocking_actor::accept_one_cond rc;
  self->varargs_receive(
    rc, id, [&](T& x) { result = std::move(x); },
    [&](caf::error& err) {
      if (err == caf::sec::request_receiver_down)
        if (gone)
          *gone = true;
      result = is_troupe_error(err) ? std::move(err)
                                    : make_error(errc::unavailable, about, describe(err));
    },
    caf::after(timeout_) >> [&] { late = true; });
  timed_out = timed_out || late;
  if (late)
    return make_error(errc::timeout, about,
                      "no answer within " + std::to_string(timeout_.count()) + " ms");
  return result;
}

template <class T, class Handle, class... Ts>
caf::expected<T> client::ask_at(const Handle& dest, const std::string& about, bool* gone,
                                Ts&&... xs) {
  auto self = pool_->take();
  // No request timeout (each one wakes CAF's clock thread): the receive waits until the deadline.
  auto handle = (*self)->request(dest, caf::infinite, std::forward<Ts>(xs)...);
  bool timed_out = false;
  if (gone)
    *gone = false;
  auto result = await_answer<T>(*self, handle.id(), about, timed_out, gone);
  if (!timed_out)
    pool_->give_back(std::move(self));
  return result;
}

template <class T, class... Ts>
caf::expected<T> client::ask(const std::string& about, Ts&&... xs) {
  if (!manager_)
    return make_error(errc::unavailable, about, "no manager to ask");
  return ask_at<T>(manager_, about, nullptr, std::forward<Ts>(xs)...);
}

caf::expected<plugin_actor> client::resolve(const std::string& id) {
  if (directory_) {
    if (auto found = directory_->find(id))
      return found;
  } else {
    std::lock_guard<std::mutex> guard{cache_mtx_};
    if (auto i = addresses_.find(id); i != addresses_.end())
      return i->second;
  }
  // Not known here: the manager knows it, or says why not (naming the plugins there are).
  auto found = ask<plugin_actor>(id, lookup_atom::value, id);
  if (found && !directory_) {
    std::lock_guard<std::mutex> guard{cache_mtx_};
    addresses_[id] = *found;
  }
  return found;
}

void client::forget(const std::string& id) {
  std::lock_guard<std::mutex> guard{cache_mtx_};
  addresses_.erase(id);
}

template <class Atom, class... Ts>
caf::expected<payload> client::call_plugin(const std::string& id, Atom atom, Ts&&... xs) {
  if (!directory_) // another process's manager hands it on (delegated: the answer comes straight
    return ask_at<payload>(manager_, id, nullptr, atom, id, xs...); // back), over its replicas
  auto local = directory_->find(id);
  if (!local && directory_->hosted_elsewhere(id))
    if (auto router = directory_->router()) // another node's: the router watches that node
      return ask_at<payload>(router, id, nullptr, atom, id, xs...);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto target = local ? caf::expected<plugin_actor>{local} : resolve(id);
    if (!target)
      return std::move(target.error());
    bool gone = false;
    auto out = ask_at<payload>(*target, id, &gone, atom, xs...);
    if (!gone)
      return out;
    // Its address ended: unregistered (and maybe registered again) since it was looked up.
    local = nullptr;
    forget(id);
  }
  return make_error(errc::unavailable, id, "its address ended twice in a row");
}

caf::expected<plugin_state> client::remove(const std::string& id) {
  return ask<plugin_state>(id, remove_atom::value, id);
}

caf::expected<plugin_metadata> client::reload(const std::string& id) {
  return ask<plugin_metadata>(id, reload_atom::value, id);
}

caf::error client::subscribe(const caf::actor& who) {
  auto ok = ask<bool>("", subscribe_atom::value, who);
  if (!ok)
    return std::move(ok.error());
  return {};
}

caf::expected<payload> client::execute(const std::string& id, const payload& input) {
  return call_plugin(id, execute_atom::value, input);
}

caf::expected<plugin_state> client::step(lifecycle_op op, const std::string& id) {
  return with_lifecycle_atom(op, [&](auto atom) { return ask<plugin_state>(id, atom, id); });
}

caf::expected<std::vector<std::string>> client::step_all(lifecycle_op op) {
  return with_lifecycle_atom(op, [&](auto atom) {
    return ask<std::vector<std::string>>("", atom, all_atom::value);
  });
}

caf::expected<std::vector<std::string>> client::start_all() {
  std::vector<std::string> started;
  for (auto op : {lifecycle_op::load, lifecycle_op::init, lifecycle_op::start}) {
    auto ids = step_all(op);
    if (!ids)
      return ids;
    started = std::move(*ids);
  }
  return started;
}

caf::expected<std::vector<std::string>> client::shutdown_all() {
  auto stopped = step_all(lifecycle_op::stop);
  auto unloaded = step_all(lifecycle_op::unload);
  if (!stopped)
    return stopped;
  return unloaded;
}

caf::expected<plugin_metadata> client::register_plugin(plugin_config cfg, plugin_actor handle) {
  auto id = cfg.id;
  return ask<plugin_metadata>(id, register_atom::value, std::move(cfg), std::move(handle));
}

std::vector<caf::expected<plugin_metadata>>
client::register_plugins(std::vector<std::pair<plugin_config, plugin_actor>> plugins) {
  std::vector<caf::expected<plugin_metadata>> results;
  if (!manager_) {
    for (const auto& p : plugins)
      results.emplace_back(make_error(errc::unavailable, p.first.id, "no manager to ask"));
    return results;
  }
  auto self = pool_->take();
  // A window of requests in flight: answers are awaited in order, and a blocking actor looks for
  // each among those already arrived, so an unbounded window costs quadratic time.
  constexpr std::size_t window = 256;
  std::vector<caf::message_id> ids;
  auto send_next = [&] {
    auto& [cfg, handle] = plugins[ids.size()];
    auto sent = (*self)->request(manager_, caf::infinite, register_atom::value, cfg, handle);
    ids.push_back(sent.id());
  };
  while (ids.size() < std::min(window, plugins.size()))
    send_next();
  bool timed_out = false;
  for (std::size_t i = 0; i < plugins.size(); ++i) {
    results.push_back(await_answer<plugin_metadata>(*self, ids[i], plugins[i].first.id, timed_out));
    if (ids.size() < plugins.size())
      send_next();
  }
  if (!timed_out)
    pool_->give_back(std::move(self));
  return results;
}

caf::expected<std::vector<plugin_info>> client::list() {
  return ask<std::vector<plugin_info>>("", list_atom::value);
}

caf::expected<std::vector<plugin_info>> client::list(const plugin_type& type) {
  return ask<std::vector<plugin_info>>("", list_atom::value, type);
}

caf::expected<std::vector<plugin_health>> client::health() {
  return ask<std::vector<plugin_health>>("", health_atom::value);
}

caf::expected<plugin_health> client::health(const std::string& id) {
  return ask<plugin_health>(id, health_atom::value, id);
}

caf::expected<std::vector<plugin_stats>> client::stats() {
  return ask<std::vector<plugin_stats>>("", stats_atom::value);
}

caf::expected<plugin_stats> client::stats(const std::string& id) {
  return ask<plugin_stats>(id, stats_atom::value, id);
}

caf::expected<plugin_metadata> client::metadata(const std::string& id) {
  return ask<plugin_metadata>(id, metadata_atom::value, id);
}

caf::expected<std::vector<tool_info>> client::tools() {
  return ask<std::vector<tool_info>>("", tools_atom::value);
}

caf::expected<std::vector<plugin_info>> client::hooks() {
  return ask<std::vector<plugin_info>>("", hooks_atom::value);
}

caf::expected<payload> client::call_tool(const std::string& name, const payload& args,
                                         const std::string& agent) {
  if (!agent.empty())
    return ask<payload>("", call_tool_atom::value, name, args, agent);
  return ask<payload>("", call_tool_atom::value, name, args);
}

caf::expected<payload> client::call_script_function(const std::string& id, const std::string& fn,
                                                    const payload& args) {
  return call_plugin(id, function_atom::value, fn, args);
}

} // namespace troupe
