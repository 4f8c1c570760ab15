// The manager's lifecycle steps: one step for one plugin, and a step for every plugin in waves
// of dependency order (dependency_waves), the plugins of a wave stepped concurrently.

#include <algorithm>
#include <type_traits>

#include <spdlog/spdlog.h>

#include "actors/dependency_order.hpp"
#include "actors/manager_impl.hpp"
#include "messages/errors.hpp"

namespace troupe::detail {

/// Progress of a lifecycle step applied to every plugin, wave after wave.
struct bulk_step {
  lifecycle_op op;
  std::vector<std::vector<std::string>> waves;
  std::size_t wave = 0;      ///< The wave being stepped.
  std::size_t next = 0;      ///< Its next plugin to send the step to.
  std::size_t in_flight = 0; ///< Its steps sent and not answered yet.
  std::vector<bool> done;    ///< Per plugin of the wave: stepped successfully.
  std::vector<std::string> stepped;
  caf::error first_error;    ///< The first real error: earliest wave, then dependency order.
  std::size_t first_error_wave = 0;
  std::size_t first_error_at = 0;
  caf::typed_response_promise<std::vector<std::string>> promise;
};

namespace {

/// Steps sent at once within one wave: enough to keep every worker busy, few enough that
/// 10,000 plugins do not register 10,000 timeouts at the same moment.
constexpr std::size_t max_steps_in_flight = 256;

bool shutting_down(lifecycle_op op) {
  return op == lifecycle_op::stop || op == lifecycle_op::unload;
}

} // namespace

void manager_impl::send_step(lifecycle_op op, const entry_ptr& e,
                             std::function<void(caf::expected<plugin_state>)> on_done) {
  if (e->status != entry_status::up) {
    on_done(make_error(errc::unavailable, e->config.id,
                       std::string("cannot ") + to_string(op) + ": "
                         + to_string(state_when_down(*e))));
    return;
  }
  auto on_error = [on_done](caf::error& err) { on_done(std::move(err)); };
  auto handle = e->handle;
  auto on_state = [this, op, e, handle, on_done](plugin_state& s) {
    if (e->handle == handle) {
      if (auto next = next_position(e->reached, op))
        e->reached = *next;
      if (op == lifecycle_op::unload && opts_.spawner)
        opts_.spawner->checkpoints()->erase(e->config.id);
    }
    auto done = [on_done, s] { on_done(s); };
    if (op == lifecycle_op::unload)
      tools_.remove(e->config.id);
    if (op != lifecycle_op::load && op != lifecycle_op::init) {
      done();
      return;
    }
    // Load and init change what a plugin offers: its tools, and after load its metadata (a
    // script knows its name, version and dependencies only once loaded). A host of ours says
    // both in one answer.
    if (op == lifecycle_op::load && e->host && e->handle == handle) {
      take_description(e, done);
      return;
    }
    refresh_tools(e, handle, [this, op, e, handle, done] {
      if (op != lifecycle_op::load) {
        done();
        return;
      }
      ask<plugin_metadata>(
        handle, opts_.query_timeout,
        [this, e, done](plugin_metadata& md) {
          adopt_metadata(*e, std::move(md));
          done();
        },
        [done](caf::error&) { done(); }, metadata_atom::value);
    });
  };
  with_lifecycle_atom(op, [&](auto atom) {
    if constexpr (std::is_same<decltype(atom), load_atom>::value)
      ask<plugin_state>(handle, opts_.lifecycle_timeout, on_state, on_error, atom, e->config);
    else
      ask<plugin_state>(handle, opts_.lifecycle_timeout, on_state, on_error, atom);
  });
}

caf::result<plugin_state> manager_impl::one(lifecycle_op op, const std::string& id) {
  auto e = find(id);
  if (!e)
    return std::move(e.error());
  auto promise = make_response_promise<plugin_state>();
  send_step(op, *e, [promise, id](caf::expected<plugin_state> result) mutable {
    if (result)
      promise.deliver(std::move(*result));
    else
      promise.deliver(with_plugin(std::move(result.error()), id));
  });
  return promise;
}

caf::result<std::vector<std::string>> manager_impl::all(lifecycle_op op) {
  std::vector<plugin_metadata> plugins;
  for (const auto& [id, e] : entries_)
    plugins.push_back(e->metadata);
  auto waves = dependency_waves(plugins);
  if (!waves)
    return std::move(waves.error());
  auto step = std::make_shared<bulk_step>();
  step->op = op;
  step->waves = std::move(*waves);
  if (shutting_down(op)) {
    std::reverse(step->waves.begin(), step->waves.end());
    for (auto& wave : step->waves)
      std::reverse(wave.begin(), wave.end());
  }
  step->promise = make_response_promise<std::vector<std::string>>();
  run_wave(step);
  return step->promise;
}

void manager_impl::run_wave(std::shared_ptr<bulk_step> step) {
  while (step->wave < step->waves.size()) {
    const auto& wave = step->waves[step->wave];
    step->done.resize(wave.size(), false);
    while (step->next < wave.size() && step->in_flight < max_steps_in_flight) {
      auto index = step->next++;
      auto i = entries_.find(wave[index]);
      if (i == entries_.end())
        continue; // unregistered meanwhile
      ++step->in_flight;
      send_step(step->op, i->second, [this, step, index](caf::expected<plugin_state> result) {
        on_bulk_answer(step, index, std::move(result));
      });
    }
    if (step->in_flight > 0)
      return; // the answers go on with this wave
    // The wave is done: record it, then stop at an error (unless shutting down) or go on.
    for (std::size_t k = 0; k < wave.size(); ++k)
      if (step->done[k])
        step->stepped.push_back(wave[k]);
    if (step->first_error && !shutting_down(step->op))
      break;
    ++step->wave;
    step->next = 0;
    step->done.clear();
  }
  if (step->first_error)
    step->promise.deliver(std::move(step->first_error));
  else
    step->promise.deliver(std::move(step->stepped));
}

void manager_impl::on_bulk_answer(const std::shared_ptr<bulk_step>& step, std::size_t index,
                                  caf::expected<plugin_state> result) {
  --step->in_flight;
  const auto& id = step->waves[step->wave][index];
  if (result) {
    step->done[index] = true;
  } else {
    auto err = with_plugin(std::move(result.error()), id);
    bool skippable = shutting_down(step->op) && is_troupe_error(err)
                     && err.code() == static_cast<std::uint8_t>(errc::invalid_state);
    if (!skippable) {
      spdlog::warn("{} all: {}", to_string(step->op), describe(err));
      if (!step->first_error
          || (step->first_error_wave == step->wave && index < step->first_error_at)) {
        step->first_error = std::move(err);
        step->first_error_wave = step->wave;
        step->first_error_at = index;
      }
      if (!shutting_down(step->op))
        step->next = step->waves[step->wave].size(); // send no more of this wave
    }
  }
  if (step->in_flight == 0)
    run_wave(step);
}

} // namespace troupe::detail
