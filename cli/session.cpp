#include "cli/session.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/io/middleman.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "actors/runtime.hpp"
#include "cluster/transport.hpp"
#include "messages/errors.hpp"
#include "messages/registration.hpp"
#include "plugins/builtin/register_builtins.hpp"
#include "plugins/examples/register_examples.hpp"
#include "plugins/kinds/standard_kinds.hpp"
#include "plugins/native/registry.hpp"

namespace troupe::cli {

std::shared_ptr<const kind_registry> plugin_kinds() {
  static const auto kinds = std::make_shared<const kind_registry>(standard_kinds());
  return kinds;
}

bool configure_logging(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off")
    return false;
  auto logger = spdlog::stderr_color_mt("troupe");
  logger->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(parsed);
  return true;
}

node_options cli_node_options(bool publish) {
  node_options opts;
  opts.kinds = plugin_kinds();
  opts.natives = std::make_shared<native_registry>();
  examples::register_examples(*opts.natives);
  builtin::register_builtins(*opts.natives);
  opts.publish = publish;
  return opts;
}

session::session() = default;

session::~session() {
  cluster_.reset();
  api_.reset();
  node_.reset(); // stops and unloads every local plugin in reverse dependency order
  system_.reset();
}

troupe::client& session::api() {
  if (node_)
    return node_->runtime();
  return *api_;
}

caf::expected<std::unique_ptr<session>> session::local(const node_config& cfg) {
  auto n = node::start(cfg, cli_node_options(false));
  if (!n)
    return std::move(n.error());
  std::unique_ptr<session> s{new session};
  s->node_ = std::move(*n);
  return s;
}

caf::expected<std::unique_ptr<session>> session::remote(const std::string& host,
                                                        std::uint16_t port,
                                                        const cluster_config& tls) {
  if (auto err = check_tls_files(tls))
    return err;
  std::unique_ptr<session> s{new session};
  s->config_ = std::make_unique<caf::actor_system_config>();
  register_types(*s->config_);
  configure_transport(*s->config_, tls); // heartbeats: a node drops a silent connection
  // As a node's default worker_idle = "wait": answers arriving from the network are not held up
  // by idle workers polling with 50 us sleeps (docs/performance.md).
  s->config_->set("work-stealing.moderate-poll-attempts", std::size_t{0});
  s->system_ = std::make_unique<caf::actor_system>(*s->config_);
  auto manager = connect_manager(*s->system_, host, port, tls.tls(), std::chrono::seconds{10});
  if (!manager)
    return std::move(manager.error());
  auto member = cluster_client::member_of(*s->system_, *manager, std::chrono::seconds{10});
  if (!member)
    return std::move(member.error());
  if (*member)
    s->cluster_ = std::make_unique<cluster_client>(*s->system_, std::move(*member));
  s->api_ = std::make_unique<client>(*s->system_, std::move(*manager));
  return s;
}

} // namespace troupe::cli
