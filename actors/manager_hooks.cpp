// The manager's hook pipeline (docs/hooks.md): the plugins with agent hooks in order, a tool call
// wrapped by before_tool_call and after_tool_call hooks, and the model hook points run for a
// plugin that asks (the llm plugin, around each of its calls).

#include <algorithm>

#include "actors/manager_impl.hpp"
#include "actors/plugin_directory.hpp"
#include "messages/cluster_protocol.hpp"
#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe::detail {

/// One hook point's hooks run over one value, one plugin after another.
struct hook_pass {
  hook_call call;
  std::vector<hook_stage> stages;
  std::size_t next = 0;
  /// Gets the verdict (replace with the final value, or short_circuit) or the failure.
  std::function<void(caf::expected<hook_verdict>, hook_call&)> done;
};

/// A tool call wrapped by hooks: who gets the answer, the tool, and the after hooks to run.
struct tool_run {
  caf::typed_response_promise<payload> promise;
  std::string name;   ///< As the caller named it.
  std::string plugin; ///< The tool's plugin; "" when another node's.
  std::string tool;   ///< Its name within the plugin.
  std::vector<hook_stage> after;
};

namespace {

/// The state a call's hooks start with: an empty map (a Lua hook sets ctx.state.x directly).
payload empty_state() {
  return pack(std::map<std::string, int>{});
}

bool is_nil(const payload& p) {
  return p.bytes.empty() || (p.bytes.size() == 1 && p.bytes[0] == 0xc0);
}

bool has_hook(const plugin_metadata& md, hook_point point) {
  const char* name = to_string(point);
  return std::find(md.hooks.begin(), md.hooks.end(), name) != md.hooks.end();
}

} // namespace

const std::vector<entry_ptr>& manager_impl::hook_chain() {
  if (!hook_chain_dirty_)
    return hook_chain_;
  hook_chain_.clear();
  for (const auto& [id, e] : entries_)
    if (!e->metadata.hooks.empty())
      hook_chain_.push_back(e);
  std::stable_sort(hook_chain_.begin(), hook_chain_.end(), [](const entry_ptr& a, const entry_ptr& b) {
    if (a->metadata.hook_priority != b->metadata.hook_priority)
      return a->metadata.hook_priority < b->metadata.hook_priority;
    return a->registered_seq < b->registered_seq;
  });
  hook_chain_dirty_ = false;
  return hook_chain_;
}

caf::expected<std::vector<hook_stage>> manager_impl::hook_stages(hook_point point) {
  std::vector<hook_stage> stages;
  for (const auto& e : hook_chain()) {
    if (!has_hook(e->metadata, point) || e->reached.code != state_code::running)
      continue; // a hook plugin that was stopped (or never started) takes no part
    if (e->status == entry_status::failed)
      return make_error(errc::unavailable, e->config.id,
                        std::string("its ") + to_string(point) + " hook cannot run: the plugin "
                          "is down for good (" + e->down_reason + "); calls fail until it is "
                          "back or stopped");
    stages.push_back({e->config.id, e->handle});
  }
  if (!runs_before(point)) // after hooks unwind: the first hook in sees the result last
    std::reverse(stages.begin(), stages.end());
  return stages;
}

caf::result<std::vector<plugin_info>> manager_impl::hooks_in_order() {
  std::vector<plugin_info> out;
  for (const auto& e : hook_chain()) {
    auto state = e->status == entry_status::up ? plugin_state{e->reached.code, {}}
                                               : state_when_down(*e);
    out.push_back(plugin_info{e->metadata, std::move(state)});
  }
  return out;
}

void manager_impl::run_pass(std::shared_ptr<hook_pass> pass) {
  if (pass->next == pass->stages.size()) {
    pass->done(hook_verdict::replace(pass->call.value), pass->call);
    return;
  }
  auto stage = pass->stages[pass->next++];
  auto point = pass->call.point;
  ask<payload>(
    stage.handle, opts_.hook_timeout,
    [this, pass, id = stage.id](payload& answer) {
      payload state;
      auto verdict = decode_verdict(answer, state, id);
      if (!verdict) {
        pass->done(std::move(verdict.error()), pass->call);
        return;
      }
      auto& call = pass->call;
      call.ctx.state = std::move(state);
      if (verdict->action == hook_action::keep) {
        run_pass(pass);
        return;
      }
      call.value = std::move(verdict->value);
      call.ctx.error_code.reset(); // a value replaces the failure an after hook saw
      call.ctx.error_message.clear();
      if (call.point == hook_point::before_tool_call)
        call.args = call.value;
      if (verdict->action == hook_action::short_circuit) // no later hook runs
        pass->done(runs_before(call.point) ? hook_verdict::short_circuit(call.value)
                                           : hook_verdict::replace(call.value),
                   call);
      else
        run_pass(pass);
    },
    [pass, id = stage.id, point](caf::error& err) {
      if (err == caf::sec::request_timeout)
        err = make_error(errc::timeout, id, std::string("its ") + to_string(point)
                                              + " hook did not answer in time");
      pass->done(with_plugin(std::move(err), id), pass->call);
    },
    hook_atom::value, std::string(to_string(point)), encode_hook_call(pass->call));
}

