#pragma once
// How a group of plugins is supervised, in the manner of Erlang/OTP: which siblings restart with a
// crashed child, how many restarts within how long make the group give up (escalate to its parent),
// the backoff between restarts, what happens to requests while a plugin restarts, health checks,
// the watchdog and checkpoints. Every field's default is documented here and in docs/supervision.md.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace troupe {

/// Which children restart when one crashes (OTP's strategies).
enum class restart_strategy : std::uint8_t {
  one_for_one,  ///< Only the crashed child.
  one_for_all,  ///< Every child of the group (the others are stopped first).
  rest_for_one, ///< The crashed child and every child started after it.
};

/// When a child is restarted (OTP's restart types).
enum class restart_type : std::uint8_t {
  permanent, ///< Always.
  transient, ///< Only after an abnormal exit (a crash), not after a normal one.
  temporary, ///< Never: it is removed when it exits.
};

/// More than max_restarts restarts within `within` make the group escalate: it stops its
/// children and fails to its parent group (the root group gives up: its plugins stay stopped).
struct intensity_policy {
  std::size_t max_restarts = 5;               ///< Default: 5.
  std::chrono::milliseconds within{10000};    ///< Default: 10 s.
};

/// Delay before the k-th consecutive restart of a child (k = 0, 1, ...):
/// min(max, min * multiplier^k), spread by a random factor in [1 - jitter, 1 + jitter] and never
/// above max. k returns to 0 once a child has gone reset_after without a restart.
/// min = 0 turns backoff off (every restart immediate).
struct backoff_policy {
  std::chrono::milliseconds min{5};            ///< Default: 5 ms.
  std::chrono::milliseconds max{5000};         ///< Default: 5 s.
  double multiplier = 2.0;                     ///< Default: 2.
  double jitter = 0.2;                         ///< Default: 0.2 (plus or minus 20 %).
  std::chrono::milliseconds reset_after{30000}; ///< Default: 30 s.
};

/// What happens to a request for a plugin that is restarting.
struct queue_policy {
  bool fail_fast = false;                 ///< true: answer unavailable at once. Default: false.
  std::size_t capacity = 1024;            ///< Requests held per plugin; beyond it, unavailable.
                                          ///< Default: 1024.
  std::chrono::milliseconds timeout{5000}; ///< A held request is answered timeout after this.
                                          ///< Default: 5 s.
};

/// Periodic health checks: `failures` unhealthy answers (or no answer within `interval`) in a row
/// count as a crash. interval = 0 turns them off.
struct health_policy {
  std::chrono::milliseconds interval{5000}; ///< Default: 5 s.
  std::size_t failures = 3;                 ///< Default: 3.
};

/// One supervisor: a named group of plugins and nested groups.
struct group_spec {
  std::string name;                 ///< Unique; "root" is the top group every other descends from.
  std::string parent = "root";      ///< The group it is a child of. Ignored for "root".
  restart_strategy strategy = restart_strategy::one_for_one; ///< Default: one_for_one.
  intensity_policy intensity;
  backoff_policy backoff;
  queue_policy queue;
  health_policy health;
  /// A call with no answer for this long is a crash (the plugin is hanging). 0: no watchdog.
  /// Default: 30 s.
  std::chrono::milliseconds watchdog{30000};
  /// A plugin that keeps state is checkpointed after every this many successful calls (and when
  /// it stops); 0: only when it stops. Default: 1.
  std::size_t checkpoint_every = 1;
  /// After a reload, if the new version's first this many calls all fail, the previous version
  /// (kept aside until then) and its state come back. 0: never roll back. Default: 3.
  std::size_t rollback_after = 3;
  /// A reload carries the old version's state to the new one (docs/hot-reload.md). false: the
  /// new version starts with its own initial state. Default: true.
  bool preserve_state = true;
  /// After a plugin's first crash, keep a spare instance of it built in the background (loaded,
  /// not initialised), so that its next restart only initialises and starts it (a Lua restart
  /// then skips building the state and compiling the script). Costs one more instance's memory,
  /// only for plugins that have crashed. Default: true.
  bool standby = true;
};

/// Every group of a node. A "root" group with default settings exists even if not listed; a
/// listed "root" sets its settings.
struct supervision_config {
  std::vector<group_spec> groups;
};

/// The name of the top group.
inline const std::string root_group = "root";

/// The group named `name` (root's defaults if `name` is "root" and it is not listed), or nullptr.
const group_spec* find_group(const supervision_config& cfg, const std::string& name);

/// config_error if two groups share a name, a parent is unknown, the parents form a cycle, or a
/// value is out of range (multiplier < 1, jitter outside [0, 1], max < min, failures = 0).
caf::error validate(const supervision_config& cfg);

/// "one_for_one" and so on.
std::string to_string(restart_strategy x);
/// "permanent", "transient", "temporary".
std::string to_string(restart_type x);
/// Parses a strategy name; config_error naming the accepted ones otherwise.
caf::expected<restart_strategy> parse_strategy(const std::string& text);
/// Parses a restart type ("" means permanent); config_error naming the accepted ones otherwise.
caf::expected<restart_type> parse_restart_type(const std::string& text);

} // namespace troupe
