// troupe: run a node, or execute, list and inspect plugins from the command line.

#include <iostream>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/session.hpp"
#include "messages/errors.hpp"

namespace {

void add_target_options(CLI::App* cmd, troupe::cli::target& where) {
  auto* config = cmd->add_option("--config,-c", where.config_path,
                                 "Start the plugins of this TOML config in-process");
  auto* node = cmd->add_option("--node,-n", where.node,
                               "Talk to the running node at HOST:PORT (see `troupe run`)");
  config->excludes(node);
  cmd->add_option("--ca", where.ca, "With --node: the cluster's CA certificate (PEM), for TLS")
    ->needs(node);
  cmd->add_option("--cert", where.cert, "With --node: this client's certificate (PEM)")->needs(node);
  cmd->add_option("--key", where.key, "With --node: this client's private key (PEM)")->needs(node);
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
  run_cmd->add_option("--host", run.host, "Address to listen on (the host of [cluster] listen)");
  run_cmd->add_option("--port,-p", run.port,
                      "Port to listen on (the port of [cluster] listen); 0: any free port");
  run_cmd->add_option("--ready-file", run.ready_file,
                      "Once serving, write the bound HOST:PORT into this file (then \"gateway HOST:PORT\" and \"http HOST:PORT\" lines for the doors it opened)");

  troupe::cli::target where;
  std::string plugin;
  std::optional<std::string> json;
  auto* exec_cmd = app.add_subcommand(
    "exec", "Execute PLUGIN (or --script FILE.lua|FILE.wasm) with JSON and print the result as JSON; "
            "without JSON, one per stdin line");
  exec_cmd->add_option("plugin", plugin, "Plugin id (with --script: omit it)");
  exec_cmd->add_option("json", json, "Input value as JSON (omit to read JSON lines from stdin)");
  auto* script_opt = exec_cmd->add_option("--script,-s", where.script,
                                          "Run this Lua script or WebAssembly module as a plugin, in-process");
  exec_cmd->add_option("--limit", where.limits,
                       "Sandbox limit NAME=VALUE for --script (Lua: wall_time_ms, instructions, memory, "
                       "call_depth, string_size, call_timeout_ms; WebAssembly: fuel, wall_time_ms, "
                       "memory_pages, module_size)")
    ->allow_extra_args(false)
    ->needs(script_opt);
  exec_cmd->add_flag("--watch,-w", where.watch,
                     "With --script: reload the script when its file changes (state kept)")
    ->needs(script_opt);
  add_target_options(exec_cmd, where);

  auto* tools_cmd = app.add_subcommand("tools", "List every plugin's tools with their JSON schemas");
  add_target_options(tools_cmd, where);

  auto* hooks_cmd = app.add_subcommand(
    "hooks", "List the agent hook pipeline: plugins with hooks, in the order they run");
  add_target_options(hooks_cmd, where);

  std::string tool_name;
  std::optional<std::string> tool_args;
  auto* call_tool_cmd = app.add_subcommand("call-tool", "Run tool NAME with JSON arguments");
  call_tool_cmd->add_option("name", tool_name, "Tool name, or PLUGIN/TOOL")->required();
  call_tool_cmd->add_option("json", tool_args, "Arguments object as JSON (default: {})");
  add_target_options(call_tool_cmd, where);

  auto* mcp_cmd = app.add_subcommand(
    "mcp", "Serve every tool of a node to an AI agent over MCP (stdio; logs go to stderr)");
  add_target_options(mcp_cmd, where);

  std::vector<std::string> scripts;
  auto* validate_cmd = app.add_subcommand(
    "validate", "Check Lua scripts and WebAssembly modules without running them; one JSON "
                "line per problem");
  validate_cmd->add_option("files", scripts, "Lua scripts (*.lua), WebAssembly modules (*.wasm)")
    ->required();

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

  std::string reload_id;
  auto* reload_cmd = app.add_subcommand(
    "reload", "Reload PLUGIN's code: build the new version beside the old, carry state, swap");
  reload_cmd->add_option("plugin", reload_id, "Plugin id")->required();
  add_target_options(reload_cmd, where);

  troupe::cli::events_options events;
  auto* events_cmd = app.add_subcommand(
    "events", "Print crashes, restarts, escalations and health changes as they happen");
  events_cmd->add_option("--count", events.count, "Stop after this many events (default: no limit)");
  events_cmd->add_option("--for", events.seconds, "Stop after this many seconds (default: no limit)");
  events_cmd->add_flag("--json", events.json, "One JSON object per line");
  add_target_options(events_cmd, where);

  auto* nodes_cmd = app.add_subcommand("nodes", "List the cluster's members and their state");
  add_target_options(nodes_cmd, where);

  troupe::cli::deploy_options deploy;
  auto* deploy_cmd = app.add_subcommand(
    "deploy", "Send a script or module to a node of the cluster, which hosts it (kept across "
              "restarts)");
  deploy_cmd->add_option("file", deploy.file, "The script or module (FILE.lua, FILE.wasm)")->required();
  deploy_cmd->add_option("--on", deploy.on, "The member to host it (default: the --node one)");
  deploy_cmd->add_option("--id", deploy.id, "Plugin id (default: the file name's stem)");
  add_target_options(deploy_cmd, where);

  std::string undeploy_id;
  auto* undeploy_cmd = app.add_subcommand(
    "undeploy", "Remove a deployed script from every node of the cluster that hosts it");
  undeploy_cmd->add_option("plugin", undeploy_id, "Plugin id")->required();
  add_target_options(undeploy_cmd, where);

  CLI11_PARSE(app, argc, argv);

  bool explicit_level = app.get_option("--log-level")->count() > 0;
  if (run_cmd->parsed() && !explicit_level) {
    auto cfg = troupe::load_node_config(run.config_path, *troupe::cli::plugin_kinds());
    if (cfg)
      log_level = cfg->log_level;
  }
  if (!troupe::cli::configure_logging(log_level)) {
    std::cerr << "unknown log level '" << log_level << "'\n";
    return 2;
  }
  if (run_cmd->parsed())
    return troupe::cli::run_node(run);
  if (exec_cmd->parsed()) {
    if (!where.script.empty()) {
      if (!where.config_path.empty() || !where.node.empty()) {
        std::cerr << "--script runs the script on its own: leave out --config and --node\n";
        return 2;
      }
      if (json && !plugin.empty()) {
        std::cerr << "with --script, give only the JSON input\n";
        return 2;
      }
      if (!plugin.empty())
        json = plugin; // the one positional is the input
      auto spec = troupe::cli::plugin_kinds()->spec_for_file(where.script);
      if (!spec) {
        std::cerr << troupe::describe(spec.error()) << "\n";
        return 2;
      }
      plugin = spec->config.id;
    } else if (plugin.empty()) {
      std::cerr << "exec needs a PLUGIN id, or --script FILE.lua|FILE.wasm\n";
      return 2;
    }
    return troupe::cli::exec_plugin(where, plugin, json);
  }
  if (tools_cmd->parsed())
    return troupe::cli::list_tools(where);
  if (hooks_cmd->parsed())
    return troupe::cli::list_hooks(where);
  if (call_tool_cmd->parsed())
    return troupe::cli::call_tool(where, tool_name, tool_args);
  if (mcp_cmd->parsed())
    return troupe::cli::serve_mcp(where);
  if (validate_cmd->parsed())
    return troupe::cli::validate_scripts(scripts);
  if (list_cmd->parsed())
    return troupe::cli::list_plugins(where, type);
  if (reload_cmd->parsed())
    return troupe::cli::reload_plugin(where, reload_id);
  if (nodes_cmd->parsed())
    return troupe::cli::list_nodes(where);
  if (deploy_cmd->parsed())
    return troupe::cli::deploy_script(where, deploy);
  if (undeploy_cmd->parsed())
    return troupe::cli::undeploy_script(where, undeploy_id);
  if (events_cmd->parsed())
    return troupe::cli::watch_events(where, events);
  if (stats_cmd->parsed())
    return troupe::cli::show_stats(where, stats_plugin);
  return troupe::cli::show_health(where);
}