caf::result<payload> manager_impl::call_tool(const std::string& name, payload args,
                                             std::string agent) {
  auto before = hook_stages(hook_point::before_tool_call);
  auto after = hook_stages(hook_point::after_tool_call);
  if (before && after && before->empty() && after->empty())
    return call_tool_directly(name, std::move(args));
  auto tool = tools_.resolve(name);
  bool remote = !tool && tool.error().code() == static_cast<std::uint8_t>(errc::not_found)
                && cluster_member_;
  if (!tool && !remote)
    return std::move(tool.error());
  if (!before)
    return std::move(before.error());
  if (!after)
    return std::move(after.error());
  auto run = std::make_shared<tool_run>();
  run->promise = make_response_promise<payload>();
  run->name = name;
  if (tool) {
    run->plugin = tool->plugin;
    run->tool = tool->name;
  }
  run->after = std::move(*after);
  auto pass = std::make_shared<hook_pass>();
  pass->call.point = hook_point::before_tool_call;
  pass->call.tool = tool ? tool->name : name;
  pass->call.args = args;
  pass->call.value = std::move(args);
  pass->call.ctx.call_id = next_hook_call_++;
  pass->call.ctx.agent = std::move(agent);
  pass->call.ctx.state = empty_state();
  pass->stages = std::move(*before);
  pass->done = [this, run](caf::expected<hook_verdict> v, hook_call& call) {
    if (!v)
      run->promise.deliver(std::move(v.error()));
    else if (v->action == hook_action::short_circuit)
      run->promise.deliver(std::move(v->value));
    else
      run_hooked_tool(run, std::move(call));
  };
  run_pass(pass);
  return run->promise;
}

void manager_impl::run_hooked_tool(std::shared_ptr<tool_run> run, hook_call call) {
  auto then = [this, run, call](caf::expected<payload> out) mutable {
    auto pass = std::make_shared<hook_pass>();
    pass->call = std::move(call);
    pass->call.point = hook_point::after_tool_call;
    caf::error failure;
    if (out) {
      pass->call.value = std::move(*out);
    } else {
      failure = std::move(out.error());
      pass->call.value = nil_payload();
      pass->call.ctx.error_code = code_name(failure);
      pass->call.ctx.error_message = detail_of(failure);
    }
    pass->stages = std::move(run->after);
    pass->done = [run, failure](caf::expected<hook_verdict> v, hook_call& final_call) {
      if (!v)
        run->promise.deliver(std::move(v.error()));
      else if (failure && final_call.ctx.error_code) // no hook turned the failure into a value
        run->promise.deliver(failure);
      else
        run->promise.deliver(std::move(v->value));
    };
    run_pass(pass);
  };
  auto on_ok = [then](payload& out) mutable { then(std::move(out)); };
  auto on_error = [then, id = run->plugin.empty() ? run->name : run->plugin](caf::error& err) mutable {
    then(with_plugin(std::move(err), id));
  };
  if (run->plugin.empty()) { // another node's tool: its member asks the others
    ask<payload>(caf::actor_cast<node_actor>(cluster_member_), opts_.hooked_tool_timeout,
                 std::move(on_ok), std::move(on_error), call_tool_atom::value, run->name,
                 call.args);
    return;
  }
  auto address = local_address(run->plugin);
  if (!address) {
    on_error(address.error());
    return;
  }
  ask<payload>(*address, opts_.hooked_tool_timeout, std::move(on_ok), std::move(on_error),
               call_tool_atom::value, run->tool, call.args);
}

caf::expected<plugin_actor> manager_impl::local_address(const std::string& id) {
  auto e = find(id);
  if (e)
    return (*e)->handle;
  if (opts_.directory)
    if (auto replica = opts_.directory->find(id))
      return replica;
  return not_here(id, std::move(e.error()));
}

caf::result<payload> manager_impl::run_model_hooks(const std::string& point_name, payload input) {
  auto point = hook_point_named(point_name);
  if (!point || (*point != hook_point::before_model_call && *point != hook_point::after_model_call))
    return make_error(errc::bad_input, "troupe.hooks",
                      "'" + point_name + "' is not a model hook point (before_model_call, "
                                         "after_model_call)");
  auto call = decode_hook_call(*point, input, "troupe.hooks");
  if (!call)
    return std::move(call.error());
  auto stages = hook_stages(*point);
  if (!stages)
    return std::move(stages.error());
  if (call->ctx.call_id == 0)
    call->ctx.call_id = next_hook_call_++;
  if (is_nil(call->ctx.state))
    call->ctx.state = empty_state();
  auto promise = make_response_promise<payload>();
  auto pass = std::make_shared<hook_pass>();
  pass->call = std::move(*call);
  pass->stages = std::move(*stages);
  pass->done = [promise](caf::expected<hook_verdict> v, hook_call& final_call) mutable {
    if (!v)
      promise.deliver(std::move(v.error()));
    else
      promise.deliver(encode_pipeline_answer(*v, final_call.ctx));
  };
  run_pass(pass);
  return promise;
}

} // namespace troupe::detail
