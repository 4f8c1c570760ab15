#pragma once
// A plugin whose behaviour a test scripts: which hooks fail (with an error, a foreign CAF error or
// an exception), its metadata, and a shared log that records every hook call in order.
//
// execute: a msgpack string input of "throw" throws std::runtime_error("execute exploded on
// purpose"), "fail" returns a bad_input error without a plugin name, "fail-foreign" returns a CAF
// system error; anything else is echoed back. Every execute first busy-waits `busy` (measured on
// steady_clock), so its latency is at least that long: a lower bound, not a wait for an actor.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/sec.hpp>

#include "actors/lifecycle.hpp"
#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/api/plugin.hpp"

namespace troupe::test {

/// A thread-safe record of "<plugin>:<hook>" entries, in call order.
class hook_log {
public:
  void add(std::string entry) {
    std::lock_guard<std::mutex> guard{mutex_};
    entries_.push_back(std::move(entry));
  }

  std::vector<std::string> entries() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return entries_;
  }

  /// The plugins that ran `hook`, in order ("start" -> {"db", "cache"}).
  std::vector<std::string> plugins_that_ran(const std::string& hook) const {
    std::vector<std::string> result;
    auto suffix = ":" + hook;
    for (const auto& e : entries())
      if (e.size() > suffix.size() && e.compare(e.size() - suffix.size(), suffix.size(), suffix) == 0)
        result.push_back(e.substr(0, e.size() - suffix.size()));
    return result;
  }

private:
  mutable std::mutex mutex_;
  std::vector<std::string> entries_;
};

/// How a scripted hook misbehaves.
enum class failure { error, foreign_error, exception };

struct script {
  std::string id = "scripted";
  plugin_type type{plugin_kind::tool, {}};
  std::int32_t priority = 0;
  std::vector<std::string> dependencies;
  std::map<lifecycle_op, failure> failing_hooks;
  std::shared_ptr<hook_log> log = std::make_shared<hook_log>();
  std::chrono::microseconds busy{0};
};

class scripted_plugin final : public plugin {
public:
  explicit scripted_plugin(script s) : script_(std::move(s)) {}

  plugin_metadata metadata() const override {
    plugin_metadata m;
    m.id = script_.id;
    m.name = "Scripted " + script_.id;
    m.version = "0.0.1";
    m.description = "A plugin scripted by a test";
    m.type = script_.type;
    m.capabilities = {"echo"};
    m.priority = script_.priority;
    m.dependencies = script_.dependencies;
    return m;
  }

  caf::error load(plugin_context& ctx) override { return hook(ctx, lifecycle_op::load); }
  caf::error init(plugin_context& ctx) override { return hook(ctx, lifecycle_op::init); }
  caf::error start(plugin_context& ctx) override { return hook(ctx, lifecycle_op::start); }
  caf::error pause(plugin_context& ctx) override { return hook(ctx, lifecycle_op::pause); }
  caf::error resume(plugin_context& ctx) override { return hook(ctx, lifecycle_op::resume); }
  caf::error stop(plugin_context& ctx) override { return hook(ctx, lifecycle_op::stop); }
  caf::error unload(plugin_context& ctx) override { return hook(ctx, lifecycle_op::unload); }

  caf::expected<payload> execute(plugin_context&, const payload& input) override {
    auto until = std::chrono::steady_clock::now() + script_.busy;
    while (std::chrono::steady_clock::now() < until) {
      // busy: gives every call a known minimum latency
    }
    ++executes_;
    auto text = unpack_as<std::string>(input);
    if (text && *text == "throw")
      throw std::runtime_error("execute exploded on purpose");
    if (text && *text == "fail")
      return make_error(errc::bad_input, "", "told to fail");
    if (text && *text == "fail-foreign")
      return caf::make_error(caf::sec::unexpected_message);
    return input;
  }

  std::map<std::string, std::int64_t> counters() const override {
    return {{"executes", executes_}};
  }

private:
  caf::error hook(plugin_context& ctx, lifecycle_op op) {
    script_.log->add(ctx.plugin_id() + ":" + to_string(op));
    auto i = script_.failing_hooks.find(op);
    if (i == script_.failing_hooks.end())
      return {};
    switch (i->second) {
      case failure::error:
        return make_error(errc::plugin_failed, "", std::string(to_string(op)) + " refused");
      case failure::foreign_error:
        return caf::make_error(caf::sec::invalid_argument);
      case failure::exception:
        throw std::runtime_error(std::string(to_string(op)) + " exploded on purpose");
    }
    return {};
  }

  script script_;
  std::int64_t executes_ = 0;
};

/// Makes a scripted plugin instance.
inline std::unique_ptr<plugin> make_scripted(script s) {
  return std::make_unique<scripted_plugin>(std::move(s));
}

} // namespace troupe::test
