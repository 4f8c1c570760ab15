#include "actors/host/plugin_instance.hpp"

#include <spdlog/spdlog.h>

#include "messages/errors.hpp"

namespace troupe::detail {

namespace {

/// Runs plugin code, turning anything it throws into a fatal error naming the plugin: an
/// exception that escapes plugin code crashes the plugin.
template <class F>
auto guarded(const std::string& id, const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return make_error(errc::fatal, id, std::string(what) + " threw: " + e.what());
  } catch (...) {
    return make_error(errc::fatal, id, std::string(what) + " threw a non-standard exception");
  }
}

} // namespace

bool is_fatal(const caf::error& err) {
  return is_troupe_error(err) && err.code() == static_cast<std::uint8_t>(errc::fatal);
}

caf::error attribute(caf::error err, const std::string& id) {
  if (is_troupe_error(err) && plugin_of(err).empty())
    return make_error(static_cast<errc>(err.code()), id, detail_of(err));
  if (!is_troupe_error(err))
    return make_error(errc::plugin_failed, id, describe(err));
  return err;
}

plugin_instance::plugin_instance(std::string id, std::unique_ptr<plugin> impl,
                                 std::shared_ptr<shared_state> shared,
                                 std::shared_ptr<checkpoint_store> checkpoints,
                                 std::size_t checkpoint_every)
  : id_(std::move(id)), impl_(std::move(impl)), shared_(std::move(shared)),
    checkpoints_(std::move(checkpoints)), checkpoint_every_(checkpoint_every) {
}

void plugin_instance::enter(plugin_state next) {
  if (next.code == state_.code && next.reason == state_.reason)
    return;
  if (next.code == state_code::error)
    spdlog::warn("plugin '{}': {} -> {}", id_, to_string(state_), to_string(next));
  else
    spdlog::debug("plugin '{}': {} -> {}", id_, to_string(state_), to_string(next));
  state_ = std::move(next);
}

caf::expected<lifecycle_position> plugin_instance::check(lifecycle_op op) {
  std::string why;
  auto next = next_position({state_.code, initialized_}, op, &why);
  if (!next)
    return make_error(errc::invalid_state, id_, why);
  return *next;
}

caf::error plugin_instance::fail(lifecycle_op op, caf::error err) {
  err = attribute(std::move(err), id_);
  if (!is_fatal(err))
    enter({state_code::error, std::string(to_string(op)) + " failed: " + detail_of(err)});
  return err;
}

caf::expected<plugin_state> plugin_instance::load(plugin_config cfg) {
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
  auto keeps = guarded(id_, "keeps_state", [&]() -> caf::expected<bool> {
    return impl_->keeps_state();
  });
  keeps_state_ = checkpoints_ && keeps && *keeps;
  enter({next->code, {}});
  refresh_tools();
  return state_;
}

void plugin_instance::refresh_tools() {
  auto tools = guarded(id_, "tools", [&]() -> caf::expected<std::vector<tool_spec>> {
    return impl_->tools();
  });
  if (tools)
    tools_.reset(id_, *tools);
  else
    spdlog::warn("plugin '{}': listing its tools failed: {}", id_, describe(tools.error()));
}

caf::expected<plugin_state> plugin_instance::step(lifecycle_op op) {
  auto next = check(op);
  if (!next)
    return std::move(next.error());
  auto err = guarded(id_, to_string(op), [&]() -> caf::error {
    switch (op) {
      case lifecycle_op::init: return impl_->init(*context_);
      case lifecycle_op::start: return impl_->start(*context_);
      case lifecycle_op::pause: return impl_->pause(*context_);
      case lifecycle_op::resume: return impl_->resume(*context_);
      case lifecycle_op::stop: return impl_->stop(*context_);
      default: return make_error(errc::invalid_state, id_, "not a step");
    }
  });
  if (err)
    return fail(op, std::move(err));
  if (op == lifecycle_op::init)
    if (auto restored = restore_checkpoint())
      return fail(op, std::move(restored));
  initialized_ = next->initialized;
  enter({next->code, {}});
  if (op == lifecycle_op::init)
    refresh_tools();
  if (op == lifecycle_op::stop)
    if (auto saved = save_checkpoint(); is_fatal(saved))
      return saved;
  return state_;
}

caf::expected<plugin_state> plugin_instance::step_to(lifecycle_position target) {
  caf::expected<plugin_state> at = state_;
  if (target.initialized && !initialized_)
    at = step(lifecycle_op::init);
  if (at && (target.code == state_code::running || target.code == state_code::paused))
    at = step(lifecycle_op::start);
  if (at && target.code == state_code::paused)
    at = step(lifecycle_op::pause);
  return at;
}

