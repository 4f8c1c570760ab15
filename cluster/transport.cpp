#include "cluster/transport.hpp"

#include <memory>
#include <set>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/monitorable_actor.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "messages/errors.hpp"

namespace troupe {

void configure_transport(caf::actor_system_config& sys_cfg, const cluster_config& cfg) {
  sys_cfg.load<caf::io::middleman>();
  if (cfg.tls()) {
    sys_cfg.load<caf::openssl::manager>();
    sys_cfg.set("openssl.cafile", cfg.ca);
    sys_cfg.set("openssl.certificate", cfg.cert);
    sys_cfg.set("openssl.key", cfg.key);
  }
  sys_cfg.set("middleman.app-identifiers",
              std::vector<std::string>{std::string{troupe_app_identifier}});
  using std::chrono::milliseconds;
  if (cfg.heartbeat_ms > 0) {
    sys_cfg.set("middleman.heartbeat-interval",
                caf::timespan{milliseconds{cfg.heartbeat_ms}});
    sys_cfg.set("middleman.connection-timeout",
                caf::timespan{milliseconds{cfg.node_timeout_ms}});
  }
}

caf::error check_tls_files(const cluster_config& cfg) {
  if (!cfg.tls())
    return {};
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> ctx{SSL_CTX_new(TLS_method()), SSL_CTX_free};
  auto fail = [](const std::string& what) {
    char reason[256] = "";
    ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
    ERR_clear_error();
    return make_error(errc::config_error, "", what + " (" + reason + ")");
  };
  if (!ctx)
    return fail("cannot set up TLS");
  if (SSL_CTX_load_verify_locations(ctx.get(), cfg.ca.c_str(), nullptr) != 1)
    return fail("cannot load the CA certificate '" + cfg.ca + "'");
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cfg.cert.c_str()) != 1)
    return fail("cannot load the certificate '" + cfg.cert + "'");
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), cfg.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return fail("cannot load the private key '" + cfg.key + "'");
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return fail("the key '" + cfg.key + "' does not belong to the certificate '" + cfg.cert + "'");
  return {};
}

caf::expected<std::uint16_t> publish_manager(caf::actor_system& sys, const manager_actor& manager,
                                             const std::string& host, std::uint16_t port,
                                             bool tls) {
  auto bound = tls ? caf::openssl::publish(manager, port, host.c_str(), true)
                   : sys.middleman().publish(manager, port, host.c_str(), true);
  if (!bound)
    return make_error(errc::unavailable, "",
                      "cannot listen on " + host + ":" + std::to_string(port) + ": "
                        + sys.render(bound.error()));
  return *bound;
}

void unpublish_manager(caf::actor_system& sys, const manager_actor& manager, std::uint16_t port,
                       bool tls) {
  if (tls)
    caf::anon_send(sys.openssl_manager().actor_handle(), caf::unpublish_atom::value,
                   manager.address(), port);
  else
    sys.middleman().unpublish(manager, port);
}

caf::io::middleman_actor connector(caf::actor_system& sys, bool tls) {
  return tls ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
}

caf::expected<manager_actor> connect_manager(caf::actor_system& sys, const std::string& host,
                                             std::uint16_t port, bool tls,
                                             std::chrono::milliseconds timeout) {
  auto where = host + ":" + std::to_string(port);
  caf::expected<manager_actor> result{caf::error{}};
  caf::scoped_actor self{sys};
  self->request(connector(sys, tls), timeout, caf::connect_atom::value, host, port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr, std::set<std::string>& ifs) {
        if (!ptr)
          result = make_error(errc::unavailable, "", "nothing is published at " + where);
        else if (!sys.assignable<manager_actor>(ifs))
          result = make_error(errc::unavailable, "",
                              "the actor at " + where + " is not a Troupe manager");
        else
          result = caf::actor_cast<manager_actor>(std::move(ptr));
      },
      [&](caf::error& err) {
        result = make_error(errc::unavailable, "",
                            "cannot reach a Troupe node at " + where + ": " + sys.render(err)
                              + (tls ? "" : " (a TLS node refuses plain connections)"));
      });
  return result;
}

bool has_ended(caf::abstract_actor* actor) {
  auto* monitorable = dynamic_cast<caf::monitorable_actor*>(actor);
  return monitorable != nullptr && monitorable->fail_state() != caf::none;
}

caf::expected<std::pair<std::string, std::uint16_t>> parse_host_port(const std::string& text,
                                                                     bool allow_zero) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos)
    return make_error(errc::bad_input, "", "expected HOST:PORT, got '" + text + "'");
  auto host = text.substr(0, colon);
  if (host.empty())
    host = "127.0.0.1";
  try {
    std::size_t used = 0;
    auto port = std::stoul(text.substr(colon + 1), &used);
    if (used == text.size() - colon - 1 && (port > 0 || allow_zero) && port <= 65535)
      return std::make_pair(host, static_cast<std::uint16_t>(port));
  } catch (const std::exception&) {
  }
  return make_error(errc::bad_input, "", "invalid port in '" + text + "'");
}

} // namespace troupe
