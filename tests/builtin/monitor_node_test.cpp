// End to end: a node started from TOML with a memory plugin, a monitor plugin and a plugin
// that always fails. The failures drive the error rate up, the node's monitor feeder hands the
// stats to the monitor, its alert arrives at a subscriber as an `alert` event and as a webhook
// POST at a local HTTP server (on a port from the OS). Waits are bounded, never sleeps.

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "../actors/event_log.hpp"
#include "actor_fixture.hpp"
#include "actors/runtime.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"
#include "node/node.hpp"
#include "plugins/builtin/register_builtins.hpp"
#include "plugins/kinds/standard_kinds.hpp"

namespace troupe::test {
namespace {

using nlohmann::json;

/// Answers every execute with an error (not a crash).
class failing_plugin final : public plugin {
public:
  plugin_metadata metadata() const override {
    plugin_metadata m;
    m.id = "failing";
    m.name = "Failing";
    m.version = "1.0.0";
    return m;
  }
  caf::expected<payload> execute(plugin_context& ctx, const payload&) override {
    return make_error(errc::plugin_failed, ctx.plugin_id(), "always fails");
  }
};

/// A local HTTP server that keeps the bodies POSTed to /hook.
class hook_server {
public:
  hook_server() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> guard{mtx_};
      bodies_.push_back(req.body);
      cv_.notify_all();
      res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    // Bound and listening already: connections wait in the backlog until the loop runs.
    thread_ = std::thread{[this] { server_.listen_after_bind(); }};
  }
  ~hook_server() {
    // stop() before the loop started would be lost (cpp-httplib 0.11 has no wait_until_ready).
    auto until = std::chrono::steady_clock::now() + request_timeout;
    while (!server_.is_running() && std::chrono::steady_clock::now() < until)
      std::this_thread::yield();
    server_.stop();
    thread_.join();
  }

  int port() const { return port_; }

  /// The n-th body POSTed, or nullopt after request_timeout.
  std::optional<std::string> wait(std::size_t n = 1) {
    std::unique_lock<std::mutex> lock{mtx_};
    if (!cv_.wait_for(lock, request_timeout, [&] { return bodies_.size() >= n; }))
      return std::nullopt;
    return bodies_[n - 1];
  }

  std::size_t count() {
    std::lock_guard<std::mutex> guard{mtx_};
    return bodies_.size();
  }

private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<std::string> bodies_;
};

class MonitorNode : public ::testing::Test {
protected:
  MonitorNode() {
    opts.natives = std::make_shared<native_registry>();
    builtin::register_builtins(*opts.natives);
    opts.natives->add<failing_plugin>("failing");
  }

  /// Starts a node with memory, monitor (alerting to `webhook_url`) and flaky.
  void start(const std::string& webhook_url) {
    std::string text = R"(
[[plugins]]
id = "mem"
class = "memory"
[plugins.settings]
path = "{config_dir}/memory.db"

[[plugins]]
id = "mon"
class = "monitor"
[plugins.settings]
interval_ms = 10
webhook_url = ")" + webhook_url + R"("
rules = '[{"name": "flaky-errors", "kind": "error_rate", "plugin": "flaky", "threshold": 0.5, "min_calls": 3}]'

[[plugins]]
id = "flaky"
class = "failing"
)";
    std::ofstream{dir.file("node.toml")} << text;
    auto n = node::start_file(dir.file("node.toml"), opts);
    ASSERT_TRUE(n) << describe(n.error());
    n_ = std::move(*n);
    subscription = n_->runtime().subscribe([this](const runtime_event& ev) { log.push(ev); });
  }

  /// The monitor's counter `name`.
  std::int64_t monitor_counter(const std::string& name) {
    auto stats = n_->runtime().stats("mon");
    return stats && stats->counters.count(name) ? stats->counters.at(name) : -1;
  }