caf::expected<plugin_state> plugin_instance::unload() {
  auto next = check(lifecycle_op::unload);
  if (!next)
    return std::move(next.error());
  tools_.clear();
  if (checkpoints_)
    checkpoints_->erase(id_); // an orderly unload: the next load starts afresh
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

caf::expected<payload> plugin_instance::export_state() {
  if (!context_ || state_.code == state_code::error || state_.code == state_code::unloaded)
    return make_error(errc::invalid_state, id_, "cannot export state while " + to_string(state_));
  return take_checkpoint();
}

caf::expected<payload> plugin_instance::take_checkpoint() {
  auto state = guarded(id_, "checkpoint", [&]() -> caf::expected<payload> {
    return impl_->checkpoint(*context_);
  });
  if (!state)
    return attribute(std::move(state.error()), id_);
  return state;
}

caf::expected<plugin_state> plugin_instance::import_state(const payload& state) {
  if (!context_ || state_.code != state_code::loaded)
    return make_error(errc::invalid_state, id_,
                      "can import state only while Loaded, not " + to_string(state_));
  if (auto err = guarded(id_, "restore", [&] { return impl_->restore(*context_, state); }))
    return attribute(std::move(err), id_);
  return state_;
}

caf::error plugin_instance::restore_checkpoint() {
  if (!keeps_state_)
    return {};
  auto saved = checkpoints_->find(id_);
  if (!saved)
    return {};
  if (auto err = guarded(id_, "restore", [&] { return impl_->restore(*context_, *saved); }))
    return make_error(is_fatal(err) ? errc::fatal : errc::plugin_failed, id_,
                      "restoring its checkpoint failed: " + detail_of(err));
  spdlog::info("plugin '{}': state restored from its last checkpoint", id_);
  return {};
}

caf::error plugin_instance::save_checkpoint() {
  if (!keeps_state_)
    return {};
  calls_since_checkpoint_ = 0;
  auto state = take_checkpoint();
  if (state) {
    checkpoints_->save(id_, std::move(*state));
    return {};
  }
  if (is_fatal(state.error()))
    return std::move(state.error());
  spdlog::warn("plugin '{}': checkpoint failed (the previous one stays): {}", id_,
               describe(state.error()));
  return {};
}

caf::error plugin_instance::after_success() {
  if (keeps_state_ && checkpoint_every_ > 0 && ++calls_since_checkpoint_ >= checkpoint_every_)
    return save_checkpoint();
  return {};
}

caf::error plugin_instance::refuse(const invocation& inv) const {
  auto code = state_.code;
  switch (inv.what) {
    case invocation::kind::execute:
      if (code != state_code::running)
        return make_error(errc::invalid_state, id_,
                          "cannot execute while " + to_string(state_) + ": start it first");
      return {};
    case invocation::kind::tool:
      if (code != state_code::running)
        return make_error(errc::invalid_state, id_,
                          "cannot call tool '" + inv.name + "' while " + to_string(state_));
      return tools_.check(inv.name, inv.input);
    case invocation::kind::function:
      if (code != state_code::loaded && code != state_code::running && code != state_code::paused)
        return make_error(errc::invalid_state, id_,
                          "cannot call function '" + inv.name + "' while " + to_string(state_));
      return {};
    case invocation::kind::hook:
      if (code != state_code::running)
        return make_error(errc::invalid_state, id_,
                          "cannot run hook '" + inv.name + "' while " + to_string(state_));
      return {};
  }
  return {};
}

caf::expected<call_step> plugin_instance::begin(const invocation& inv) {
  return guarded(id_, "execute", [&]() -> caf::expected<call_step> {
    return impl_->begin_call(*context_, inv);
  });
}

call_step plugin_instance::resume(std::uint64_t ticket, caf::expected<payload> answer) {
  auto step = guarded(id_, "execute", [&]() -> caf::expected<call_step> {
    return impl_->continue_call(*context_, ticket, std::move(answer));
  });
  return step ? std::move(*step) : call_step::done(std::move(step.error()));
}

void plugin_instance::abandon(std::uint64_t ticket) {
  if (context_)
    guarded(id_, "abandon", [&]() -> caf::error {
      impl_->abandon_call(*context_, ticket);
      return {};
    });
}

caf::expected<plugin_health> plugin_instance::health() {
  plugin_health h{id_, false, state_, {}};
  switch (state_.code) {
    case state_code::loaded:
    case state_code::running:
    case state_code::paused: {
      auto said = guarded(id_, "health_check", [&] { return impl_->health_check(*context_); });
      h.healthy = static_cast<bool>(said);
      if (!said && is_fatal(said.error()))
        return std::move(said.error());
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

std::map<std::string, std::int64_t> plugin_instance::counters() {
  if (!context_)
    return {};
  auto counters = guarded(id_, "counters",
                          [&]() -> caf::expected<std::map<std::string, std::int64_t>> {
                            return impl_->counters();
                          });
  return counters ? std::move(*counters) : std::map<std::string, std::int64_t>{};
}

plugin_metadata plugin_instance::metadata() {
  auto md = guarded(id_, "metadata", [&]() -> caf::expected<plugin_metadata> {
    return impl_->metadata();
  });
  plugin_metadata result = md ? std::move(*md) : plugin_metadata{};
  result.id = id_;
  if (result.hooks.empty()) { // a native plugin names its hooks through hooks()
    auto points = guarded(id_, "hooks", [&]() -> caf::expected<std::vector<hook_point>> {
      return impl_->hooks();
    });
    if (points)
      for (auto p : *points)
        result.hooks.emplace_back(to_string(p));
  }
  if (context_)
    merge_dependencies(result, context_->config().dependencies);
  return result;
}

} // namespace troupe::detail
