// The manager's reload: a plugin's new version is built beside the old one (a fresh actor from
// the plugin's factory: load, init), the old one's calls in flight finish while new requests are
// held, its state is exported and imported into the new version, which then starts and takes the
// old one's place between two requests. Any failure leaves the old version serving, unchanged.

#include <spdlog/spdlog.h>

#include "actors/manager_impl.hpp"
#include "messages/errors.hpp"

namespace troupe::detail {

namespace {

std::string version_of(const plugin_metadata& md) {
  return md.version.empty() ? std::string("(no version)") : md.version;
}

/// The steps that build a fresh actor up to `reached` without serving yet (load, init).
std::vector<lifecycle_op> build_steps(lifecycle_position reached) {
  if (reached.code == state_code::unloaded)
    return {};
  if (reached.initialized)
    return {lifecycle_op::load, lifecycle_op::init};
  return {lifecycle_op::load};
}

/// The steps that make a built actor serve as the old one did (start, pause).
std::vector<lifecycle_op> serve_steps(lifecycle_position reached) {
  if (reached.code == state_code::running)
    return {lifecycle_op::start};
  if (reached.code == state_code::paused)
    return {lifecycle_op::start, lifecycle_op::pause};
  return {};
}

} // namespace

caf::result<plugin_metadata> manager_impl::reload(const std::string& id) {
  auto found = find(id);
  if (!found)
    return std::move(found.error());
  auto e = *found;
  if (!e->supervised || !opts_.spawner)
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
  emit(event_kind::reload_started, id, "building version beside " + version_of(e->metadata));
  auto fresh = opts_.spawner->spawn(id, caf::actor_cast<manager_actor>(this),
                                    group_of(id).checkpoint_every);
  if (!fresh) {
    reload_failed(e, {}, fresh.error(), promise);
    return promise;
  }
  auto handle = *fresh;
  step_through(handle, e->config, build_steps(e->reached), 0,
               [this, e, handle, started, promise](caf::error err) mutable {
                 if (err) {
                   reload_failed(e, handle, err, promise);
                   return;
                 }
                 request(handle, opts_.query_timeout, metadata_atom::value).then(
                   [this, e, handle, started, promise](plugin_metadata& md) mutable {
                     swap_in(e, handle, std::move(md), started, promise);
                   },
                   [this, e, handle, promise](caf::error& err) mutable {
                     reload_failed(e, handle, err, promise);
                   });
               });
  return promise;
}

void manager_impl::swap_in(const entry_ptr& e, plugin_actor fresh, plugin_metadata fresh_md,
                           caf::actor_clock::time_point started,
                           caf::typed_response_promise<plugin_metadata> promise) {
  if (e->status != entry_status::up) {
    reload_failed(e, fresh, make_error(errc::unavailable, e->config.id,
                                       "the old version went down during the reload"),
                  promise);
    return;
  }
  // From here on requests are held until the new version serves (or the old one again).
  e->status = entry_status::swapping;
  e->down_reason = "swapping in the new version";
  auto old = e->handle;
  auto carry = [this, e, fresh, fresh_md, started, promise, old]() mutable {
    if (e->status != entry_status::swapping || e->handle != old) {
      reload_failed(e, fresh, make_error(errc::unavailable, e->config.id,
                                         "the old version went down during the reload"),
                    promise);
      return;
    }
    auto finish = [this, e, fresh, fresh_md, started, promise, old](caf::error err) mutable {
      if (err || e->status != entry_status::swapping || e->handle != old) {
        if (!err)
          err = make_error(errc::unavailable, e->config.id,
                           "the old version went down during the reload");
        reload_failed(e, fresh, err, promise);
        if (e->status == entry_status::swapping && e->handle == old)
          serve_again(e); // the old version serves on, unchanged
        return;
      }
      auto old_md = e->metadata;
      demonitor(old.address());
      end_probation(e); // an earlier version still kept aside goes now
      if (auto n = group_of(e->config.id).rollback_after; n > 0) {
        e->previous = old; // kept aside until the new version passes its first calls
        e->previous_metadata = old_md;
        e->probation_left = n;
        e->probation_failures = 0;
      } else {
        anon_send_exit(old, caf::exit_reason::user_shutdown);
      }
      e->handle = fresh;
      monitor(fresh);
      adopt_metadata(*e, std::move(fresh_md));
      e->reloading = false;
      e->reload_failures = 0;
      ++e->reloads;
      auto took = std::chrono::duration_cast<std::chrono::microseconds>(clock().now() - started);
      emit(event_kind::reload_completed, e->config.id,
           version_of(old_md) + " -> " + version_of(e->metadata) + " in "
             + std::to_string(took.count()) + " us");
      serve_again(e);
      // The reload answers once the tool directory lists the new version's tools.
      refresh_tools(e, fresh, [e, promise]() mutable { promise.deliver(e->metadata); });
    };
    auto serve = [this, e, fresh, finish]() mutable {
      step_through(fresh, e->config, serve_steps(e->reached), 0, finish);
    };
    if (e->reached.code == state_code::unloaded || !group_of(e->config.id).preserve_state) {
      serve();
      return;
    }
    request(old, opts_.query_timeout, export_atom::value).then(
      [this, fresh, serve, finish](payload& state) mutable {
        request(fresh, opts_.lifecycle_timeout, import_atom::value, std::move(state)).then(
          [serve](plugin_state&) mutable { serve(); },
          [finish](caf::error& err) mutable {
            finish(make_error(errc::plugin_failed, plugin_of(err),
                              "the new version refused the carried state: " + detail_of(err)));
          });
      },
      [serve, finish](caf::error& err) mutable {
        if (is_troupe_error(err) && err.code() == static_cast<std::uint8_t>(errc::not_found))
          serve(); // the plugin keeps no state: nothing to carry
        else
          finish(make_error(errc::plugin_failed, plugin_of(err),
                            "exporting the old version's state failed: " + detail_of(err)));
      });
  };
  if (e->in_flight.empty())
    carry();
  else
    e->on_drained = std::move(carry);
}

void manager_impl::end_probation(const entry_ptr& e) {
  if (e->previous)
    anon_send_exit(e->previous, caf::exit_reason::user_shutdown);
  e->previous = nullptr;
  e->probation_left = 0;
  e->probation_failures = 0;
}

void manager_impl::on_probation(const entry_ptr& e, bool ok) {
  --e->probation_left;
  if (ok) {
    end_probation(e);
    return;
  }
  ++e->probation_failures;
  if (e->probation_left > 0 || !e->previous || e->status != entry_status::up)
    return;
  // Every call on probation failed: the previous version, with its state as of the swap, serves
  // again. Calls still in flight on the new version are answered here.
  const auto& id = e->config.id;
  auto failed_md = e->metadata;
  auto why = "version " + version_of(failed_md) + " failed its first "
             + std::to_string(e->probation_failures) + " calls; version "
             + version_of(e->previous_metadata) + " serves again";
  fail_in_flight(e, make_error(errc::unavailable, id, "rolled back: " + why));
  demonitor(e->handle.address());
  anon_send_exit(e->handle, caf::exit_reason::user_shutdown);
  e->handle = e->previous;
  e->metadata = e->previous_metadata;
  e->previous = nullptr;
  e->probation_failures = 0;
  monitor(e->handle);
  refresh_tools(e, e->handle, [] {});
  emit(event_kind::rolled_back, id, why);
}

void manager_impl::reload_failed(const entry_ptr& e, const plugin_actor& fresh,
                                 const caf::error& err,
                                 caf::typed_response_promise<plugin_metadata> promise) {
  if (fresh)
    anon_send_exit(fresh, caf::exit_reason::user_shutdown);
  e->reloading = false;
  ++e->reload_failures;
  auto why = is_troupe_error(err) ? detail_of(err) : describe(err);
  emit(event_kind::reload_failed, e->config.id, why + "; the old version serves on", {},
       e->reload_failures);
  promise.deliver(make_error(errc::load_failed, e->config.id,
                             "reload failed, the old version serves on: " + why));
}

} // namespace troupe::detail
