#include "actors/manager.hpp"

#include <algorithm>
#include <functional>
#include <random>
#include <type_traits>

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "actors/dependency_order.hpp"
#include "actors/lifecycle.hpp"
#include "actors/manager_impl.hpp"
#include "actors/plugin_directory.hpp"
#include "messages/errors.hpp"

namespace troupe::detail {

namespace {

std::function<double()> default_random() {
  auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(*rng); };
}

} // namespace

caf::error with_plugin(caf::error err, const std::string& id) {
  if (is_troupe_error(err))
    return err;
  auto code = err == caf::sec::request_timeout ? errc::timeout : errc::unavailable;
  return make_error(code, id, describe(err));
}

plugin_state state_when_down(const entry& e) {
  auto what = e.status == entry_status::restarting ? "restarting: " : "stopped for good: ";
  return {state_code::error, what + e.down_reason};
}

manager_impl::manager_impl(caf::actor_config& cfg, manager_options opts)
  : manager_impl_actor::base(cfg), opts_(std::move(opts)),
    tree_(opts_.supervision, opts_.random ? opts_.random : default_random()) {
  // The tick serves health checks, the watchdog and held requests' deadlines: a tenth of the
  // shortest queue timeout, a quarter of the shortest watchdog, the shortest health interval.
  auto tick = std::chrono::milliseconds{1000};
  auto consider = [&](const group_spec& g) {
    if (g.health.interval.count() > 0)
      tick = std::min(tick, g.health.interval);
    if (g.watchdog.count() > 0)
      tick = std::min(tick, std::max(g.watchdog / 4, std::chrono::milliseconds{1}));
    if (!g.queue.fail_fast && g.queue.timeout.count() > 0)
      tick = std::min(tick, std::max(g.queue.timeout / 10, std::chrono::milliseconds{1}));
  };
  // Requests sent with ask() time out on the tick: a quarter of the shortest of their timeouts.
  auto shortest = std::min(opts_.lifecycle_timeout, opts_.query_timeout);
  tick = std::min(tick, std::max(shortest / 4, std::chrono::milliseconds{1}));
  consider(*find_group(opts_.supervision, root_group));
  for (const auto& g : opts_.supervision.groups)
    consider(g);
  tick_interval_ = tick;
  if (!opts_.directory && opts_.spawner)
    opts_.directory = opts_.spawner->directory();
  set_down_handler([this](caf::down_msg& msg) { on_down(msg); });
}

manager_impl::behavior_type manager_impl::make_behavior() {
  return {
    [this](register_atom, plugin_config& cfg, plugin_actor& host) {
      return on_register(std::move(cfg), std::move(host));
    },
    [this](load_atom, const std::string& id) { return one(lifecycle_op::load, id); },
    [this](init_atom, const std::string& id) { return one(lifecycle_op::init, id); },
    [this](start_atom, const std::string& id) { return one(lifecycle_op::start, id); },
    [this](pause_atom, const std::string& id) { return one(lifecycle_op::pause, id); },
    [this](resume_atom, const std::string& id) { return one(lifecycle_op::resume, id); },
    [this](stop_atom, const std::string& id) { return one(lifecycle_op::stop, id); },
    [this](unload_atom, const std::string& id) { return one(lifecycle_op::unload, id); },
    [this](load_atom, all_atom) { return all(lifecycle_op::load); },
    [this](init_atom, all_atom) { return all(lifecycle_op::init); },
    [this](start_atom, all_atom) { return all(lifecycle_op::start); },
    [this](pause_atom, all_atom) { return all(lifecycle_op::pause); },
    [this](resume_atom, all_atom) { return all(lifecycle_op::resume); },
    [this](stop_atom, all_atom) { return all(lifecycle_op::stop); },
    [this](unload_atom, all_atom) { return all(lifecycle_op::unload); },
    [this](execute_atom a, const std::string& id, payload& in) {
      return pass_on(id, a, std::move(in));
    },
    [this](tools_atom) { return tools_.all(); },
    [this](call_tool_atom, const std::string& name, payload& args) {
      return call_tool(name, std::move(args), std::string{});
    },
    [this](call_tool_atom, const std::string& name, payload& args, std::string& agent) {
      return call_tool(name, std::move(args), std::move(agent));
    },
    [this](hook_atom, const std::string& point, payload& input) {
      return run_model_hooks(point, std::move(input));
    },
    [this](hooks_atom) { return hooks_in_order(); },
    [this](function_atom a, const std::string& id, std::string& fn, payload& args) {
      return pass_on(id, a, std::move(fn), std::move(args));
    },
    [this](lookup_atom, const std::string& id) { return lookup(id); },
    [this](remove_atom, const std::string& id) { return remove(id); },
    [this](cluster_atom) { return cluster_member_; },
    [this](cluster_atom, caf::actor& member) { cluster_member_ = std::move(member); },
    [this](event_atom, const runtime_event& ev) { publish(ev); },
    [this](list_atom) { return list(std::nullopt); },
    [this](list_atom, const plugin_type& type) { return list(type); },
    [this](health_atom) { return health_of_all(); },
    [this](health_atom, const std::string& id) { return health_of(id); },
    [this](stats_atom) { return stats_of_all(); },
    [this](stats_atom, const std::string& id) { return stats_of(id); },
    [this](metadata_atom, const std::string& id) -> caf::result<plugin_metadata> {
      auto e = find(id);
      if (!e)
        return std::move(e.error());
      return (*e)->metadata;
    },
    [this](subscribe_atom, caf::actor& who) { return subscribe(std::move(who)); },
    [this](reload_atom, const std::string& id) { return reload_all_of(id); },
    [this](tick_atom) { on_tick(); },
    [this](restart_atom, std::uint64_t batch) { run_batch(batch); },
    [this](crashed_atom, const std::string& id, const std::string& reason) {
      on_host_crashed(id, reason);
    },
    [this](rollback_atom, const std::string& id, const std::string& why, plugin_metadata& md) {
      on_rolled_back(id, why, std::move(md));
    },
  };
}

