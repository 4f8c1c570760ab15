#include "cli/commands.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/runtime.hpp"
#include "messages/result_json.hpp"
#include "cli/session.hpp"
#include "cluster/transport.hpp"
#include "messages/errors.hpp"
#include "messages/json_codec.hpp"

namespace troupe::cli {

namespace {

/// Prints an error as {"error": {...}} on stdout and as a log line on stderr.
int report(const caf::error& err, int code) {
  std::cout << render_json(nlohmann::json{{"error", error_json(err)}}) << std::endl;
  spdlog::error("{}", describe(err));
  return code;
}

int usage_error(const caf::error& err) {
  spdlog::error("{}", describe(err));
  return exit_usage;
}

/// A node config hosting the one script of --script (of the kind whose file patterns match it),
/// with its --limit options as the settings "limit.<name>".
caf::expected<node_config> script_config(const target& where) {
  node_config cfg;
  auto spec = plugin_kinds()->spec_for_file(where.script);
  if (!spec)
    return std::move(spec.error());
  for (const auto& limit : where.limits) {
    auto eq = limit.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error(errc::bad_input, "", "--limit wants NAME=VALUE, got '" + limit + "'");
    spec->config.settings["limit." + limit.substr(0, eq)] = limit.substr(eq + 1);
  }
  if (auto err = plugin_kinds()->check(*spec))
    return err;
  if (where.watch) {
    // Reload through the same path as a node's [watch]: at once, no new files, keep the plugin
    // if the file is replaced by a rename.
    cfg.watch.directories = {std::filesystem::absolute(where.script).parent_path().string()};
    cfg.watch.strategy = reload_strategy::immediate;
    cfg.watch.load_new = false;
    cfg.watch.unload_removed = false;
  }
  cfg.plugins.push_back(std::move(*spec));
  return cfg;
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
  sigaddset(&set, SIGHUP);
  return set;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

/// Prints an answer's result as JSON (exit 0) or its error as {"error": ...} (exit 1).
int print_answer(const caf::expected<payload>& out, const std::string& plugin) {
  if (!out)
    return report(out.error(), exit_failed);
  auto json = payload_to_json(*out, plugin);
  if (!json)
    return report(json.error(), exit_failed);
  std::cout << render_json(*json) << std::endl;
  return exit_ok;
}

} // namespace

caf::expected<std::unique_ptr<session>> open(const target& where) {
  if (!where.script.empty()) {
    auto cfg = script_config(where);
    if (!cfg)
      return std::move(cfg.error());
    return session::local(*cfg);
  }
  if (where.config_path.empty() == where.node.empty())
    return make_error(errc::bad_input, "", "name exactly one of --config FILE or --node HOST:PORT");
  if (!where.node.empty()) {
    auto address = parse_host_port(where.node);
    if (!address)
      return std::move(address.error());
    cluster_config tls;
    tls.ca = where.ca;
    tls.cert = where.cert;
    tls.key = where.key;
    if (int given = !tls.ca.empty() + !tls.cert.empty() + !tls.key.empty(); given % 3 != 0)
      return make_error(errc::bad_input, "", "TLS needs all three of --ca, --cert and --key");
    return session::remote(address->first, address->second, tls);
  }
  auto cfg = load_node_config(where.config_path, *plugin_kinds());
  if (!cfg)
    return std::move(cfg.error());
  return session::local(*cfg);
}

int run_node(const run_options& opts) {
  auto cfg = load_node_config(opts.config_path, *plugin_kinds());
  if (!cfg)
    return usage_error(cfg.error());
  if (opts.host)
    cfg->cluster.host = *opts.host;
  if (opts.port) {
    if (*opts.port > 65535)
      return usage_error(make_error(errc::bad_input, "", "--port must be 0 to 65535"));
    cfg->cluster.port = static_cast<std::uint16_t>(*opts.port);
    cfg->cluster.listen = true; // --port 0: any free port (logged)
  }
  // Block the signals before any CAF thread starts, so that only sigwait below receives them.
  auto signals = termination_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto n = node::start(*cfg, cli_node_options(true));
  if (!n)
    return report(n.error(), exit_failed);
  if ((*n)->port() != 0)
    spdlog::info("node '{}' serving {} plugin(s) on {}:{}", cfg->name, cfg->plugins.size(),
                 cfg->cluster.host, (*n)->port());
  else
    spdlog::info("node '{}' serving {} plugin(s) (not listening: no [cluster] listen)",
                 cfg->name, cfg->plugins.size());
  if (!opts.ready_file.empty()) {
    auto tmp = opts.ready_file + ".tmp";
    std::ofstream ready(tmp);
    ready << cfg->cluster.host << ":" << (*n)->port() << "\n";
    if ((*n)->gateway_port() != 0)
      ready << "gateway " << cfg->gateway.host << ":" << (*n)->gateway_port() << "\n";
    if ((*n)->http_port() != 0)
      ready << "http " << cfg->http.host << ":" << (*n)->http_port() << "\n";
    ready.close();
    std::filesystem::rename(tmp, opts.ready_file); // readers never see half a line
  }
  int sig = 0;
  for (;;) {
    sigwait(&signals, &sig);
    if (sig != SIGHUP)
      break;
    // SIGHUP: reload every plugin the node can build again from its file (scripts, libraries);
    // an old version serves on if its new one fails.
    for (const auto& [id, md] : (*n)->reload_files()) {
      if (md)
        spdlog::info("SIGHUP: '{}' reloaded ({})", id, md->version);
      else
        spdlog::warn("SIGHUP: {}", describe(md.error()));
    }
  }
  spdlog::info("node '{}': signal {} received, shutting down", cfg->name, sig);
  n->reset(); // stops and unloads every plugin in reverse dependency order
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
      std::cout << render_json(line) << std::endl;
      spdlog::error("{}", line["error"]["message"].get<std::string>());
      return exit_failed;
    }
    std::cout << render_json(line["ok"]) << std::endl;
    return exit_ok;
  }
  for (std::string text; std::getline(std::cin, text);) {
    if (text.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    std::cout << render_json(execute_line(api, plugin, text)) << std::endl;
  }
  return exit_ok;
}

int reload_plugin(const target& where, const std::string& plugin) {
  auto s = open(where);
  if (!s)
    return report(s.error(), exit_usage);
  auto* cluster = (*s)->cluster();
  auto md = cluster ? cluster->reload(plugin) : (*s)->api().reload(plugin);
  if (!md)
    return report(md.error(), exit_failed);
  std::cout << render_json(to_json(*md), 2) << std::endl;
  return exit_ok;
}

int watch_events(const target& where, const events_options& opts) {
  // Block the signals before any CAF thread starts, so that only sigtimedwait below gets them.
  auto signals = termination_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto s = open(where);
  if (!s)
    return report(s.error(), exit_usage);
  auto seen = std::make_shared<std::atomic<std::size_t>>(0);
  auto json = opts.json;
  auto printer = (*s)->system().spawn([seen, json](caf::event_based_actor*) -> caf::behavior {
    return {[seen, json](event_atom, const runtime_event& ev) {
      std::cout << (json ? render_json(to_json(ev)) : describe(ev)) << std::endl;
      ++*seen;
    }};
  });
  if (auto err = (*s)->api().subscribe(printer))
    return report(err, exit_failed);
  spdlog::info("listening for events");
  auto until = std::chrono::steady_clock::now()
               + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                 std::chrono::duration<double>(opts.seconds));
  const timespec poll{0, 50 * 1000 * 1000};
  while ((opts.count == 0 || *seen < opts.count)
         && (opts.seconds <= 0 || std::chrono::steady_clock::now() < until)) {
    if (sigtimedwait(&signals, nullptr, &poll) > 0)
      break;
  }
  caf::anon_send_exit(printer, caf::exit_reason::user_shutdown);
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
    rows = (*s)->cluster() ? (*s)->cluster()->list() : (*s)->api().list();
  }
  if (!rows)
    return report(rows.error(), exit_failed);
  std::cout << render_json(json_array(*rows), 2) << std::endl;
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
    std::cout << render_json(to_json(*one), 2) << std::endl;
    return exit_ok;
  }
  auto all = (*s)->api().stats();
  if (!all)
    return report(all.error(), exit_failed);
  std::cout << render_json(json_array(*all), 2) << std::endl;
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
  std::cout << render_json(json_array(*all), 2) << std::endl;
  return healthy ? exit_ok : exit_failed;
}

