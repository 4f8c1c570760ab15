#include "actors/manager.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <type_traits>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/dependency_order.hpp"
#include "actors/lifecycle.hpp"
#include "messages/errors.hpp"

namespace troupe {

namespace {

/// One registered plugin.
struct entry {
  plugin_actor handle;
  plugin_metadata metadata; ///< As registered: id from the config, config dependencies merged.
  plugin_config config;
};

/// Progress of a lifecycle step applied to every plugin in order.
struct bulk_step {
  lifecycle_op op;
  std::vector<std::string> order;
  std::size_t next = 0;
  std::vector<std::string> stepped;
  caf::error first_error;
  caf::typed_response_promise<std::vector<std::string>> promise;
};

class manager_impl final : public manager_actor::base {
public:
  manager_impl(caf::actor_config& cfg, manager_options opts)
    : manager_actor::base(cfg), opts_(opts) {
    set_down_handler([this](caf::down_msg& msg) { forget(msg.source, msg.reason); });
  }

  const char* name() const override { return "troupe.manager"; }

  behavior_type make_behavior() override {
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
      [this](execute_atom, const std::string& id, payload& in) -> caf::result<payload> {
        auto e = find(id);
        if (!e)
          return std::move(e.error());
        return delegate((*e)->handle, execute_atom::value, std::move(in));
      },
      [this](tools_atom) { return tools(); },
      [this](call_tool_atom, std::string& name, payload& args) {
        return call_tool(std::move(name), std::move(args));
      },
      [this](function_atom, const std::string& id, std::string& fn,
             payload& args) -> caf::result<payload> {
        auto e = find(id);
        if (!e)
          return std::move(e.error());
        return delegate((*e)->handle, function_atom::value, std::move(fn), std::move(args));
      },
      [this](list_atom) { return list(std::nullopt); },
      [this](list_atom, const plugin_type& type) { return list(type); },
      [this](health_atom) {
        return gather<plugin_health>(health_atom::value, [](const entry& e, const caf::error& err) {
          return plugin_health{e.metadata.id, false, {state_code::error, describe(err)},
                               "unreachable: " + describe(err)};
        });
      },
      [this](health_atom, const std::string& id) -> caf::result<plugin_health> {
        auto e = find(id);
        if (!e)
          return std::move(e.error());
        return delegate((*e)->handle, health_atom::value);
      },
      [this](stats_atom) {
        return gather<plugin_stats>(stats_atom::value, [](const entry& e, const caf::error& err) {
          plugin_stats s;
          s.id = e.metadata.id;
          s.state = {state_code::error, "unreachable: " + describe(err)};
          return s;
        });
      },
      [this](stats_atom, const std::string& id) -> caf::result<plugin_stats> {
        auto e = find(id);
        if (!e)
          return std::move(e.error());
        return delegate((*e)->handle, stats_atom::value);
      },
      [this](metadata_atom, const std::string& id) -> caf::result<plugin_metadata> {
        auto e = find(id);
        if (!e)
          return std::move(e.error());
        return (*e)->metadata;
      },
    };
  }

private:
  caf::expected<entry*> find(const std::string& id) {
    auto i = entries_.find(id);
    if (i != entries_.end())
      return &i->second;
    std::string known;
    for (const auto& [other, e] : entries_)
      known += (known.empty() ? "" : ", ") + other;
    return make_error(errc::not_found, id,
                      "no such plugin (registered: " + (known.empty() ? "none" : known) + ")");
  }

  void forget(const caf::actor_addr& source, const caf::error& reason) {
    for (auto i = entries_.begin(); i != entries_.end(); ++i) {
      if (i->second.handle.address() == source) {
        spdlog::warn("plugin '{}': actor terminated ({}); unregistered", i->first,
                     describe(reason));
        entries_.erase(i);
        return;
      }
    }
  }

