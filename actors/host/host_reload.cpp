// A host's reload: the new version is built inside the host (load, init), the old version's
// suspended calls finish while new ones are held, its state is exported and imported into the new
// version, which then starts and takes over between two calls. The old version is kept aside
// until the new one passes its first calls (probation); if they all fail it serves again. Any
// failure before the swap leaves the old version serving, unchanged.

#include "actors/host/plugin_host_impl.hpp"

#include <spdlog/spdlog.h>

#include "messages/errors.hpp"

namespace troupe::detail {

namespace {

std::string version_of(const plugin_metadata& md) {
  return md.version.empty() ? std::string("(no version)") : md.version;
}

/// Where a new version is built to before the swap: the old one's position without serving.
lifecycle_position build_target(lifecycle_position old) {
  if (old.code == state_code::unloaded)
    return old;
  return {state_code::loaded, old.initialized};
}

} // namespace

caf::result<plugin_metadata> plugin_host::on_reload() {
  if (!opts_.rebuild)
    return make_error(errc::invalid_state, id_,
                      "cannot reload: the runtime has no factory to build it again");
  if (reloading_)
    return make_error(errc::invalid_state, id_, "a reload of this plugin is under way");
  if (mode_ != host_mode::serving || !instance_)
    return make_error(errc::unavailable, id_, "cannot reload while it is not up: " + reason_);
  auto fresh = build(build_target(instance_->position()), false);
  if (!fresh)
    return std::move(fresh.error());
  reloading_ = true;
  staged_ = std::move(*fresh);
  auto promise = make_response_promise<plugin_metadata>();
  if (waiting_.empty()) {
    swap_in(promise);
    return promise;
  }
  // Calls suspended on other plugins finish on the old version; new ones wait for the swap.
  mode_ = host_mode::holding;
  reason_ = "swapping in the new version";
  on_drained_ = [this, promise]() mutable { swap_in(promise); };
  return promise;
}

void plugin_host::swap_in(caf::typed_response_promise<plugin_metadata> promise) {
  if (!instance_ || !staged_) {
    reload_failed(make_error(errc::unavailable, id_, "the old version went down during the reload"),
                  promise);
    return;
  }
  if (auto err = prepare_staged()) {
    reload_failed(std::move(err), promise);
    return;
  }
  end_probation(); // an earlier version still kept aside goes now
  if (auto n = opts_.group.rollback_after; n > 0) {
    previous_ = std::move(instance_); // kept aside until the new version passes its first calls
    probation_left_ = n;
    probation_failures_ = 0;
  }
  instance_ = std::move(staged_);
  ++generation_; // new code: a spare of the old one is stale
  spare_.reset();
  reloading_ = false;
  mode_ = host_mode::serving;
  reason_.clear();
  serve_held();
  promise.deliver(instance_ ? instance_->metadata() : last_metadata_);
}

caf::error plugin_host::prepare_staged() {
  auto old = instance_->position();
  if (old.code != state_code::unloaded && opts_.group.preserve_state) {
    auto state = instance_->export_state();
    if (state) {
      if (auto in = staged_->import_state(*state); !in)
        return make_error(errc::plugin_failed, id_,
                          "the new version refused the carried state: " + detail_of(in.error()));
    } else if (!(is_troupe_error(state.error())
                 && state.error().code() == static_cast<std::uint8_t>(errc::not_found))) {
      return make_error(errc::plugin_failed, id_, "exporting the old version's state failed: "
                                                    + detail_of(state.error()));
    } // not_found: the plugin keeps no state, nothing to carry
  }
  auto at = staged_->step_to(old);
  return at ? caf::error{} : std::move(at.error());
}

void plugin_host::reload_failed(caf::error err,
                                caf::typed_response_promise<plugin_metadata> promise) {
  staged_.reset();
  reloading_ = false;
  if (mode_ == host_mode::holding && instance_) { // the old version serves on, unchanged
    mode_ = host_mode::serving;
    reason_.clear();
    serve_held();
  }
  promise.deliver(std::move(err));
}

void plugin_host::end_probation() {
  previous_.reset();
  probation_left_ = 0;
  probation_failures_ = 0;
}

void plugin_host::on_probation(bool ok) {
  --probation_left_;
  if (ok) {
    end_probation();
    return;
  }
  ++probation_failures_;
  if (probation_left_ > 0 || !previous_)
    return;
  // Every call on probation failed: the previous version, with its state as of the swap, serves
  // again. Calls of the new version still waiting are answered here.
  auto failed_md = instance_->metadata();
  auto back_md = previous_->metadata();
  auto why = "version " + version_of(failed_md) + " failed its first "
             + std::to_string(probation_failures_) + " calls; version " + version_of(back_md)
             + " serves again";
  spdlog::warn("plugin '{}': rolled back: {}", id_, why);
  fail_waiting("rolled back: " + why);
  instance_ = std::move(previous_);
  probation_failures_ = 0;
  ++generation_;
  spare_.reset();
  if (opts_.manager)
    send(caf::actor_cast<host_report_actor>(opts_.manager), rollback_atom::value, id_, why,
         back_md);
}

} // namespace troupe::detail
