#include "cli/commands.hpp"

#include <algorithm>
#include <csignal>
#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <spdlog/spdlog.h>

#include "actors/runtime.hpp"
#include "cli/json_output.hpp"
#include "cli/session.hpp"
#include "messages/errors.hpp"
#include "messages/json_codec.hpp"

namespace troupe::cli {

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

/// Prints an error as {"error": {...}} on stdout and as a log line on stderr.
int report(const caf::error& err, int code) {
  std::cout << nlohmann::json{{"error", error_json(err)}}.dump() << std::endl;
  spdlog::error("{}", describe(err));
  return code;
}

int usage_error(const caf::error& err) {
  spdlog::error("{}", describe(err));
  return exit_usage;
}

caf::expected<std::unique_ptr<session>> open(const target& where) {
  if (where.config_path.empty() == where.node.empty())
    return make_error(errc::bad_input, "", "name exactly one of --config FILE or --node HOST:PORT");
  if (!where.node.empty()) {
    auto address = parse_address(where.node);
    if (!address)
      return std::move(address.error());
    return session::remote(address->first, address->second);
  }
  auto cfg = load_node_config(where.config_path);
  if (!cfg)
    return std::move(cfg.error());
  return session::local(*cfg, where.exe_dir);
}

/// One execute; the JSON line for it.
nlohmann::json execute_line(client& api, const std::string& plugin, const std::string& text) {
  auto in = payload_from_json_text(text);
  if (!in)
    return {{"error", error_json(in.error())}};
  auto out = api.execute(plugin, *in);
  if (!out)
    return {{"error", error_json(out.error())}};
  auto json = payload_to_json(*out, plugin);
  if (!json)
    return {{"error", error_json(json.error())}};
  return {{"ok", std::move(*json)}};
}

/// A JSON array of the rows, each rendered by to_json.
template <class Row>
nlohmann::json json_array(const std::vector<Row>& rows) {
  auto out = nlohmann::json::array();
  for (const auto& row : rows)
    out.push_back(to_json(row));
  return out;
}

sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

} // namespace

int run_node(const run_options& opts, const std::string& exe_dir) {
  auto cfg = load_node_config(opts.config_path);
  if (!cfg)
    return usage_error(cfg.error());
  if (opts.host)
    cfg->host = *opts.host;
  if (opts.port) {
    if (*opts.port > 65535)
      return usage_error(make_error(errc::bad_input, "", "--port must be 0 to 65535"));
    cfg->port = static_cast<std::uint16_t>(*opts.port);
  }
  // Block the signals before any CAF thread starts, so that only sigwait below receives them.
  auto signals = termination_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto node = session::local(*cfg, exe_dir);
  if (!node)
    return report(node.error(), exit_failed);
  if (cfg->port != 0) {
    auto port = (*node)->system().middleman().publish((*node)->api().manager(), cfg->port,
                                                      cfg->host.c_str(), true);
    if (!port)
      return report(make_error(errc::unavailable, "",
                               "cannot publish on " + cfg->host + ":" + std::to_string(cfg->port)
                                 + ": " + (*node)->system().render(port.error())),
                    exit_failed);
    spdlog::info("node '{}' serving {} plugin(s) on {}:{}", cfg->name, cfg->plugins.size(),
                 cfg->host, *port);
  } else {
    spdlog::info("node '{}' serving {} plugin(s) (not published: node.port is 0)", cfg->name,
                 cfg->plugins.size());
  }
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("node '{}': signal {} received, shutting down", cfg->name, sig);
  node->reset(); // stops and unloads every plugin in reverse dependency order
  return exit_ok;
}

int exec_plugin(const target& where, const std::string& plugin,
                const std::optional<std::string>& json) {
  auto s = open(where);
  if (!s)
    return report(s.error(), exit_usage);
  auto& api = (*s)->api();
  if (json) {
    auto line = execute_line(api, plugin, *json);
    if (line.contains("error")) {
      std::cout << line.dump() << std::endl;
      spdlog::error("{}", line["error"]["message"].get<std::string>());
      return exit_failed;
    }
    std::cout << line["ok"].dump() << std::endl;
    return exit_ok;
  }
  for (std::string text; std::getline(std::cin, text);) {
    if (text.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    std::cout << execute_line(api, plugin, text).dump() << std::endl;
  }
  return exit_ok;
}

int list_plugins(const target& where, const std::optional<std::string>& type) {
  auto s = open(where);
  if (!s)
    return report(s.error(), exit_usage);
  caf::expected<std::vector<plugin_info>> rows{caf::error{}};
  if (type) {
    auto parsed = parse_plugin_type(*type);
    if (!parsed)
      return report(make_error(errc::bad_input, "", "--type needs a plugin type"), exit_usage);
    rows = (*s)->api().list(*parsed);
  } else {
    rows = (*s)->api().list();
  }
  if (!rows)
    return report(rows.error(), exit_failed);
  std::cout << json_array(*rows).dump(2) << std::endl;
  return exit_ok;
}

int show_stats(const target& where, const std::optional<std::string>& plugin) {
  auto s = open(where);
  if (!s)
    return report(s.error(), exit_usage);
  if (plugin) {
    auto one = (*s)->api().stats(*plugin);
    if (!one)
      return report(one.error(), exit_failed);
    std::cout << to_json(*one).dump(2) << std::endl;
    return exit_ok;
  }
  auto all = (*s)->api().stats();
  if (!all)
    return report(all.error(), exit_failed);
  std::cout << json_array(*all).dump(2) << std::endl;
  return exit_ok;
}

int show_health(const target& where) {
  auto s = open(where);
  if (!s)
    return report(s.error(), exit_usage);
  auto all = (*s)->api().health();
  if (!all)
    return report(all.error(), exit_failed);
  bool healthy = std::all_of(all->begin(), all->end(), [](const auto& h) { return h.healthy; });
  std::cout << json_array(*all).dump(2) << std::endl;
  return healthy ? exit_ok : exit_failed;
}

} // namespace troupe::cli