  caf::result<plugin_metadata> on_register(plugin_config cfg, plugin_actor host) {
    if (cfg.id.empty())
      return make_error(errc::bad_input, "", "cannot register a plugin without an id");
    if (!host)
      return make_error(errc::bad_input, cfg.id, "cannot register an invalid actor handle");
    if (entries_.count(cfg.id) > 0)
      return make_error(errc::already_exists, cfg.id, "a plugin with this id is registered already");
    auto id = cfg.id;
    plugin_metadata pending;
    pending.id = id;
    entries_.emplace(id, entry{host, std::move(pending), std::move(cfg)}); // reserves the id
    auto promise = make_response_promise<plugin_metadata>();
    request(host, opts_.query_timeout, metadata_atom::value).then(
      [this, id, host, promise](plugin_metadata& md) mutable {
        auto i = entries_.find(id);
        if (i == entries_.end() || i->second.handle != host) {
          promise.deliver(make_error(errc::unavailable, id, "plugin vanished while registering"));
          return;
        }
        md.id = id;
        merge_dependencies(md, i->second.config.dependencies);
        i->second.metadata = md;
        monitor(host);
        spdlog::info("plugin '{}': registered ({} {})", id, md.name, md.version);
        promise.deliver(std::move(md));
      },
      [this, id, promise](caf::error& err) mutable {
        entries_.erase(id);
        promise.deliver(make_error(errc::unavailable, id,
                                   "did not answer its metadata request: " + describe(err)));
      });
    return promise;
  }

  /// Sends `op` to one plugin; calls on_done with its new state or the error. After a load the
  /// plugin's metadata is read again: a script only knows its name, version and dependencies
  /// once loaded, and init, start, stop and unload order by those dependencies.
  template <class OnDone>
  void send_step(lifecycle_op op, const entry& e, OnDone on_done) {
    auto on_error = [on_done](caf::error& err) mutable { on_done(caf::expected<plugin_state>{err}); };
    auto id = e.metadata.id;
    auto handle = e.handle;
    auto on_state = [this, op, id, handle, on_done](plugin_state& s) mutable {
      if (op != lifecycle_op::load) {
        on_done(caf::expected<plugin_state>{s});
        return;
      }
      request(handle, opts_.query_timeout, metadata_atom::value).then(
        [this, id, s, on_done](plugin_metadata& md) mutable {
          if (auto i = entries_.find(id); i != entries_.end()) {
            md.id = id;
            merge_dependencies(md, i->second.config.dependencies);
            i->second.metadata = std::move(md);
          }
          on_done(caf::expected<plugin_state>{s});
        },
        [s, on_done](caf::error&) mutable { on_done(caf::expected<plugin_state>{s}); });
    };
    with_lifecycle_atom(op, [&](auto atom) {
      if constexpr (std::is_same<decltype(atom), load_atom>::value)
        request(e.handle, opts_.lifecycle_timeout, atom, e.config).then(on_state, on_error);
      else
        request(e.handle, opts_.lifecycle_timeout, atom).then(on_state, on_error);
    });
  }

  caf::result<plugin_state> one(lifecycle_op op, const std::string& id) {
    auto e = find(id);
    if (!e)
      return std::move(e.error());
    auto promise = make_response_promise<plugin_state>();
    send_step(op, **e, [promise, id](caf::expected<plugin_state> result) mutable {
      if (result)
        promise.deliver(std::move(*result));
      else
        promise.deliver(with_plugin(std::move(result.error()), id));
    });
    return promise;
  }

  /// CAF's own errors (a timeout, a dead actor) get the plugin's name attached.
  static caf::error with_plugin(caf::error err, const std::string& id) {
    if (is_troupe_error(err))
      return err;
    auto code = err == caf::sec::request_timeout ? errc::timeout : errc::unavailable;
    return make_error(code, id, describe(err));
  }

  static bool shutting_down(lifecycle_op op) {
    return op == lifecycle_op::stop || op == lifecycle_op::unload;
  }

  caf::result<std::vector<std::string>> all(lifecycle_op op) {
    std::vector<plugin_metadata> plugins;
    for (const auto& [id, e] : entries_)
      plugins.push_back(e.metadata);
    auto order = dependency_order(plugins);
    if (!order)
      return std::move(order.error());
    auto step = std::make_shared<bulk_step>();
    step->op = op;
    step->order = std::move(*order);
    if (shutting_down(op))
      std::reverse(step->order.begin(), step->order.end());
    step->promise = make_response_promise<std::vector<std::string>>();
    next_in(step);
    return step->promise;
  }

