#pragma once
// Troupe's error category. Every error a user sees is a caf::error of category "troupe" whose
// context names the plugin and says what went wrong; it crosses actor and node boundaries as a value.

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace troupe {

/// The category atom under which Troupe's errors are registered with CAF.
constexpr caf::atom_value error_category = caf::atom("troupe");

/// Troupe's error codes. 0 is reserved by CAF for "no error".
enum class errc : std::uint8_t {
  invalid_state = 1,  ///< The request is illegal in the plugin's current lifecycle state.
  not_found,          ///< No plugin, library, symbol or file of that name.
  already_exists,     ///< A plugin with that id is registered already.
  plugin_failed,      ///< Plugin code returned an error or threw.
  timeout,            ///< No answer within the deadline.
  bad_input,          ///< The payload or arguments could not be decoded or are invalid.
  missing_dependency, ///< A plugin depends on a plugin that is not registered.
  dependency_cycle,   ///< Plugins depend on each other in a cycle.
  load_failed,        ///< A plugin or library could not be loaded.
  abi_mismatch,       ///< A shared library was built for another plugin ABI version.
  config_error,       ///< The configuration is invalid.
  unavailable,        ///< The plugin's actor is gone or cannot be reached.
  limit_exceeded,     ///< A sandbox limit stopped the call (time, instructions, memory, depth, size).
  fatal,              ///< Returned by plugin code that cannot go on: its host crashes it (the
                      ///< supervisor restarts it). A thrown exception counts as fatal too.
  crashed,            ///< The plugin crashed while the request was in flight or queued for it.
  unauthorized,       ///< A door's caller gave no token or a wrong one (gateway, HTTP).
};

/// `err` naming the node it came from too: Troupe's errors keep their code and plugin (or
/// `plugin` when they name none) with " [node 'NODE']" after the detail; CAF's become
/// unavailable with their rendering.
caf::error with_node(const caf::error& err, const std::string& plugin, const std::string& node);

/// The snake_case name of a code ("invalid_state").
std::string to_string(errc x);

/// Makes a Troupe error about `plugin` (an id; may be empty for node-level errors).
caf::error make_error(errc code, std::string plugin, std::string detail);

/// True if `err` belongs to Troupe's category.
bool is_troupe_error(const caf::error& err);

/// The plugin an error names, or "" if it names none or is not a Troupe error.
std::string plugin_of(const caf::error& err);

/// The detail text of a Troupe error, or CAF's rendering of any other error.
std::string detail_of(const caf::error& err);

/// The code's name for Troupe errors ("invalid_state"), or "<category>:<code>" for others.
std::string code_name(const caf::error& err);

/// A one-line human-readable description:
/// "invalid_state: plugin 'echo': cannot execute while Paused".
std::string describe(const caf::error& err);

/// The renderer registered with CAF (actor_system::render uses it).
std::string render_error(std::uint8_t code, caf::atom_value category, const caf::message& ctx);

} // namespace troupe
