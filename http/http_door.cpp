#include "http/http_door.hpp"

#include <thread>

#include <caf/all.hpp>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include "actors/client.hpp"
#include "cluster/cluster_client.hpp"
#include "http/event_log.hpp"
#include "http/live_view.hpp"
#include "http/metrics.hpp"
#include "mcp/mcp_server.hpp"
#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/result_json.hpp"

namespace troupe {

namespace {

/// Compares in time independent of where the strings differ.
bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size())
    return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

/// True for http(s)://localhost, 127.0.0.1 or [::1], with or without a port.
bool loopback_origin(const std::string& origin) {
  for (const char* scheme : {"http://", "https://"})
    for (const char* host : {"localhost", "127.0.0.1", "[::1]"}) {
      auto prefix = std::string(scheme) + host;
      if (origin == prefix || origin.rfind(prefix + ":", 0) == 0)
        return true;
    }
  return false;
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(render_json(body), "application/json");
}

void send_error(httplib::Response& res, int status, const caf::error& err) {
  send_json(res, status, {{"error", error_json(err)}});
}

} // namespace

struct http_door::impl {
  http_config config;
  http_context context;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::shared_ptr<event_log> events = std::make_shared<event_log>();
  caf::actor recorder;
  std::unique_ptr<client> api;
  std::unique_ptr<cluster_client> cluster;
  std::unique_ptr<mcp::mcp_server> mcp;

  /// False (and the answer sent) unless the request carries the token, when one is set.
  bool authorized(const httplib::Request& req, httplib::Response& res) const {
    if (config.token.empty())
      return true;
    auto header = req.get_header_value("Authorization");
    if (same_secret(header, "Bearer " + config.token))
      return true;
    res.set_header("WWW-Authenticate", "Bearer realm=\"troupe\"");
    send_error(res, 401, make_error(errc::unauthorized, "",
                                    "this node's HTTP door needs Authorization: Bearer TOKEN"));
    return false;
  }

  bool origin_allowed(const std::string& origin) const {
    if (origin.empty() || loopback_origin(origin))
      return true;
    return std::find(config.allowed_origins.begin(), config.allowed_origins.end(), origin)
           != config.allowed_origins.end();
  }

  void serve_mcp(const httplib::Request& req, httplib::Response& res) const {
    auto origin = req.get_header_value("Origin");
    if (!origin_allowed(origin))
      return send_error(res, 403, make_error(errc::unauthorized, "",
                                             "Origin '" + origin + "' may not call /mcp "
                                             "(http.allowed_origins)"));
    if (!authorized(req, res))
      return;
    auto version = req.get_header_value("MCP-Protocol-Version");
    const auto& known = mcp::mcp_server::protocol_versions();
    if (!version.empty() && std::find(known.begin(), known.end(), version) == known.end())
      return send_error(res, 400, make_error(errc::bad_input, "",
                                             "unsupported MCP-Protocol-Version " + version));
    auto answer = mcp->handle(req.body);
    if (answer.empty()) { // notifications and responses only
      res.status = 202;
      return;
    }
    res.status = 200;
    res.set_content(answer, "application/json");
  }

  void serve_metrics(const httplib::Request& req, httplib::Response& res) const {
    if (config.metrics_need_token && !authorized(req, res))
      return;
    metrics_snapshot snap;
    snap.node = context.node;
    auto stats = api->stats();
    if (!stats)
      return send_error(res, 503, stats.error());
    snap.stats = std::move(*stats);
    snap.events = events->counts();
    if (cluster)
      if (auto members = cluster->nodes())
        snap.members = std::move(*members);
    res.set_content(render_metrics(snap), "text/plain; version=0.0.4; charset=utf-8");
  }

