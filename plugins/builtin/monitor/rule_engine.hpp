#pragma once
// The monitor's rule evaluation as pure logic: fed the runtime's stats and events, it answers the
// alerts to raise. Time comes from an injected clock, so tests drive it without actors or sleeps.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "plugins/builtin/monitor/monitor_rules.hpp"

namespace troupe::builtin {

/// One plugin's figures as the manager's stats report them (counts since its last spawn).
struct observed_stats {
  std::string plugin;
  std::uint64_t calls = 0;
  std::uint64_t failures = 0;
  double p99_us = 0;
};

/// One runtime event, as much of it as rules need.
struct observed_event {
  std::string kind;   ///< "restarted", "crashed", ... (to_string(event_kind)).
  std::string plugin;
  std::int64_t time_ms = 0;
};

/// A rule that fired for a subject.
struct alert {
  std::string rule;       ///< The rule's name.
  std::string kind;       ///< to_string(rule_kind).
  std::string plugin;     ///< The subject: a plugin id, or "*" for an aggregate rule.
  double value = 0;       ///< The figure that went over the threshold.
  double threshold = 0;
  std::int64_t time_ms = 0; ///< The clock's time when it fired.
  std::string message;    ///< One human-readable line.
};

/// Evaluates rules over successive observations.
///
/// Counting: a plugin's calls and failures are turned into running totals; a count lower than
/// the last one seen means the plugin was respawned (its stats start again) and counts in full.
/// A plugin's first observation counts in full too. error_rate and min_calls use the calls and
/// failures that arrived within the rule's window_ms; restarts counts "restarted" events whose
/// time is within window_ms of now.
///
/// Firing: a rule fires for a subject when its condition starts to hold (entering), unless it
/// fired for that subject less than cooldown_ms ago; while the condition keeps holding it fires
/// again each time cooldown_ms has passed since it last fired (cooldown_ms 0: only on entering).
/// A condition that stops holding re-arms the rule.
/// Not thread-safe.
class rule_engine {
public:
  /// `clock` answers milliseconds (any epoch shared with the events' time_ms). Subjects named
  /// `exclude` (the monitor itself) are left out of "*" rules.
  rule_engine(std::vector<monitor_rule> rules, std::function<std::int64_t()> clock,
              std::string exclude = {});

  /// Takes one observation (every plugin's stats, the events since the last observation) and
  /// answers the alerts it raises, in rule order.
  std::vector<alert> observe(const std::vector<observed_stats>& stats,
                             const std::vector<observed_event>& events);

  /// The rules, as given.
  const std::vector<monitor_rule>& rules() const { return rules_; }

private:
  struct sample {
    std::int64_t time_ms;
    std::uint64_t calls;    ///< Running total.
    std::uint64_t failures; ///< Running total.
  };
  struct history {
    std::uint64_t last_calls = 0, last_failures = 0; ///< As reported last time.
    std::uint64_t total_calls = 0, total_failures = 0;
    double p99_us = 0;
    std::deque<sample> samples;           ///< Oldest first, within the longest window.
    std::deque<std::int64_t> restart_times;
  };
  struct firing {
    bool active = false;
    bool fired = false;
    std::int64_t last_fired_ms = 0;
  };

  void record(const observed_stats& s, std::int64_t now);
  void record_aggregate(std::int64_t now);
  void prune(std::int64_t now);
  /// The rule's value for `subject` and whether its condition holds.
  std::pair<double, bool> evaluate(const monitor_rule& r, const history& h, std::int64_t now) const;
  /// Updates the firing state; true if the rule fires now.
  bool should_fire(std::size_t rule_index, const std::string& subject, bool holds,
                   std::int64_t now);
  std::vector<std::string> subjects(const monitor_rule& r) const;

  std::vector<monitor_rule> rules_;
  std::function<std::int64_t()> clock_;
  std::string exclude_;
  std::int64_t longest_window_ms_ = 0;
  std::map<std::string, history> plugins_; ///< By plugin id; "*" holds the aggregate.
  std::map<std::pair<std::size_t, std::string>, firing> firing_;
};

/// One line for an alert's message, e.g. "error rate 0.8 over 0.5 for plugin 'flaky' (8 of 10
/// calls in the last 60000 ms)".
std::string alert_message(const monitor_rule& r, const std::string& subject, double value);

} // namespace troupe::builtin
