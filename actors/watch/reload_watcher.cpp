#include "actors/watch/reload_watcher.hpp"

#include <filesystem>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/lifecycle.hpp"
#include "actors/watch/directory_watcher.hpp"
#include "messages/errors.hpp"

namespace troupe {

namespace {

using file_change_atom = caf::atom_constant<caf::atom("t_fchange")>;
using fire_atom = caf::atom_constant<caf::atom("t_fire")>;
using track_atom = caf::atom_constant<caf::atom("t_track")>;

struct pending_change {
  std::uint64_t generation = 0;
  bool removed = false;
};

struct reloader_state {
  watch_options opts;
  manager_actor manager;
  std::shared_ptr<plugin_spawner> spawner;
  watch_kinds kinds;
  std::map<std::string, std::string> known;   ///< path -> plugin id
  std::map<std::string, pending_change> pending;
  std::map<std::string, std::size_t> failures; ///< path -> reload failures in a row
  std::map<std::string, bool> unloaded;        ///< path -> its file was removed
};

using reloader_actor = caf::stateful_actor<reloader_state>;

void step_chain(reloader_actor* self, const std::string& id, std::vector<lifecycle_op> steps,
                std::size_t index) {
  if (index == steps.size())
    return;
  auto next = [self, id, steps, index](plugin_state&) { step_chain(self, id, steps, index + 1); };
  auto failed = [id, steps, index](caf::error& err) {
    spdlog::warn("watch: {} of '{}' failed: {}", to_string(steps[index]), id, describe(err));
  };
  auto timeout = std::chrono::seconds{30};
  with_lifecycle_atom(steps[index], [&](auto atom) {
    self->request(self->state.manager, timeout, atom, id).then(next, failed);
  });
}

void load_new(reloader_actor* self, const std::string& path) {
  auto& st = self->state;
  auto spec = st.kinds.kinds->spec_for_file(path);
  auto factory = spec ? st.kinds.kinds->make_factory(*spec, st.kinds.context)
                      : caf::expected<plugin_factory>{spec.error()};
  if (!factory) {
    spdlog::warn("watch: new file '{}': {}", path, describe(factory.error()));
    return;
  }
  auto cfg = st.opts.new_plugin;
  cfg.id = spec->config.id;
  auto host = st.spawner->spawn_new(cfg.id, cfg.group, *factory, st.manager);
  if (!host) {
    spdlog::warn("watch: new file '{}': {}", path, describe(host.error()));
    return;
  }
  st.known[path] = cfg.id;
  auto id = cfg.id;
  self->request(st.manager, std::chrono::seconds{30}, register_atom::value, cfg, *host).then(
    [self, id](plugin_metadata&) {
      spdlog::info("watch: new plugin '{}' registered", id);
      step_chain(self, id, {lifecycle_op::load, lifecycle_op::init, lifecycle_op::start}, 0);
    },
    [self, path, id, host = *host](caf::error& err) {
      spdlog::warn("watch: registering '{}' failed: {}", id, describe(err));
      self->state.known.erase(path);
      self->state.spawner->discard(id, host);
    });
}

void act(reloader_actor* self, const std::string& path, bool removed) {
  auto& st = self->state;
  auto k = st.known.find(path);
  if (k == st.known.end()) {
    if (!removed && st.opts.load_new)
      load_new(self, path);
    return;
  }
  auto id = k->second;
  if (removed) {
    if (!st.opts.unload_removed)
      return;
    st.unloaded[path] = true;
    spdlog::info("watch: '{}' removed: unloading plugin '{}'", path, id);
    step_chain(self, id, {lifecycle_op::stop, lifecycle_op::unload}, 0);
    return;
  }
  if (st.unloaded[path]) { // back after a removal: load it afresh
    st.unloaded[path] = false;
    step_chain(self, id, {lifecycle_op::load, lifecycle_op::init, lifecycle_op::start}, 0);
    return;
  }
  self->request(st.manager, caf::infinite, reload_atom::value, id).then(
    [self, path](plugin_metadata&) { self->state.failures[path] = 0; },
    [self, path, id](caf::error& err) {
      auto n = ++self->state.failures[path];
      spdlog::warn("watch: reload of '{}' failed (attempt {} of {}): {}", id, n,
                   self->state.opts.max_attempts, describe(err));
    });
}

void on_change(reloader_actor* self, const std::string& path, bool removed) {
  auto& st = self->state;
  if (st.kinds.kinds->watching(path) == nullptr)
    return;
  auto failures = st.failures[path];
  if (!removed && failures >= st.opts.max_attempts && st.opts.max_attempts > 0) {
    spdlog::warn("watch: '{}' changed, but its reload failed {} times in a row: reload it by hand",
                 path, failures);
    return;
  }
  if (st.opts.strategy == reload_strategy::manual && st.known.count(path) > 0) {
    spdlog::info("watch: '{}' changed (manual strategy: reload it by hand)", path);
    return;
  }
  auto delay = st.opts.strategy == reload_strategy::debounced ? st.opts.debounce
                                                               : std::chrono::milliseconds{0};
  if (failures > 0) // back off after failed reloads
    delay += st.opts.retry_backoff * (1 << std::min<std::size_t>(failures - 1, 10));
  if (delay.count() == 0) {
    act(self, path, removed);
    return;
  }
  auto& p = st.pending[path];
  ++p.generation;
  p.removed = removed;
  self->delayed_send(self, delay, fire_atom::value, path, p.generation);
}

caf::behavior reloader_behavior(reloader_actor* self, watch_options opts, manager_actor manager,
                       std::shared_ptr<plugin_spawner> spawner,
                       std::map<std::string, std::string> known, watch_kinds kinds) {
  self->state.opts = std::move(opts);
  self->state.kinds = std::move(kinds);
  self->state.manager = std::move(manager);
  self->state.spawner = std::move(spawner);
  self->state.known = std::move(known);
  return {
    [self](file_change_atom, const std::string& path, bool removed) {
      on_change(self, path, removed);
    },
    [self](fire_atom, const std::string& path, std::uint64_t generation) {
      auto i = self->state.pending.find(path);
      if (i == self->state.pending.end() || i->second.generation != generation)
        return; // a later change restarted the debounce
      auto removed = i->second.removed;
      self->state.pending.erase(i);
      act(self, path, removed);
    },
    [self](track_atom, const std::string& path, const std::string& id) {
      self->state.known[path] = id;
    },
  };
}

} // namespace

caf::expected<reload_strategy> parse_reload_strategy(const std::string& text) {
  if (text == "immediate")
    return reload_strategy::immediate;
  if (text == "debounced")
    return reload_strategy::debounced;
  if (text == "manual")
    return reload_strategy::manual;
  return make_error(errc::config_error, "",
                    "unknown reload strategy '" + text + "' (immediate, debounced, manual)");
}

std::string canonical_path(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::weakly_canonical(std::filesystem::absolute(path), ec);
  return ec ? path : p.string();
}

caf::expected<std::unique_ptr<reload_watcher>>
reload_watcher::start(caf::actor_system& sys, manager_actor manager,
                      std::shared_ptr<plugin_spawner> spawner, watch_options opts,
                      std::map<std::string, std::string> known, watch_kinds kinds) {
  auto watcher = std::make_unique<directory_watcher>();
  for (auto& dir : opts.directories) {
    dir = canonical_path(dir);
    if (auto err = watcher->add(dir))
      return err;
  }
  std::map<std::string, std::string> canonical;
  for (const auto& [path, id] : known)
    canonical[canonical_path(path)] = id;
  std::unique_ptr<reload_watcher> result{new reload_watcher};
  result->reloader_ = sys.spawn(reloader_behavior, opts, std::move(manager), std::move(spawner),
                                std::move(canonical), std::move(kinds));
  auto* stop = &result->stop_;
  result->thread_ = std::thread{[w = std::move(watcher), stop, to = result->reloader_] {
    while (!stop->load()) {
      for (auto& c : w->wait(std::chrono::milliseconds{100}))
        caf::anon_send(to, file_change_atom::value, c.path,
                       c.what == file_change::kind::removed);
    }
  }};
  spdlog::info("watch: {} director{} ({})", opts.directories.size(),
               opts.directories.size() == 1 ? "y" : "ies",
               opts.strategy == reload_strategy::immediate   ? "immediate"
               : opts.strategy == reload_strategy::debounced ? "debounced"
                                                             : "manual");
  return result;
}

reload_watcher::~reload_watcher() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
  caf::anon_send_exit(reloader_, caf::exit_reason::user_shutdown);
}

void reload_watcher::track(const std::string& path, const std::string& id) {
  caf::anon_send(reloader_, track_atom::value, canonical_path(path), id);
}

} // namespace troupe
