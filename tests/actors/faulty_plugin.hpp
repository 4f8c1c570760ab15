#pragma once
// A native plugin whose faults the tests inject through its input, for the supervision tests:
//   "crash"   throws (a crash)            "fatal"   returns errc::fatal (a crash)
//   "fail"    returns bad_input (no crash) "inc"     adds 1 to its counter and answers it
//   "hang:N"  blocks its thread N ms      "instance" answers which instance (1, 2, ...) it is
//   anything else is echoed.
// Its counter is its state: checkpointed and restored. Instances of one id share a control
// block through which a test counts instances and turns health checks bad.

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "messages/msgpack_codec.hpp"
#include "plugins/api/plugin.hpp"

namespace troupe::test {

/// Shared by every instance the factory makes.
struct fault_control {
  std::atomic<int> instances{0};
  std::atomic<bool> healthy{true};
  std::atomic<int> hang_load_of{0}; ///< The instance (1, 2, ...) whose load blocks hang_load_ms.
  std::atomic<int> hang_load_ms{0};
};

class faulty_plugin final : public plugin {
public:
  faulty_plugin(std::string id, std::shared_ptr<fault_control> control)
    : id_(std::move(id)), control_(std::move(control)), instance_(++control_->instances) {
  }

  plugin_metadata metadata() const override {
    plugin_metadata md;
    md.id = id_;
    md.name = "faulty";
    md.version = "1.0.0";
    return md;
  }

  caf::expected<payload> execute(plugin_context& ctx, const payload& input) override {
    auto text = unpack_as<std::string>(input);
    if (!text)
      return input;
    if (*text == "crash")
      throw std::runtime_error("crash on purpose");
    if (*text == "fatal")
      return make_error(errc::fatal, ctx.plugin_id(), "fatal on purpose");
    if (*text == "fail")
      return make_error(errc::bad_input, ctx.plugin_id(), "told to fail");
    if (*text == "inc")
      return pack(++count_);
    if (*text == "instance")
      return pack(instance_);
    if (text->rfind("hang:", 0) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(text->substr(5))));
      return pack(std::string("woke"));
    }
    return input;
  }

  caf::error load(plugin_context&) override {
    if (control_->hang_load_of.load() == instance_)
      std::this_thread::sleep_for(std::chrono::milliseconds(control_->hang_load_ms.load()));
    return {};
  }

  caf::expected<std::string> health_check(plugin_context& ctx) override {
    if (control_->healthy)
      return std::string{};
    return make_error(errc::plugin_failed, ctx.plugin_id(), "told to be unhealthy");
  }

  bool keeps_state() const override { return true; }

  caf::expected<payload> checkpoint(plugin_context&) override { return pack(count_); }

  caf::error restore(plugin_context& ctx, const payload& state) override {
    auto n = unpack_as<std::int64_t>(state);
    if (!n)
      return make_error(errc::bad_input, ctx.plugin_id(), "bad checkpoint");
    count_ = *n;
    return {};
  }

private:
  std::string id_;
  std::shared_ptr<fault_control> control_;
  int instance_;
  std::int64_t count_ = 0;
};

/// A factory of faulty plugins sharing `control`.
inline plugin_factory faulty_factory(std::string id, std::shared_ptr<fault_control> control) {
  return [id, control]() -> caf::expected<std::unique_ptr<plugin>> {
    return std::make_unique<faulty_plugin>(id, control);
  };
}

} // namespace troupe::test
