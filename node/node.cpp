#include "node/node.hpp"

#include <cstdlib>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/io/middleman.hpp>

#include "gateway/door_secrets.hpp"
#include <spdlog/spdlog.h>

#include "actors/plugin_directory.hpp"
#include "actors/runtime.hpp"
#include "cluster/call_router.hpp"
#include "cluster/cluster_member.hpp"
#include "cluster/script_deployer.hpp"
#include "cluster/transport.hpp"
#include "messages/errors.hpp"
#include "messages/registration.hpp"
#include "node/monitor_feeder.hpp"
#include "plugins/kinds/standard_kinds.hpp"
#include "plugins/native/registry.hpp"

namespace troupe {

namespace {

/// Troupe's types, the middleman (with heartbeats and TLS for a cluster), and the [node]
/// scheduler settings.
std::unique_ptr<caf::actor_system_config> system_config_for(const node_config& cfg,
                                                            bool listens) {
  auto sys_cfg = std::make_unique<caf::actor_system_config>();
  register_types(*sys_cfg);
  if (listens)
    configure_transport(*sys_cfg, cfg.cluster);
  else
    sys_cfg->load<caf::io::middleman>();
  if (cfg.scheduler_policy == "sharing")
    sys_cfg->set("scheduler.policy", caf::atom("sharing"));
  if (cfg.threads > 0)
    sys_cfg->set("scheduler.max-threads", static_cast<std::size_t>(cfg.threads));
  if (cfg.worker_idle == "wait") // skip CAF's stage of polling with 50 us sleeps (performance.md)
    sys_cfg->set("work-stealing.moderate-poll-attempts", std::size_t{0});
  return sys_cfg;
}

} // namespace

caf::expected<std::unique_ptr<node>> node::start(node_config config, node_options opts) {
  std::unique_ptr<node> n{new node};
  n->config_ = std::move(config);
  if (auto err = n->assemble(std::move(opts)))
    return err; // the destructor stops whatever started
  return n;
}

caf::expected<std::unique_ptr<node>> node::start_file(const std::string& path,
                                                      node_options opts) {
  if (!opts.kinds)
    opts.kinds = std::make_shared<const kind_registry>(standard_kinds());
  auto cfg = load_node_config(path, *opts.kinds);
  if (!cfg)
    return std::move(cfg.error());
  return start(std::move(*cfg), std::move(opts));
}

caf::error node::assemble(node_options opts) {
  kinds_ = opts.kinds ? opts.kinds : std::make_shared<const kind_registry>(standard_kinds());
  bool listens = opts.publish && config_.cluster.listen;
  system_config_ = system_config_for(config_, listens);
  system_ = std::make_unique<caf::actor_system>(*system_config_);
  runtime_options rt_opts;
  rt_opts.manager.supervision = config_.supervision;
  rt_opts.kinds = kinds_;
  rt_opts.natives = std::move(opts.natives);
  runtime_ = std::make_unique<troupe::runtime>(*system_, std::move(rt_opts));
  for (auto& added : runtime_->add_all(config_.plugins))
    if (!added)
      return std::move(added.error()); // the destructor stops what was added
  if (auto started = runtime_->start_all(); !started)
    return std::move(started.error());
  if (auto err = start_monitor_feeders())
    return err;
  if (!config_.watch.directories.empty())
    if (auto err = runtime_->watch(config_.watch))
      return err;
  if (listens)
    if (auto err = start_cluster())
      return err;
  if (opts.publish && config_.gateway.listen)
    if (auto err = start_gateway())
      return err;
  if (opts.publish && config_.http.listen)
    return start_http();
  return {};
}

bool node::is_builtin_monitor(const std::string& id) const {
  for (const auto& spec : config_.plugins) {
    if (spec.config.id != id || spec.kind != "native")
      continue;
    auto cls = spec.keys.find("class");
    return (cls == spec.keys.end() ? spec.config.id : cls->second) == "monitor";
  }
  return false;
}

caf::error node::start_monitor_feeders() {
  auto plugins = runtime_->list();
  if (!plugins)
    return std::move(plugins.error());
  for (const auto& info : *plugins) {
    const auto& id = info.metadata.id;
    auto base = id.substr(0, id.find('#')); // a replica "ID#n" has the settings of ID
    if (!is_builtin_monitor(base))
      continue; // other plugins of type monitor (a Lua hook, say) are not fed
    monitor_feeder_options opts;
    opts.plugin = id;
    for (const auto& spec : config_.plugins) {
      auto it = spec.config.settings.find("interval_ms");
      if ((spec.config.id == base || spec.config.id == id) && it != spec.config.settings.end()) {
        char* end = nullptr;
        auto ms = std::strtoll(it->second.c_str(), &end, 10);
        if (end == it->second.c_str() || *end != '\0' || ms <= 0)
          return make_error(errc::config_error, id, "setting 'interval_ms' must be a positive "
                                                    "integer, not '" + it->second + "'");
        opts.interval = std::chrono::milliseconds{ms};
      }
    }
    spdlog::info("node '{}': monitor '{}' fed every {} ms", config_.name, id,
                 opts.interval.count());
    feeders_.push_back(spawn_monitor_feeder(*system_, runtime_->manager(), std::move(opts)));
  }
  return {};
}

caf::error node::start_http() {
  const auto& h = config_.http;
  http_context ctx{system_.get(), runtime_->manager(), member_, config_.name, TROUPE_VERSION};
  auto door = http_door::start(h, std::move(ctx));
  if (!door)
    return std::move(door.error());
  http_ = std::move(*door);
  spdlog::info("node '{}': HTTP on http://{}:{}/ (MCP at /mcp, metrics at /metrics){}",
               config_.name, h.host, http_->port(), h.token.empty() ? "" : " (token required)");
  warn_if_open("the HTTP door", h.host, h.token, "[http] token");
  return {};
}

void node::warn_if_open(const std::string& door, const std::string& host,
                        const std::string& token, const char* key) const {
  if (token.empty() && !loopback_host(host))
    spdlog::warn("node '{}': {} listens on {} WITHOUT a token: any process that reaches it can "
                 "call every plugin ({})",
                 config_.name, door, host, key);
}

caf::error node::start_gateway() {
  const auto& g = config_.gateway;
  auto door = rpc_gateway::start(*system_, g,
                                 gateway_context{runtime_->manager(), runtime_->directory(),
                                                 config_.name});
  if (!door)
    return std::move(door.error());
  gateway_ = std::move(*door);
  spdlog::info("node '{}': msgpack-RPC gateway on {}:{}{}", config_.name, g.host,
               gateway_->port(), g.token.empty() ? "" : " (token required)");
  warn_if_open("the gateway", g.host, g.token, "[gateway] token");
  return {};
}

caf::error node::start_cluster() {
  const auto& c = config_.cluster;
  if (auto err = check_tls_files(c))
    return err;
  auto port = publish_manager(*system_, runtime_->manager(), c.host, c.port, c.tls());
  if (!port)
    return std::move(port.error());
  port_ = *port;
  if (!c.tls())
    spdlog::warn("node '{}': listening on {}:{} WITHOUT authentication ([cluster] has no TLS "
                 "files): any process that reaches this address can call every plugin",
                 config_.name, c.host, port_);
  if (c.host == "0.0.0.0" || c.host == "::")
    spdlog::warn("node '{}': listening on {}: other nodes are told this address, which they "
                 "cannot reach on another host; listen on the address they use",
                 config_.name, c.host);
  auto directory = runtime_->directory();
  router_ = spawn_call_router(*system_, config_.name, directory);
  directory->set_router(router_);
  deployer_ = std::make_unique<script_deployer>(*system_, *runtime_, config_.name,
                                                config_.data_dir);
  for (auto& restored : restore_deployed(*runtime_, config_.data_dir))
    if (!restored)
      spdlog::error("node '{}': a deployed script did not come back: {}", config_.name,
                    describe(restored.error()));
  member_options m;
  m.name = config_.name;
  m.address = c.host + ":" + std::to_string(port_);
  m.config = c;
  m.manager = runtime_->manager();
  m.directory = directory;
  m.deployer = deployer_->handle();
  member_ = spawn_cluster_member(*system_, std::move(m));
  return {};
}

node::~node() {
  for (auto& feeder : feeders_) // first: no observe calls during the shutdown
    caf::anon_send_exit(feeder, caf::exit_reason::user_shutdown);
  feeders_.clear();
  http_.reset(); // no new calls from outside
  gateway_.reset();
  if (member_) // first: peers stop sending calls here
    caf::anon_send_exit(member_, caf::exit_reason::user_shutdown);
  deployer_.reset(); // a deploy under way finishes first
  if (runtime_) {
    if (auto done = runtime_->shutdown_all(); !done)
      spdlog::warn("node '{}': shutdown: {}", config_.name, describe(done.error()));
    if (port_ != 0)
      unpublish_manager(*system_, runtime_->manager(), port_, config_.cluster.tls());
  }
  if (router_) {
    runtime_->directory()->set_router(router_actor{});
    caf::anon_send_exit(router_, caf::exit_reason::user_shutdown);
  }
  member_ = nullptr;
  router_ = nullptr;
  runtime_.reset();
  system_.reset(); // waits for every actor of the node to end
}

manager_actor node::manager() const {
  return runtime_->manager();
}

std::vector<std::pair<std::string, caf::expected<plugin_metadata>>> node::reload_files() {
  std::vector<std::pair<std::string, caf::expected<plugin_metadata>>> out;
  for (const auto& spec : config_.plugins) {
    auto kind = kinds_->find(spec.kind);
    if (!kind || (*kind)->file_key.empty() || spec.key((*kind)->file_key).empty())
      continue;
    out.emplace_back(spec.config.id, runtime_->reload(spec.config.id));
  }
  return out;
}

} // namespace troupe