int list_hooks(const target& where) {
  auto s = open(where);
  if (!s)
    return report(s.error(), exit_usage);
  auto rows = (*s)->api().hooks();
  if (!rows)
    return report(rows.error(), exit_failed);
  auto out = nlohmann::json::array();
  for (const auto& row : *rows)
    out.push_back({{"position", out.size() + 1},
                   {"plugin", row.metadata.id},
                   {"hook_priority", row.metadata.hook_priority},
                   {"hooks", row.metadata.hooks},
                   {"state", to_string(row.state)}});
  std::cout << render_json(out, 2) << std::endl;
  return exit_ok;
}

int list_tools(const target& where) {
  auto s = open(where);
  if (!s)
    return report(s.error(), exit_usage);
  auto tools = (*s)->cluster() ? (*s)->cluster()->tools() : (*s)->api().tools();
  if (!tools)
    return report(tools.error(), exit_failed);
  std::cout << render_json(json_array(*tools), 2) << std::endl;
  return exit_ok;
}

int call_tool(const target& where, const std::string& name, const std::optional<std::string>& json) {
  auto s = open(where);
  if (!s)
    return report(s.error(), exit_usage);
  auto args = payload_from_json_text(json ? *json : std::string("{}"));
  if (!args)
    return report(args.error(), exit_usage);
  return print_answer((*s)->api().call_tool(name, *args), name);
}

