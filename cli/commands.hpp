#pragma once
// The `troupe` subcommands. Each returns the process exit code: 0 success, 1 a plugin or node
// answered with an error, 2 bad usage or configuration.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace troupe::cli {

class session;

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

/// Where a command's plugins live: a config file started in-process, or a running node.
struct target {
  std::string config_path; ///< --config FILE
  std::string node;        ///< --node HOST:PORT
  std::string ca, cert, key; ///< --ca, --cert, --key: mutual TLS to a node that uses it.
  std::string script;      ///< --script FILE: run this one file (a Lua script) as a plugin,
                           ///< in-process, with the kind whose file patterns match it.
  std::vector<std::string> limits; ///< --limit NAME=VALUE for the script's sandbox.
  bool watch = false;              ///< --watch: reload the script when its file changes.
};

/// The session `where` names: --script or --config started in this process, or --node reached
/// over the network (TLS with --ca/--cert/--key). bad_input unless exactly one is given.
caf::expected<std::unique_ptr<session>> open(const target& where);

/// `troupe mcp --config FILE | --node HOST:PORT`: serves every tool of the node to an agent
/// over MCP's stdio transport until stdin ends; only the protocol goes to stdout.
int serve_mcp(const target& where);

/// Options of `troupe run`.
struct run_options {
  std::string config_path;
  std::optional<std::string> host;
  std::optional<unsigned> port;
  /// --ready-file FILE: once the node serves, write "HOST:PORT" (the bound address) into FILE
  /// (for scripts and tests that let the OS pick the port).
  std::string ready_file;
};

/// `troupe run CONFIG`: hosts the config's plugins until SIGINT or SIGTERM, listening on
/// [cluster] listen (or node.host:node.port) when set and joining the cluster's seeds.
int run_node(const run_options& opts);

/// `troupe exec PLUGIN [JSON]`: with JSON, executes once and prints the result as JSON; without,
/// reads one JSON value per line from stdin and prints {"ok": RESULT} or {"error": {...}} per line.
int exec_plugin(const target& where, const std::string& plugin, const std::optional<std::string>& json);

/// `troupe list [--type T]`: every plugin with its metadata and state, as a JSON array.
int list_plugins(const target& where, const std::optional<std::string>& type);

/// `troupe stats [PLUGIN]`: the stats of one plugin, or of all, as JSON.
int show_stats(const target& where, const std::optional<std::string>& plugin);

/// `troupe health`: every plugin's health as a JSON array; exit 1 if any is unhealthy.
int show_health(const target& where);

/// `troupe hooks`: the plugins with agent hooks in the order they run (position, plugin,
/// hook_priority, hooks, state), as a JSON array.
int list_hooks(const target& where);

/// `troupe tools`: every tool of every plugin with its JSON-schema parameters, as a JSON array.
int list_tools(const target& where);

/// `troupe call-tool NAME [JSON]`: runs a tool with arguments checked against its schema.
int call_tool(const target& where, const std::string& name, const std::optional<std::string>& json);

/// `troupe reload PLUGIN`: reloads the plugin's code on the node (or config) and prints its new
/// metadata; exit 1 (and the old version serves on) if the new version fails to build.
int reload_plugin(const target& where, const std::string& plugin);

/// Options of `troupe events`.
struct events_options {
  std::size_t count = 0;   ///< Stop after this many events; 0: no limit.
  double seconds = 0;      ///< Stop after this long; 0: no limit.
  bool json = false;       ///< One JSON object per line instead of a text line.
};

/// `troupe events`: prints the manager's events (crashes, restarts, escalations, health
/// changes) as they happen, one per line, until --count, --for, SIGINT or SIGTERM.
int watch_events(const target& where, const events_options& opts);

/// `troupe nodes --node HOST:PORT`: the cluster's members and their state, as a JSON array.
int list_nodes(const target& where);

/// Options of `troupe deploy`.
struct deploy_options {
  std::string file; ///< The script to send.
  std::string on;   ///< --on NODE: the member to host it; "" for the node connected to.
  std::string id;   ///< --id ID: the plugin id; "" for the file name's stem.
};

/// `troupe deploy FILE --node HOST:PORT [--on NODE] [--id ID]`: sends the script's text to be
/// hosted (kept in the node's data directory); prints its metadata.
int deploy_script(const target& where, const deploy_options& opts);

/// `troupe undeploy ID --node HOST:PORT`: removes a deployed script from every node hosting it.
int undeploy_script(const target& where, const std::string& id);

/// `troupe validate FILE...`: every problem the validator of each file's kind (by file pattern:
/// *.lua) finds, with its line, as JSON lines; exit 1 if any file has an error (a file no kind
/// validates is one).
int validate_scripts(const std::vector<std::string>& files);

} // namespace troupe::cli
