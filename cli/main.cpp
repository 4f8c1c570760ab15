// troupe: run a node, or execute, list and inspect plugins from the command line.

#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/session.hpp"

namespace {

std::string exe_dir() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string{} : self.parent_path().string();
}

void add_target_options(CLI::App* cmd, troupe::cli::target& where) {
  auto* config = cmd->add_option("--config,-c", where.config_path,
                                 "Start the plugins of this TOML config in-process");
  auto* node = cmd->add_option("--node,-n", where.node,
                               "Talk to the running node at HOST:PORT (see `troupe run`)");
  config->excludes(node);
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"troupe: an actor-model plugin runtime. Every plugin is an isolated CAF actor."};
  app.require_subcommand(1);
  std::string log_level = "warn";
  app.add_option("--log-level,-l", log_level,
                 "trace, debug, info, warn, error, critical or off (default: warn; run: config)");

  troupe::cli::run_options run;
  auto* run_cmd = app.add_subcommand("run", "Host the plugins of CONFIG until SIGINT/SIGTERM");
  run_cmd->add_option("config", run.config_path, "TOML node config")->required();
  run_cmd->add_option("--host", run.host, "Address to publish the manager on (node.host)");
  run_cmd->add_option("--port,-p", run.port, "Port to publish the manager on; 0: none (node.port)");

  troupe::cli::target where;
  where.exe_dir = exe_dir();
  std::string plugin;
  std::optional<std::string> json;
  auto* exec_cmd = app.add_subcommand(
    "exec", "Execute PLUGIN with JSON and print the result as JSON; without JSON, one per stdin line");
  exec_cmd->add_option("plugin", plugin, "Plugin id")->required();
  exec_cmd->add_option("json", json, "Input value as JSON (omit to read JSON lines from stdin)");
  add_target_options(exec_cmd, where);

  std::optional<std::string> type;
  auto* list_cmd = app.add_subcommand("list", "List plugins with metadata and state as JSON");
  list_cmd->add_option("--type,-t", type, "Only plugins of this type (tool, storage, custom:x, ...)");
  add_target_options(list_cmd, where);

  std::optional<std::string> stats_plugin;
  auto* stats_cmd = app.add_subcommand("stats", "Print call statistics as JSON");
  stats_cmd->add_option("plugin", stats_plugin, "Plugin id (default: every plugin)");
  add_target_options(stats_cmd, where);

  auto* health_cmd = app.add_subcommand("health", "Print every plugin's health; exit 1 if any is unhealthy");
  add_target_options(health_cmd, where);

  CLI11_PARSE(app, argc, argv);

  bool explicit_level = app.get_option("--log-level")->count() > 0;
  if (run_cmd->parsed() && !explicit_level) {
    auto cfg = troupe::cli::load_node_config(run.config_path);
    if (cfg)
      log_level = cfg->log_level;
  }
  if (!troupe::cli::configure_logging(log_level)) {
    std::cerr << "unknown log level '" << log_level << "'\n";
    return 2;
  }
  if (run_cmd->parsed())
    return troupe::cli::run_node(run, where.exe_dir);
  if (exec_cmd->parsed())
    return troupe::cli::exec_plugin(where, plugin, json);
  if (list_cmd->parsed())
    return troupe::cli::list_plugins(where, type);
  if (stats_cmd->parsed())
    return troupe::cli::show_stats(where, stats_plugin);
  return troupe::cli::show_health(where);
}