  void fail_flaky(int times) {
    for (int i = 0; i < times; ++i)
      EXPECT_TROUPE_ERROR(n_->runtime().execute("flaky", pack(std::string("x"))),
                          errc::plugin_failed);
  }

  temp_dir dir;
  node_options opts;
  event_log log;
  std::unique_ptr<node> n_;
  caf::actor subscription;
};

TEST_F(MonitorNode, FailuresRaiseOneAlertEventAndOneWebhookWhileTheConditionHolds) {
  hook_server hooks;
  start("http://127.0.0.1:" + std::to_string(hooks.port()) + "/hook");
  auto remembered = n_->runtime().execute(
    "mem", payload_from_json({{"op", "append"}, {"agent", "a"}, {"kind", "fact"}, {"content", "x"}}));
  ASSERT_TRUE(remembered) << describe(remembered.error());
  fail_flaky(4);
  auto ev = log.wait(event_kind::alert, "flaky");
  ASSERT_TRUE(ev) << "no alert event";
  EXPECT_EQ(ev->group, "mon");
  EXPECT_NE(ev->detail.find("rule=flaky-errors"), std::string::npos) << ev->detail;
  EXPECT_NE(ev->detail.find("kind=error_rate"), std::string::npos) << ev->detail;
  EXPECT_GT(ev->time_ms, 0);
  auto body = hooks.wait();
  ASSERT_TRUE(body) << "no webhook";
  auto j = json::parse(*body);
  EXPECT_EQ(j["source"], "troupe");
  EXPECT_EQ(j["monitor"], "mon");
  EXPECT_EQ(j["alert"]["rule"], "flaky-errors");
  EXPECT_EQ(j["alert"]["kind"], "error_rate");
  EXPECT_EQ(j["alert"]["plugin"], "flaky");
  EXPECT_DOUBLE_EQ(j["alert"]["value"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["alert"]["threshold"].get<double>(), 0.5);
  // More failures and many more rounds: the condition holds on, so nothing fires again.
  fail_flaky(4);
  auto seen = monitor_counter("observations");
  EXPECT_TRUE(eventually([&] { return monitor_counter("observations") >= seen + 5; }));
  EXPECT_EQ(log.count(event_kind::alert, "flaky"), 1u);
  EXPECT_EQ(log.count(event_kind::alert, "mem"), 0u);
  EXPECT_EQ(hooks.count(), 1u);
  EXPECT_EQ(monitor_counter("alerts"), 1);
  EXPECT_EQ(monitor_counter("webhooks_sent"), 1);
  EXPECT_EQ(monitor_counter("webhooks_failed"), 0);
}

TEST_F(MonitorNode, AWebhookThatCannotBeReachedIsCountedAndTheAlertEventStillArrives) {
  std::uint16_t closed_port = 0;
  { // a port from the OS that nothing listens on once the socket closes
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    closed_port = ntohs(addr.sin_port);
  }
  start("http://127.0.0.1:" + std::to_string(closed_port) + "/hook");
  fail_flaky(3);
  ASSERT_TRUE(log.wait(event_kind::alert, "flaky"));
  EXPECT_TRUE(eventually([&] { return monitor_counter("webhooks_failed") == 1; }));
  EXPECT_EQ(monitor_counter("webhooks_sent"), 0);
  auto health = n_->runtime().health("mon");
  ASSERT_TRUE(health) << describe(health.error());
  EXPECT_TRUE(health->healthy) << health->detail;
}

TEST_F(MonitorNode, AMonitorWithBadRulesFailsTheNodeStartWithAConfigError) {
  std::ofstream{dir.file("node.toml")} << R"(
[[plugins]]
id = "mon"
class = "monitor"
[plugins.settings]
rules = '[{"kind": "error_rate"}]'
)";
  auto n = node::start_file(dir.file("node.toml"), opts);
  ASSERT_FALSE(n);
  EXPECT_NE(describe(n.error()).find("threshold"), std::string::npos) << describe(n.error());
}

} // namespace
} // namespace troupe::test