caf::expected<entry_ptr> manager_impl::find(const std::string& id) {
  auto i = entries_.find(id);
  if (i != entries_.end())
    return i->second;
  std::string known;
  for (const auto& [other, e] : entries_)
    known += (known.empty() ? "" : ", ") + other;
  return make_error(errc::not_found, id,
                    "no such plugin (registered: " + (known.empty() ? "none" : known) + ")");
}

caf::result<plugin_metadata> manager_impl::on_register(plugin_config cfg, plugin_actor host) {
  if (cfg.id.empty())
    return make_error(errc::bad_input, "", "cannot register a plugin without an id");
  if (!host)
    return make_error(errc::bad_input, cfg.id, "cannot register an invalid actor handle");
  if (entries_.count(cfg.id) > 0)
    return make_error(errc::already_exists, cfg.id, "a plugin with this id is registered already");
  auto type = parse_restart_type(cfg.restart);
  if (!type)
    return make_error(errc::config_error, cfg.id, detail_of(type.error()));
  auto id = cfg.id;
  bool supervised = opts_.spawner && opts_.spawner->knows(id);
  if (supervised)
    if (auto err = tree_.add_plugin(id, cfg.group, *type))
      return err;
  auto e = std::make_shared<entry>();
  e->handle = host;
  e->metadata.id = id;
  e->config = std::move(cfg);
  e->supervised = supervised;
  e->registered_seq = next_registration_++;
  if (supervised) {
    e->host = caf::actor_cast<host_actor>(host);
    e->probe = opts_.spawner->probe(id);
  }
  entries_.emplace(id, e); // reserves the id
  schedule_tick();
  auto promise = make_response_promise<plugin_metadata>();
  ask<plugin_metadata>(host, opts_.query_timeout,
    [this, e, host, promise](plugin_metadata& md) mutable {
      auto id = e->config.id;
      auto i = entries_.find(id);
      if (i == entries_.end() || i->second != e || e->handle != host) {
        promise.deliver(make_error(errc::unavailable, id, "plugin vanished while registering"));
        return;
      }
      registered(e, std::move(md));
      promise.deliver(e->metadata);
    },
    [this, e, promise](caf::error& err) mutable {
      auto id = e->config.id;
      entries_.erase(id);
      tree_.remove_plugin(id);
      promise.deliver(make_error(errc::unavailable, id,
                                 "did not answer its metadata request: " + describe(err)));
    },
    metadata_atom::value);
  return promise;
}

void manager_impl::registered(const entry_ptr& e, plugin_metadata md) {
  const auto& id = e->config.id;
  adopt_metadata(*e, std::move(md));
  monitor(e->handle);
  if (opts_.directory)
    opts_.directory->set(id, e->handle, e->config.idempotent);
  spdlog::info("plugin '{}': registered ({} {}){}", id, e->metadata.name, e->metadata.version,
               e->supervised ? ", supervised in group " + group_of(id).name : "");
}

void manager_impl::unregister(const std::string& id) {
  if (opts_.directory)
    opts_.directory->erase(id);
  tools_.remove(id);
  tree_.remove_plugin(id);
  entries_.erase(id);
  hook_chain_dirty_ = true;
}

caf::result<plugin_actor> manager_impl::lookup(const std::string& id) {
  auto e = find(id);
  if (e)
    return (*e)->handle;
  if (opts_.directory)
    if (auto replica = opts_.directory->find(id)) // one of its replicas on this node
      return replica;
  if (opts_.directory) // another node's replica (a proxy: one network hop to it)
    if (auto replicas = opts_.directory->remote_replicas(id); !replicas.empty())
      return replicas.front().address;
  return not_here(id, std::move(e.error()));
}

