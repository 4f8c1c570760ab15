#include "plugins/builtin/monitor/rule_engine.hpp"

#include <algorithm>
#include <cstdio>

namespace troupe::builtin {

namespace {

std::string number(double x, const char* format) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

} // namespace

std::string alert_message(const monitor_rule& r, const std::string& subject, double value) {
  auto who = subject == "*" ? std::string("all plugins") : "plugin '" + subject + "'";
  auto window = std::to_string(r.window_ms) + " ms";
  std::string what;
  switch (r.kind) {
    case rule_kind::error_rate:
      what = "error rate " + number(value * 100, "%.1f") + "% over "
             + number(r.threshold * 100, "%.1f") + "% within " + window;
      break;
    case rule_kind::p99_latency:
      what = "p99 latency " + number(value, "%.0f") + " us over " + number(r.threshold, "%.0f")
             + " us";
      break;
    case rule_kind::restarts:
      what = number(value, "%.0f") + " restarts within " + window + ", over "
             + number(r.threshold, "%g");
      break;
  }
  return what + " for " + who + " (rule '" + r.name + "')";
}

rule_engine::rule_engine(std::vector<monitor_rule> rules, std::function<std::int64_t()> clock,
                         std::string exclude)
  : rules_(std::move(rules)), clock_(std::move(clock)), exclude_(std::move(exclude)) {
  for (const auto& r : rules_)
    longest_window_ms_ = std::max(longest_window_ms_, r.window_ms);
}

void rule_engine::record(const observed_stats& s, std::int64_t now) {
  auto& h = plugins_[s.plugin];
  if (h.samples.empty())
    h.samples.push_back({now, 0, 0}); // counts before the first observation are new
  // Counts that went down: the plugin was respawned and its stats started again.
  bool respawned = s.calls < h.last_calls || s.failures < h.last_failures;
  h.total_calls += respawned ? s.calls : s.calls - h.last_calls;
  h.total_failures += respawned ? s.failures : s.failures - h.last_failures;
  h.last_calls = s.calls;
  h.last_failures = s.failures;
  h.p99_us = s.p99_us;
  h.samples.push_back({now, h.total_calls, h.total_failures});
}

void rule_engine::record_aggregate(std::int64_t now) {
  auto& all = plugins_["*"];
  if (all.samples.empty())
    all.samples.push_back({now, 0, 0});
  all.total_calls = all.total_failures = 0;
  all.p99_us = 0;
  for (const auto& [id, h] : plugins_) {
    if (id == "*" || id == exclude_)
      continue;
    all.total_calls += h.total_calls;
    all.total_failures += h.total_failures;
    all.p99_us = std::max(all.p99_us, h.p99_us);
  }
  all.samples.push_back({now, all.total_calls, all.total_failures});
}

void rule_engine::prune(std::int64_t now) {
  auto horizon = now - longest_window_ms_;
  for (auto& [id, h] : plugins_) {
    while (h.samples.size() > 1 && h.samples.front().time_ms < horizon)
      h.samples.pop_front();
    while (!h.restart_times.empty() && h.restart_times.front() < horizon)
      h.restart_times.pop_front();
  }
}

std::pair<double, bool> rule_engine::evaluate(const monitor_rule& r, const history& h,
                                              std::int64_t now) const {
  auto from = now - r.window_ms;
  if (r.kind == rule_kind::restarts) {
    auto n = std::count_if(h.restart_times.begin(), h.restart_times.end(),
                           [&](std::int64_t t) { return t >= from && t <= now; });
    return {static_cast<double>(n), static_cast<double>(n) > r.threshold};
  }
  auto base = std::find_if(h.samples.begin(), h.samples.end(),
                           [&](const sample& s) { return s.time_ms >= from; });
  std::uint64_t calls = 0, failures = 0;
  if (base != h.samples.end()) {
    calls = h.total_calls - base->calls;
    failures = h.total_failures - base->failures;
  }
  bool enough = calls > 0 && calls >= static_cast<std::uint64_t>(r.min_calls);
  if (r.kind == rule_kind::p99_latency)
    return {h.p99_us, enough && h.p99_us > r.threshold};
  double rate = calls == 0 ? 0.0 : static_cast<double>(failures) / static_cast<double>(calls);
  return {rate, enough && rate > r.threshold};
}

bool rule_engine::should_fire(std::size_t rule_index, const std::string& subject, bool holds,
                              std::int64_t now) {
  auto& f = firing_[{rule_index, subject}];
  if (!holds) {
    f.active = false;
    return false;
  }
  const auto& r = rules_[rule_index];
  bool entering = !f.active;
  f.active = true;
  bool cooled = !f.fired || now - f.last_fired_ms >= r.cooldown_ms;
  bool fire = cooled && (entering || r.cooldown_ms > 0);
  if (fire) {
    f.fired = true;
    f.last_fired_ms = now;
  }
  return fire;
}

std::vector<std::string> rule_engine::subjects(const monitor_rule& r) const {
  if (r.plugin != "*")
    return {r.plugin};
  if (r.aggregate)
    return {"*"};
  std::vector<std::string> out;
  for (const auto& [id, h] : plugins_)
    if (id != "*" && id != exclude_)
      out.push_back(id);
  return out;
}

std::vector<alert> rule_engine::observe(const std::vector<observed_stats>& stats,
                                        const std::vector<observed_event>& events) {
  auto now = clock_();
  for (const auto& s : stats)
    record(s, now);
  for (const auto& ev : events)
    if (ev.kind == "restarted" && !ev.plugin.empty()) {
      plugins_[ev.plugin].restart_times.push_back(ev.time_ms);
      if (ev.plugin != exclude_)
        plugins_["*"].restart_times.push_back(ev.time_ms);
    }
  record_aggregate(now);
  prune(now);
  std::vector<alert> out;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const auto& r = rules_[i];
    for (const auto& subject : subjects(r)) {
      auto it = plugins_.find(subject);
      auto [value, holds] = it == plugins_.end() ? std::pair{0.0, false}
                                                 : evaluate(r, it->second, now);
      if (should_fire(i, subject, holds, now))
        out.push_back({r.name, to_string(r.kind), subject, value, r.threshold, now,
                       alert_message(r, subject, value)});
    }
  }
  return out;
}

} // namespace troupe::builtin