/// The session of a cluster command: --node to a node that is in a cluster.
caf::expected<std::unique_ptr<session>> open_cluster(const target& where) {
  if (where.node.empty())
    return make_error(errc::bad_input, "", "this command needs --node HOST:PORT");
  auto s = open(where);
  if (s && !(*s)->cluster())
    return make_error(errc::unavailable, "", "the node at " + where.node + " is in no cluster");
  return s;
}

int list_nodes(const target& where) {
  auto s = open_cluster(where);
  if (!s)
    return report(s.error(), exit_usage);
  auto rows = (*s)->cluster()->nodes();
  if (!rows)
    return report(rows.error(), exit_failed);
  std::cout << render_json(json_array(*rows), 2) << std::endl;
  return exit_ok;
}

int deploy_script(const target& where, const deploy_options& opts) {
  std::ifstream in(opts.file, std::ios::binary);
  if (!in)
    return report(make_error(errc::not_found, opts.id, "cannot read '" + opts.file + "'"),
                  exit_usage);
  deploy_request req{opts.on, opts.id, std::filesystem::path(opts.file).filename().string(),
                     std::string{std::istreambuf_iterator<char>(in), {}}};
  auto s = open_cluster(where);
  if (!s)
    return report(s.error(), exit_usage);
  auto md = (*s)->cluster()->deploy(req);
  if (!md)
    return report(md.error(), exit_failed);
  std::cout << render_json(to_json(*md), 2) << std::endl;
  return exit_ok;
}

int undeploy_script(const target& where, const std::string& id) {
  auto s = open_cluster(where);
  if (!s)
    return report(s.error(), exit_usage);
  auto nodes = (*s)->cluster()->undeploy(id);
  if (!nodes)
    return report(nodes.error(), exit_failed);
  std::cout << render_json(nlohmann::json{{"id", id}, {"removed_from", *nodes}}) << std::endl;
  return exit_ok;
}

/// The JSON line of one problem validate_scripts found.
std::string problem_line(const std::string& file, const source_problem& p) {
  return render_json(nlohmann::json{{"file", file}, {"line", p.line},
                                    {"severity", p.warning ? "warning" : "error"},
                                    {"message", p.message}});
}

int validate_scripts(const std::vector<std::string>& files) {
  bool any_error = false;
  for (const auto& file : files) {
    const auto* kind = plugin_kinds()->watching(file);
    std::ifstream in(file, std::ios::binary);
    std::vector<source_problem> problems;
    if (kind == nullptr || !kind->validate)
      problems.push_back({0, "no plugin kind validates this file (file patterns: "
                               + join(plugin_kinds()->watch_patterns()) + ")", false});
    else if (!in)
      problems.push_back({0, "cannot read the file", false});
    else
      problems = kind->validate(std::string{std::istreambuf_iterator<char>(in), {}});
    for (const auto& p : problems) {
      any_error = any_error || !p.warning;
      std::cout << problem_line(file, p) << std::endl;
    }
  }
  return any_error ? exit_failed : exit_ok;
}

} // namespace troupe::cli