  void serve_status(const httplib::Request& req, httplib::Response& res) const {
    if (!authorized(req, res))
      return;
    auto stats = api->stats();
    if (!stats)
      return send_error(res, 503, stats.error());
    auto plugins = nlohmann::json::array();
    for (const auto& s : *stats)
      plugins.push_back(to_json(s));
    nlohmann::json body{{"node", context.node}, {"plugins", plugins},
                        {"members", nlohmann::json::array()}};
    if (cluster)
      if (auto members = cluster->nodes())
        for (const auto& m : *members)
          body["members"].push_back(to_json(m));
    send_json(res, 200, body);
  }

  void serve_events(const httplib::Request& req, httplib::Response& res) const {
    if (!authorized(req, res))
      return;
    std::uint64_t after = 0;
    if (req.has_param("after")) {
      try {
        after = std::stoull(req.get_param_value("after"));
      } catch (const std::exception&) {
        return send_error(res, 400, make_error(errc::bad_input, "", "after=N wants a number"));
      }
    }
    auto [recent, last] = events->since(after);
    auto list = nlohmann::json::array();
    for (const auto& [seq, e] : recent) {
      auto j = to_json(e);
      j["seq"] = seq;
      list.push_back(std::move(j));
    }
    send_json(res, 200, {{"last", last}, {"events", list}});
  }

  void add_routes() {
    server.Post("/mcp", [this](const auto& req, auto& res) { serve_mcp(req, res); });
    auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Allow", "POST");
      send_error(res, 405, make_error(errc::bad_input, "",
                                      "this server streams no messages of its own: POST /mcp"));
    };
    server.Get("/mcp", not_allowed);
    server.Delete("/mcp", not_allowed);
    server.Get("/metrics", [this](const auto& req, auto& res) { serve_metrics(req, res); });
    server.Get("/api/status", [this](const auto& req, auto& res) { serve_status(req, res); });
    server.Get("/api/events", [this](const auto& req, auto& res) { serve_events(req, res); });
    server.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(live_view_page(), "text/html; charset=utf-8");
    });
  }
};

http_door::http_door() : impl_(std::make_unique<impl>()) {
}

std::uint16_t http_door::port() const {
  return static_cast<std::uint16_t>(impl_->port);
}

caf::expected<std::unique_ptr<http_door>> http_door::start(const http_config& config,
                                                           http_context context) {
  std::unique_ptr<http_door> door{new http_door};
  auto& d = *door->impl_;
  d.config = config;
  d.context = context;
  auto timeout = std::chrono::milliseconds(config.call_timeout_ms);
  d.api = std::make_unique<client>(*context.system, context.manager, timeout);
  if (context.member)
    d.cluster = std::make_unique<cluster_client>(*context.system, context.member, timeout);
  mcp::mcp_backend backend;
  auto* api = d.api.get();
  auto* cluster = d.cluster.get();
  backend.tools = [api, cluster] { return cluster ? cluster->tools() : api->tools(); };
  backend.call_tool = [api](const std::string& name, const payload& args) {
    return api->call_tool(name, args);
  };
  d.mcp = std::make_unique<mcp::mcp_server>(std::move(backend), context.node, context.version);
  d.recorder = spawn_event_recorder(*context.system, context.manager, d.events);
  d.server.set_payload_max_length(config.max_body_bytes);
  d.add_routes();
  d.port = config.port == 0 ? d.server.bind_to_any_port(config.host)
                            : (d.server.bind_to_port(config.host, config.port) ? config.port : -1);
  if (d.port <= 0)
    return make_error(errc::unavailable, "",
                      "the HTTP door cannot listen on " + config.host + ":"
                        + std::to_string(config.port));
  d.thread = std::thread([&d] { d.server.listen_after_bind(); });
  // stop() is a no-op until the server runs: wait for it (a few microseconds).
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!d.server.is_running() && std::chrono::steady_clock::now() < until)
    std::this_thread::yield();
  return door;
}

http_door::~http_door() {
  if (!impl_)
    return;
  impl_->server.stop();
  if (impl_->thread.joinable())
    impl_->thread.join();
  if (impl_->recorder)
    caf::anon_send_exit(impl_->recorder, caf::exit_reason::user_shutdown);
}

} // namespace troupe
