#include "cli/session.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/io/middleman.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "actors/runtime.hpp"
#include "messages/errors.hpp"
#include "messages/registration.hpp"
#include "plugins/examples/register_examples.hpp"
#include "plugins/kinds/standard_kinds.hpp"

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

namespace {

std::unique_ptr<caf::actor_system_config> make_config(const node_config* node) {
  auto cfg = std::make_unique<caf::actor_system_config>();
  register_types(*cfg);
  cfg->load<caf::io::middleman>();
  if (node != nullptr) {
    if (node->scheduler_policy == "sharing")
      cfg->set("scheduler.policy", caf::atom("sharing"));
    if (node->threads > 0)
      cfg->set("scheduler.max-threads", static_cast<std::size_t>(node->threads));
  }
  return cfg;
}

} // namespace

session::session() = default;

session::~session() {
  if (runtime_ != nullptr) {
    if (auto done = runtime_->shutdown_all(); !done)
      spdlog::warn("shutdown: {}", describe(done.error()));
  }
  api_.reset();
  system_.reset();
}

caf::expected<std::unique_ptr<session>> session::local(const node_config& cfg) {
  std::unique_ptr<session> s{new session};
  s->config_ = make_config(&cfg);
  s->system_ = std::make_unique<caf::actor_system>(*s->config_);
  runtime_options opts;
  opts.manager.supervision = cfg.supervision;
  opts.kinds = plugin_kinds();
  opts.natives = std::make_shared<native_registry>();
  examples::register_examples(*opts.natives);
  auto rt = std::make_unique<runtime>(*s->system_, std::move(opts));
  for (const auto& spec : cfg.plugins)
    if (auto added = rt->add(spec); !added)
      return std::move(added.error());
  s->runtime_ = rt.get();
  s->api_ = std::move(rt);
  if (auto started = s->api_->start_all(); !started)
    return std::move(started.error());
  if (!cfg.watch.directories.empty())
    if (auto err = s->runtime_->watch(cfg.watch))
      return err;
  return s;
}

caf::expected<std::unique_ptr<session>> session::remote(const std::string& host,
                                                        std::uint16_t port) {
  std::unique_ptr<session> s{new session};
  s->config_ = make_config(nullptr);
  s->system_ = std::make_unique<caf::actor_system>(*s->config_);
  auto manager = s->system_->middleman().remote_actor<manager_actor>(host, port);
  if (!manager)
    return make_error(errc::unavailable, "",
                      "cannot reach a Troupe node at " + host + ":" + std::to_string(port) + ": "
                        + s->system_->render(manager.error()));
  s->api_ = std::make_unique<client>(*s->system_, std::move(*manager));
  return s;
}

caf::expected<std::pair<std::string, std::uint16_t>> parse_address(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos)
    return make_error(errc::bad_input, "", "expected HOST:PORT, got '" + text + "'");
  auto host = text.substr(0, colon);
  if (host.empty())
    host = "127.0.0.1";
  try {
    std::size_t used = 0;
    auto port = std::stoul(text.substr(colon + 1), &used);
    if (used == text.size() - colon - 1 && port > 0 && port <= 65535)
      return std::make_pair(host, static_cast<std::uint16_t>(port));
  } catch (const std::exception&) {
  }
  return make_error(errc::bad_input, "", "invalid port in '" + text + "'");
}

} // namespace troupe::cli
