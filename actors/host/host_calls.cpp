// A host's calls: execute, tools and functions run on its plugin object, one at a time; a call
// that calls another plugin is suspended until that answer arrives, while others are served.

#include "actors/host/plugin_host_impl.hpp"

#include "actors/plugin_directory.hpp"
#include "messages/errors.hpp"
#include "messages/json_codec.hpp"

namespace troupe::detail {

namespace {

using clock_type = std::chrono::steady_clock;

/// Answers a promise with a value or an error.
void deliver(caf::typed_response_promise<payload>& promise, caf::expected<payload> out) {
  if (out)
    promise.deliver(std::move(*out));
  else
    promise.deliver(std::move(out.error()));
}

/// Answers a suspended call: its batch's slot, or its promise.
void deliver(waiting_call& w, caf::expected<payload> out) {
  if (w.done)
    w.done(std::move(out));
  else
    deliver(w.promise, std::move(out));
}

call_outcome outcome_of(caf::expected<payload> out) {
  call_outcome o;
  if (out)
    o.output = std::move(*out);
  else
    o.error = std::move(out.error());
  return o;
}

} // namespace

caf::result<payload> plugin_host::on_call(invocation inv) {
  switch (mode_) {
    case host_mode::serving:
      return invoke(std::move(inv));
    case host_mode::holding: {
      auto promise = make_response_promise<payload>();
      hold(std::move(inv), promise);
      return promise;
    }
    case host_mode::retired:
      return make_error(errc::unavailable, id_, "stopped for good: " + reason_);
    default: // crashed, hung: queued before the crash or the hang was given up
      return make_error(errc::crashed, id_, reason_);
  }
}

void plugin_host::probe_begin(bool request, clock_type::time_point now) {
  if (!opts_.probe)
    return;
  if (request)
    opts_.probe->begin(current_sender().get(), current_message_id(), now);
  else
    opts_.probe->begin(nullptr, caf::message_id{}, now);
}

bool plugin_host::probe_end() {
  return !opts_.probe || opts_.probe->end();
}

caf::result<payload> plugin_host::invoke(invocation inv) {
  if (auto err = instance_->refuse(inv)) {
    stats_.record_rejected();
    return err;
  }
  auto started = clock_type::now();
  probe_begin(true, started);
  auto step = instance_->begin(inv);
  if (!probe_end()) {
    on_hang_ended();
    return caf::delegated<payload>{}; // the watchdog answered this call
  }
  if (!step)
    return finish(started, std::move(step.error()));
  if (!step->call)
    return finish(started, std::move(step->result));
  auto promise = make_response_promise<payload>();
  drive(std::move(*step), waiting_call{promise, started, {}});
  return promise;
}

void plugin_host::run_held(invocation inv, caf::typed_response_promise<payload> promise) {
  if (auto err = instance_->refuse(inv)) {
    stats_.record_rejected();
    promise.deliver(std::move(err));
    return;
  }
  auto started = clock_type::now();
  probe_begin(false, started); // its caller is not the current message's sender
  auto step = instance_->begin(inv);
  if (!probe_end()) {
    on_hang_ended();
    promise.deliver(make_error(errc::crashed, id_, reason_));
    return;
  }
  if (!step)
    deliver(promise, finish(started, std::move(step.error())));
  else if (!step->call)
    deliver(promise, finish(started, std::move(step->result)));
  else
    drive(std::move(*step), waiting_call{promise, started, {}});
}

caf::expected<payload> plugin_host::finish(clock_type::time_point started,
                                           caf::expected<payload> out) {
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - started);
  stats_.record(static_cast<std::uint64_t>(nanos.count()), !out);
  if (!out) {
    auto err = attribute(std::move(out.error()), id_);
    if (is_fatal(err))
      return crash(detail_of(err));
    if (probation_left_ > 0)
      on_probation(false);
    return err;
  }
  if (auto err = instance_->after_success(); is_fatal(err))
    crash(detail_of(err)); // this call's answer stands; the checkpoint crashed the plugin
  else if (probation_left_ > 0)
    on_probation(true);
  return out;
}