  void next_in(std::shared_ptr<bulk_step> step) {
    while (step->next < step->order.size()) {
      const auto& id = step->order[step->next++];
      auto i = entries_.find(id);
      if (i == entries_.end())
        continue; // unregistered meanwhile
      send_step(step->op, i->second, [this, step, id](caf::expected<plugin_state> result) {
        if (result) {
          step->stepped.push_back(id);
        } else {
          auto err = with_plugin(std::move(result.error()), id);
          bool skippable = shutting_down(step->op) && is_troupe_error(err)
                           && err.code() == static_cast<std::uint8_t>(errc::invalid_state);
          if (!skippable) {
            spdlog::warn("{} all: {}", to_string(step->op), describe(err));
            if (!shutting_down(step->op)) {
              step->promise.deliver(std::move(err));
              return;
            }
            if (!step->first_error)
              step->first_error = std::move(err);
          }
        }
        next_in(step);
      });
      return;
    }
    if (step->first_error)
      step->promise.deliver(std::move(step->first_error));
    else
      step->promise.deliver(std::move(step->stepped));
  }

  caf::result<std::vector<plugin_info>> list(std::optional<plugin_type> type) {
    std::function<bool(const plugin_info&)> keep;
    if (type)
      keep = [type](const plugin_info& info) { return info.metadata.type == *type; };
    return gather<plugin_info>(
      list_atom::value,
      [](const entry& e, const caf::error& err) {
        return plugin_info{e.metadata, {state_code::error, "unreachable: " + describe(err)}};
      },
      std::move(keep));
  }

  /// Every tool of every plugin; a plugin that does not answer offers none.
  caf::typed_response_promise<std::vector<tool_info>> tools() {
    auto promise = make_response_promise<std::vector<tool_info>>();
    collect_tools([promise](std::vector<tool_info> all) mutable { promise.deliver(std::move(all)); });
    return promise;
  }

  template <class Then>
  void collect_tools(Then then) {
    using tool_list = std::vector<tool_info>;
    gather_then<tool_list>(
      tools_atom::value, [](const entry&, const caf::error&) { return tool_list{}; },
      [then](std::vector<tool_list> per_plugin) mutable {
        tool_list all;
        for (auto& list : per_plugin)
          all.insert(all.end(), list.begin(), list.end());
        then(std::move(all));
      });
  }

  /// Finds the one tool `name` ("tool" or "plugin/tool") names and runs it on its plugin.
  caf::typed_response_promise<payload> call_tool(std::string name, payload args) {
    auto promise = make_response_promise<payload>();
    collect_tools([this, promise, name, args](std::vector<tool_info> all) mutable {
      std::vector<tool_info> matches;
      for (auto& t : all)
        if (t.name == name || t.plugin + "/" + t.name == name)
          matches.push_back(t);
      if (matches.empty()) {
        promise.deliver(make_error(errc::not_found, "", "no plugin offers a tool named '" + name
                                                          + "'"));
        return;
      }
      if (matches.size() > 1) {
        std::string which;
        for (auto& t : matches)
          which += (which.empty() ? "" : ", ") + t.plugin + "/" + t.name;
        promise.deliver(make_error(errc::bad_input, "", "tool name '" + name
                                                          + "' is ambiguous; use one of " + which));
        return;
      }
      auto e = find(matches.front().plugin);
      if (!e) {
        promise.deliver(std::move(e.error()));
        return;
      }
      auto id = matches.front().plugin;
      request((*e)->handle, opts_.lifecycle_timeout, call_tool_atom::value, matches.front().name,
              std::move(args))
        .then([promise](payload& out) mutable { promise.deliver(std::move(out)); },
              [promise, id](caf::error& err) mutable {
                promise.deliver(with_plugin(std::move(err), id));
              });
    });
    return promise;
  }

  /// Asks every plugin the same question; answers every reply (or `on_error`'s stand-in for a
  /// plugin that fails to answer) sorted by id.
  template <class T, class Atom, class OnError>
  caf::typed_response_promise<std::vector<T>> gather(Atom atom, OnError on_error,
                                                     std::function<bool(const T&)> keep = {}) {
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
  void gather_then(Atom atom, OnError on_error, Then then) {
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
      request(e.handle, opts_.query_timeout, atom).then(
        [results, left, slot, finish](T& x) mutable {
          (*results)[slot] = std::move(x);
          if (--*left == 0)
            finish();
        },
        [results, left, slot, finish, e = e, on_error](caf::error& err) mutable {
          (*results)[slot] = on_error(e, err);
          if (--*left == 0)
            finish();
        });
    }
  }

  manager_options opts_;
  std::map<std::string, entry> entries_;
};

} // namespace

manager_actor spawn_manager(caf::actor_system& sys, manager_options opts) {
  return sys.spawn<manager_impl>(opts);
}

} // namespace troupe
