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
  auto what = e.status == entry_status::restarting ? "restarting: "
              : e.status == entry_status::swapping ? "reloading: "
                                                   : "stopped for good: ";
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
  consider(*find_group(opts_.supervision, root_group));
  for (const auto& g : opts_.supervision.groups)
    consider(g);
  tick_interval_ = tick;
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
    [this](execute_atom, const std::string& id, payload& in) {
      return route(id, routed_call{routed_call::kind::execute, {}, std::move(in), {}});
    },
    [this](tools_atom) { return tools_.all(); },
    [this](call_tool_atom, const std::string& name, payload& args) {
      return call_tool(name, std::move(args));
    },
    [this](function_atom, const std::string& id, std::string& fn, payload& args) {
      return route(id, routed_call{routed_call::kind::function, std::move(fn), std::move(args), {}});
    },
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
    [this](reload_atom, const std::string& id) { return reload(id); },
    [this](tick_atom) { on_tick(); },
    [this](restart_atom, std::uint64_t batch) { run_batch(batch); },
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
  entries_.emplace(id, e); // reserves the id
  if (!tick_scheduled_) {
    tick_scheduled_ = true;
    delayed_send(this, tick_interval_, tick_atom::value);
  }
  auto promise = make_response_promise<plugin_metadata>();
  request(host, opts_.query_timeout, metadata_atom::value).then(
    [this, e, host, promise](plugin_metadata& md) mutable {
      auto id = e->config.id;
      auto i = entries_.find(id);
      if (i == entries_.end() || i->second != e || e->handle != host) {
        promise.deliver(make_error(errc::unavailable, id, "plugin vanished while registering"));
        return;
      }
      adopt_metadata(*e, std::move(md));
      monitor(host);
      spdlog::info("plugin '{}': registered ({} {}){}", id, e->metadata.name,
                   e->metadata.version,
                   e->supervised ? ", supervised in group " + group_of(id).name : "");
      promise.deliver(e->metadata);
    },
    [this, e, promise](caf::error& err) mutable {
      auto id = e->config.id;
      entries_.erase(id);
      tree_.remove_plugin(id);
      promise.deliver(make_error(errc::unavailable, id,
                                 "did not answer its metadata request: " + describe(err)));
    });
  return promise;
}

caf::result<payload> manager_impl::route(const std::string& id, routed_call call) {
  auto found = find(id);
  if (!found)
    return std::move(found.error());
  auto promise = make_response_promise<payload>();
  call.promise = promise;
  dispatch(*found, std::move(call));
  return promise;
}

void manager_impl::dispatch(const entry_ptr& e, routed_call call) {
  switch (e->status) {
    case entry_status::up:
      forward(e, std::move(call));
      break;
    case entry_status::restarting:
    case entry_status::swapping:
      hold(e, std::move(call));
      break;
    case entry_status::failed:
      call.promise.deliver(
        make_error(errc::unavailable, e->config.id, "stopped for good: " + e->down_reason));
      break;
  }
}

void manager_impl::adopt_metadata(entry& e, plugin_metadata md) {
  md.id = e.config.id;
  merge_dependencies(md, e.config.dependencies);
  e.metadata = std::move(md);
}

void manager_impl::forward(const entry_ptr& e, routed_call call) {
  auto ticket = e->next_ticket++;
  if (e->in_flight.empty()) {
    e->last_progress = clock().now(); // the watchdog measures from this call, not from before
    e->answers_seen = e->answers;
  }
  e->in_flight.emplace(ticket, std::move(call.promise));
  auto on_ok = [this, e, ticket](payload& out) { on_reply(e, ticket, std::move(out)); };
  auto on_error = [this, e, ticket](caf::error& err) { on_reply(e, ticket, std::move(err)); };
  // No timeout: a hang is the watchdog's to find (one deadline per plugin, not one per call).
  switch (call.what) {
    case routed_call::kind::execute:
      request(e->handle, caf::infinite, execute_atom::value, std::move(call.input))
        .then(std::move(on_ok), std::move(on_error));
      break;
    case routed_call::kind::tool:
      request(e->handle, caf::infinite, call_tool_atom::value, std::move(call.name),
              std::move(call.input))
        .then(std::move(on_ok), std::move(on_error));
      break;
    case routed_call::kind::function:
      request(e->handle, caf::infinite, function_atom::value, std::move(call.name),
              std::move(call.input))
        .then(std::move(on_ok), std::move(on_error));
      break;
  }
}

void manager_impl::on_reply(const entry_ptr& e, std::uint64_t ticket, caf::expected<payload> out) {
  auto i = e->in_flight.find(ticket);
  if (i == e->in_flight.end())
    return; // answered already: the plugin crashed or hung meanwhile
  if (!out && out.error() == caf::sec::request_receiver_down)
    return; // the actor died with the call queued: the down message answers it with the reason
  auto promise = std::move(i->second);
  e->in_flight.erase(i);
  ++e->answers; // progress, which the watchdog's tick notices
  if (e->status == entry_status::swapping && e->in_flight.empty())
    run_drained(e); // a reload waited for this: it swaps before the answer below goes out
  // A host that crashes answers the call that crashed it first: act on that at once, so that a
  // request the caller sends next already finds the plugin restarting.
  std::string crash_reason;
  if (!out && is_troupe_error(out.error())
      && out.error().code() == static_cast<std::uint8_t>(errc::crashed)
      && plugin_of(out.error()) == e->config.id && e->status == entry_status::up)
    crash_reason = detail_of(out.error());
  if (e->probation_left > 0 && crash_reason.empty())
    on_probation(e, static_cast<bool>(out));
  if (out) {
    promise.deliver(std::move(*out));
    return;
  }
  promise.deliver(with_plugin(std::move(out.error()), e->config.id));
  if (!crash_reason.empty())
    on_crash(e, crash_reason, true, false);
}

void manager_impl::refresh_tools(const entry_ptr& e, plugin_actor handle,
                                 std::function<void()> then) {
  request(handle, opts_.query_timeout, tools_atom::value).then(
    [this, e, handle, then](std::vector<tool_info>& tools) {
      // Only the plugin's current actor (or the one a reload is about to swap in) speaks for it.
      if (entries_.count(e->config.id) != 0 && e->status != entry_status::failed
          && e->handle == handle)
        tools_.set(e->config.id, std::move(tools));
      then();
    },
    [then](caf::error&) { then(); });
}

caf::result<payload> manager_impl::call_tool(const std::string& name, payload args) {
  auto tool = tools_.resolve(name);
  if (!tool)
    return std::move(tool.error());
  auto e = find(tool->plugin);
  if (!e)
    return std::move(e.error());
  auto promise = make_response_promise<payload>();
  dispatch(*e, {routed_call::kind::tool, tool->name, std::move(args), promise});
  return promise;
}

} // namespace troupe::detail

namespace troupe {

manager_actor spawn_manager(caf::actor_system& sys, manager_options opts) {
  return caf::actor_cast<manager_actor>(sys.spawn<detail::manager_impl>(std::move(opts)));
}

} // namespace troupe