caf::error manager_impl::not_here(const std::string& id, caf::error err) const {
  if (!opts_.directory)
    return err;
  auto node = opts_.directory->lost_with(id);
  if (node.empty())
    return err;
  return make_error(errc::unavailable, id,
                    "its node '" + node + "' went away and no live node hosts it");
}

caf::result<plugin_state> manager_impl::remove(const std::string& id) {
  auto e = find(id);
  if (!e)
    return std::move(e.error());
  auto entry = *e;
  if (entry->reached.code != state_code::unloaded || entry->status != entry_status::up)
    return make_error(errc::invalid_state, id,
                      "cannot remove a plugin that is " + to_string(entry->reached.code)
                        + ": stop and unload it first");
  demonitor(entry->handle.address());
  unregister(id);
  if (entry->supervised && opts_.spawner)
    opts_.spawner->discard(id, entry->handle);
  else
    caf::anon_send_exit(entry->handle, caf::exit_reason::user_shutdown);
  spdlog::info("plugin '{}': removed", id);
  return plugin_state{};
}

template <class Atom, class... Ts>
caf::result<payload> manager_impl::pass_on(const std::string& id, Atom atom, Ts&&... xs) {
  auto e = find(id);
  if (e)
    return delegate((*e)->handle, atom, std::forward<Ts>(xs)...);
  if (opts_.directory)
    if (auto replica = opts_.directory->find(id)) // one of its replicas on this node
      return delegate(replica, atom, std::forward<Ts>(xs)...);
  if constexpr (std::is_same_v<Atom, execute_atom> || std::is_same_v<Atom, function_atom>)
    if (opts_.directory && opts_.directory->hosted_elsewhere(id))
      if (auto router = opts_.directory->router()) // another node's: the router watches it
        return delegate(router, atom, id, std::forward<Ts>(xs)...);
  return not_here(id, std::move(e.error()));
}

void manager_impl::adopt_metadata(entry& e, plugin_metadata md) {
  md.id = e.config.id;
  merge_dependencies(md, e.config.dependencies);
  if (md.hooks != e.metadata.hooks || md.hook_priority != e.metadata.hook_priority)
    hook_chain_dirty_ = true;
  e.metadata = std::move(md);
}

void manager_impl::refresh_tools(const entry_ptr& e, plugin_actor handle,
                                 std::function<void()> then) {
  ask<std::vector<tool_info>>(handle, opts_.query_timeout,
    [this, e, handle, then](std::vector<tool_info>& tools) {
      if (speaks_for(e, handle.address()) && e->status != entry_status::failed)
        tools_.set(e->config.id, std::move(tools));
      then();
    },
    [then](caf::error&) { then(); }, tools_atom::value);
}

bool manager_impl::speaks_for(const entry_ptr& e, const caf::actor_addr& who) const {
  auto i = entries_.find(e->config.id);
  return i != entries_.end() && i->second == e && e->handle.address() == who;
}

void manager_impl::take_description(const entry_ptr& e, std::function<void()> then) {
  auto host = e->host;
  ask<plugin_metadata, std::vector<tool_info>>(
    host, opts_.query_timeout,
    [this, e, host, then](plugin_metadata& md, std::vector<tool_info>& tools) {
      if (speaks_for(e, host.address())) {
        if (e->status != entry_status::failed)
          tools_.set(e->config.id, std::move(tools));
        adopt_metadata(*e, std::move(md));
      }
      then();
    },
    [then](caf::error&) { then(); }, describe_atom::value);
}

void manager_impl::schedule_tick() {
  if (tick_scheduled_)
    return;
  tick_scheduled_ = true;
  delayed_send(this, tick_interval_, tick_atom::value);
}

caf::result<payload> manager_impl::call_tool_directly(const std::string& name, payload args) {
  auto tool = tools_.resolve(name);
  if (!tool && tool.error().code() == static_cast<std::uint8_t>(errc::not_found)
      && cluster_member_) // maybe another node's: its member asks the others
    return delegate(caf::actor_cast<node_actor>(cluster_member_), call_tool_atom::value, name,
                    std::move(args));
  if (!tool)
    return std::move(tool.error());
  return pass_on(tool->plugin, call_tool_atom::value, tool->name, std::move(args));
}

} // namespace troupe::detail

namespace troupe {

manager_actor spawn_manager(caf::actor_system& sys, manager_options opts) {
  return caf::actor_cast<manager_actor>(sys.spawn<detail::manager_impl>(std::move(opts)));
}

void publish_event(const manager_actor& manager, runtime_event ev) {
  caf::anon_send(caf::actor_cast<detail::manager_impl_actor>(manager), event_atom::value,
                 std::move(ev));
}

void set_cluster_member(const manager_actor& manager, caf::actor member) {
  caf::anon_send(caf::actor_cast<detail::manager_impl_actor>(manager), cluster_atom::value,
                 std::move(member));
}

} // namespace troupe