bool plugin_host::is_pipeline_target(const std::string& target) {
  return target == tools_target
         || target.compare(0, hook_target_prefix.size(), hook_target_prefix) == 0
         || target.compare(0, tool_target_prefix.size(), tool_target_prefix) == 0;
}

namespace {

/// The tools as a msgpack array of {plugin, name, description, parameters} (parameters as the
/// JSON Schema's value, not its text), for an agent script to hand a model.
payload tools_payload(const std::vector<tool_info>& tools) {
  auto list = nlohmann::json::array();
  for (const auto& t : tools) {
    auto schema = nlohmann::json::parse(t.parameters.empty() ? "{\"type\":\"object\"}"
                                                             : t.parameters,
                                        nullptr, false);
    if (schema.is_discarded())
      schema = {{"type", "object"}};
    list.push_back({{"plugin", t.plugin}, {"name", t.name}, {"description", t.description},
                    {"parameters", std::move(schema)}});
  }
  return payload_from_json(list);
}

} // namespace

template <class OnOk, class OnError>
void plugin_host::ask_pipeline(outgoing_call call, OnOk on_ok, OnError on_error) {
  if (call.target == tools_target) {
    request(opts_.manager, call.timeout, tools_atom::value)
      .then([on_ok](std::vector<tool_info>& tools) mutable {
              auto listed = tools_payload(tools);
              on_ok(listed);
            },
            std::move(on_error));
    return;
  }
  if (call.target.compare(0, tool_target_prefix.size(), tool_target_prefix) == 0) {
    auto tool = call.target.substr(tool_target_prefix.size());
    request(opts_.manager, call.timeout, call_tool_atom::value, std::move(tool),
            std::move(call.input), id_)
      .then(std::move(on_ok), std::move(on_error));
    return;
  }
  auto point = call.target.substr(hook_target_prefix.size());
  request(opts_.manager, call.timeout, hook_atom::value, std::move(point), std::move(call.input))
    .then(std::move(on_ok), std::move(on_error));
}

void plugin_host::drive(call_step step, waiting_call w) {
  plugin_actor target;
  while (step.call) {
    if (opts_.manager && is_pipeline_target(step.call->target))
      break;
    target = opts_.directory ? opts_.directory->find(step.call->target) : plugin_actor{};
    if (target || opts_.manager)
      break;
    step = instance_->resume(step.ticket,
                             make_error(errc::unavailable, step.call->target,
                                        "this plugin's host has no manager to call"));
  }
  if (!step.call) {
    deliver(w, finish(w.started, std::move(step.result)));
    return;
  }
  auto ticket = step.ticket;
  auto call = std::move(*step.call);
  w.target = call.target;
  waiting_[ticket] = std::move(w);
  auto on_ok = [this, ticket](payload& out) { on_answer(ticket, std::move(out)); };
  auto on_error = [this, ticket, target = call.target, timeout = call.timeout](caf::error& err) {
    if (err == caf::sec::request_timeout)
      err = make_error(errc::timeout, target,
                       "no answer within " + std::to_string(timeout.count()) + " ms");
    on_answer(ticket, std::move(err));
  };
  if (is_pipeline_target(call.target)) {
    ask_pipeline(std::move(call), std::move(on_ok), std::move(on_error));
    return;
  }
  router_actor router;
  if (!target && opts_.directory && opts_.directory->hosted_elsewhere(call.target))
    router = opts_.directory->router(); // only other nodes host it: their router, not the manager
  if (target)
    request(target, call.timeout, execute_atom::value, std::move(call.input))
      .then(std::move(on_ok), std::move(on_error));
  else if (router)
    request(router, call.timeout, execute_atom::value, call.target, std::move(call.input))
      .then(std::move(on_ok), std::move(on_error));
  else // not in this process's directory: the manager knows, or says why not
    request(opts_.manager, call.timeout, execute_atom::value, call.target, std::move(call.input))
      .then(std::move(on_ok), std::move(on_error));
}

