#include "actors/plugin_host.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/latency_stats.hpp"
#include "actors/lifecycle.hpp"
#include "messages/errors.hpp"

namespace troupe {

namespace {

/// Runs plugin code, turning anything it throws into a plugin_failed error naming the plugin.
template <class F>
auto guarded(const std::string& id, const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return make_error(errc::plugin_failed, id, std::string(what) + " threw: " + e.what());
  } catch (...) {
    return make_error(errc::plugin_failed, id, std::string(what) + " threw a non-standard exception");
  }
}

/// Makes sure an error from plugin code names the plugin.
caf::error attribute(caf::error err, const std::string& id) {
  if (is_troupe_error(err) && plugin_of(err).empty())
    return make_error(static_cast<errc>(err.code()), id, detail_of(err));
  if (!is_troupe_error(err))
    return make_error(errc::plugin_failed, id, describe(err));
  return err;
}

class plugin_host final : public plugin_actor::base {
public:
  plugin_host(caf::actor_config& cfg, std::string id, std::unique_ptr<plugin> impl,
              std::shared_ptr<shared_state> shared)
    : plugin_actor::base(cfg), id_(std::move(id)), impl_(std::move(impl)),
      shared_(std::move(shared)) {
  }

  const char* name() const override { return "troupe.plugin_host"; }

  behavior_type make_behavior() override {
    return {
      [this](load_atom, plugin_config& cfg) -> caf::result<plugin_state> {
        return on_load(std::move(cfg));
      },
      [this](init_atom) { return step(lifecycle_op::init, &plugin::init); },
      [this](start_atom) { return step(lifecycle_op::start, &plugin::start); },
      [this](pause_atom) { return step(lifecycle_op::pause, &plugin::pause); },
      [this](resume_atom) { return step(lifecycle_op::resume, &plugin::resume); },
      [this](stop_atom) { return step(lifecycle_op::stop, &plugin::stop); },
      [this](unload_atom) { return on_unload(); },
      [this](execute_atom, const payload& in) -> caf::result<payload> { return on_execute(in); },
      [this](health_atom) { return on_health(); },
      [this](stats_atom) { return on_stats(); },
      [this](metadata_atom) { return current_metadata(); },
      [this](list_atom) { return plugin_info{current_metadata(), state_}; },
    };
  }

private:
  plugin_metadata current_metadata() {
    auto md = guarded(id_, "metadata", [&]() -> caf::expected<plugin_metadata> {
      return impl_->metadata();
    });
    plugin_metadata result = md ? std::move(*md) : plugin_metadata{};
    result.id = id_;
    if (context_)
      merge_dependencies(result, context_->config().dependencies);
    return result;
  }

  void enter(plugin_state next) {
    if (next.code == state_.code && next.reason == state_.reason)
      return;
    if (next.code == state_code::error)
      spdlog::warn("plugin '{}': {} -> {}", id_, to_string(state_), to_string(next));
    else
      spdlog::debug("plugin '{}': {} -> {}", id_, to_string(state_), to_string(next));
    state_ = std::move(next);
  }

  /// Checks a step against the state machine; returns the target or an invalid_state error.
  caf::expected<lifecycle_position> check(lifecycle_op op) {
    std::string why;
    auto next = next_position({state_.code, initialized_}, op, &why);
    if (!next)
      return make_error(errc::invalid_state, id_, why);
    return *next;
  }

  /// Records a failing hook: the plugin goes to Error and the caller gets the error.
  caf::error fail(lifecycle_op op, caf::error err) {
    err = attribute(std::move(err), id_);
    enter({state_code::error, std::string(to_string(op)) + " failed: " + detail_of(err)});
    return err;
  }

  caf::result<plugin_state> on_load(plugin_config cfg) {
    auto next = check(lifecycle_op::load);
    if (!next)
      return std::move(next.error());
    if (cfg.id.empty())
      cfg.id = id_;
    if (cfg.id != id_)
      return make_error(errc::bad_input, id_,
                        "load config is for plugin '" + cfg.id + "', not this one");
    context_ = std::make_unique<plugin_context>(std::move(cfg), shared_);
    enter({state_code::loading, {}});
    if (auto err = guarded(id_, "load", [&] { return impl_->load(*context_); }))
      return fail(lifecycle_op::load, std::move(err));
    initialized_ = next->initialized;
    enter({next->code, {}});
    return state_;
  }

  caf::result<plugin_state> step(lifecycle_op op, caf::error (plugin::*hook)(plugin_context&)) {
    auto next = check(op);
    if (!next)
      return std::move(next.error());
    if (auto err = guarded(id_, to_string(op), [&] { return ((*impl_).*hook)(*context_); }))
      return fail(op, std::move(err));
    initialized_ = next->initialized;
    enter({next->code, {}});
    return state_;
  }

  caf::result<plugin_state> on_unload() {
    auto next = check(lifecycle_op::unload);
    if (!next)
      return std::move(next.error());
    auto err = guarded(id_, "unload", [&] { return impl_->unload(*context_); });
    // Unload always ends Unloaded: the plugin is released whatever its hook said.
    initialized_ = false;
    enter({state_code::unloaded, {}});
    context_.reset();
    if (err) {
      err = attribute(std::move(err), id_);
      spdlog::warn("plugin '{}': unload hook failed: {}", id_, describe(err));
      return err;
    }
    return state_;
  }

  caf::result<payload> on_execute(const payload& in) {
    if (state_.code != state_code::running) {
      stats_.record_rejected();
      return make_error(errc::invalid_state, id_,
                        "cannot execute while " + to_string(state_) + ": start it first");
    }
    auto started = std::chrono::steady_clock::now();
    auto out = guarded(id_, "execute", [&] { return impl_->execute(*context_, in); });
    auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now() - started).count();
    stats_.record(static_cast<std::uint64_t>(nanos), !out);
    if (!out)
      return attribute(std::move(out.error()), id_);
    return std::move(*out);
  }

  plugin_health on_health() {
    plugin_health h{id_, false, state_, {}};
    switch (state_.code) {
      case state_code::loaded:
      case state_code::running:
      case state_code::paused: {
        auto said = guarded(id_, "health_check", [&] { return impl_->health_check(*context_); });
        h.healthy = static_cast<bool>(said);
        h.detail = said ? *said : describe(attribute(std::move(said.error()), id_));
        break;
      }
      case state_code::error:
        h.detail = state_.reason;
        break;
      default:
        h.detail = "not loaded";
    }
    return h;
  }

  plugin_stats on_stats() {
    plugin_stats s;
    s.id = id_;
    s.calls = stats_.calls();
    s.failures = stats_.failures();
    s.mean_us = stats_.mean_us();
    s.p50_us = stats_.percentile_us(0.50);
    s.p99_us = stats_.percentile_us(0.99);
    s.state = state_;
    if (context_) {
      auto counters = guarded(id_, "counters",
                              [&]() -> caf::expected<std::map<std::string, std::int64_t>> {
                                return impl_->counters();
                              });
      if (counters)
        s.counters = std::move(*counters);
    }
    return s;
  }

  std::string id_;
  std::unique_ptr<plugin> impl_;
  std::shared_ptr<shared_state> shared_;
  std::unique_ptr<plugin_context> context_;
  plugin_state state_;
  bool initialized_ = false;
  latency_stats stats_;
};

} // namespace

plugin_actor spawn_plugin_host(caf::actor_system& sys, std::string id,
                               std::unique_ptr<plugin> impl, std::shared_ptr<shared_state> shared) {
  return sys.spawn<plugin_host>(std::move(id), std::move(impl), std::move(shared));
}

} // namespace troupe