void plugin_host::on_answer(std::uint64_t ticket, caf::expected<payload> answer) {
  auto i = waiting_.find(ticket);
  if (i == waiting_.end() || !instance_)
    return; // answered already (unloaded, crashed or swapped meanwhile)
  auto w = std::move(i->second);
  waiting_.erase(i);
  probe_begin(false, clock_type::now());
  auto step = instance_->resume(ticket, std::move(answer));
  if (!probe_end()) {
    on_hang_ended();
    deliver(w, make_error(errc::crashed, id_, reason_));
    return;
  }
  drive(std::move(step), std::move(w));
  if (waiting_.empty() && on_drained_) {
    auto drained = std::move(on_drained_);
    on_drained_ = nullptr;
    drained();
  }
}

void plugin_host::fail_waiting(const std::string& why) {
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& [ticket, w] : waiting) {
    if (instance_)
      instance_->abandon(ticket);
    auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now()
                                                                      - w.started);
    stats_.record(static_cast<std::uint64_t>(nanos.count()), true);
    deliver(w, make_error(errc::unavailable, id_,
                          "call waiting on plugin '" + w.target + "' was dropped: " + why));
  }
}

caf::result<std::vector<call_outcome>> plugin_host::on_batch(std::vector<payload> batch) {
  std::vector<call_outcome> done;
  done.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (mode_ != host_mode::serving) // holding, crashed, ...: the usual path decides
      return batch_rest(batch, i, std::move(done), std::nullopt, {});
    invocation inv{invocation::kind::execute, {}, std::move(batch[i])};
    if (auto err = instance_->refuse(inv)) {
      stats_.record_rejected();
      done.push_back(outcome_of(std::move(err)));
      continue;
    }
    auto started = clock_type::now();
    probe_begin(true, started); // a hang is answered to the batch's caller
    auto step = instance_->begin(inv);
    if (!probe_end()) {
      on_hang_ended();
      return caf::delegated<std::vector<call_outcome>>{}; // the watchdog answered the batch
    }
    if (!step)
      done.push_back(outcome_of(finish(started, std::move(step.error()))));
    else if (step->call)
      return batch_rest(batch, i + 1, std::move(done), std::move(*step), started);
    else
      done.push_back(outcome_of(finish(started, std::move(step->result))));
  }
  return done;
}

caf::result<std::vector<call_outcome>>
plugin_host::batch_rest(std::vector<payload>& batch, std::size_t next,
                        std::vector<call_outcome> done, std::optional<call_step> suspended,
                        clock_type::time_point started) {
  auto promise = make_response_promise<std::vector<call_outcome>>();
  auto first = done.size(); // the slot of the suspended input, or of batch[next]
  auto out = std::make_shared<std::vector<call_outcome>>(std::move(done));
  out->resize(batch.size());
  auto left = std::make_shared<std::size_t>(batch.size() - first);
  auto settle = [promise, out, left]() mutable {
    if (--*left == 0)
      promise.deliver(std::move(*out));
  };
  if (suspended) {
    waiting_call w{{}, started, {}, {}};
    w.done = [out, first, settle](caf::expected<payload> answer) mutable {
      (*out)[first] = outcome_of(std::move(answer));
      settle();
    };
    drive(std::move(*suspended), std::move(w));
  }
  auto me = caf::actor_cast<plugin_actor>(this);
  for (std::size_t i = next; i < batch.size(); ++i)
    request(me, caf::infinite, execute_atom::value, std::move(batch[i]))
      .then(
        [out, i, settle](payload& p) mutable {
          (*out)[i].output = std::move(p);
          settle();
        },
        [out, i, settle](caf::error& err) mutable {
          (*out)[i].error = std::move(err);
          settle();
        });
  return promise;
}

} // namespace troupe::detail
