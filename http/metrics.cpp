#include "http/metrics.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "actors/latency_stats.hpp"

namespace troupe {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

/// A family with one metric per plugin, its value read by `value`.
template <class Value>
MetricFamily per_plugin(const metrics_snapshot& s, const std::string& name, const std::string& help,
                        MetricType type, Value value) {
  MetricFamily f{name, help, type, {}};
  for (const auto& p : s.stats) {
    ClientMetric m;
    m.label = {{"node", s.node}, {"plugin", p.id}};
    double v = value(p);
    if (type == MetricType::Counter)
      m.counter.value = v;
    else
      m.gauge.value = v;
    f.metric.push_back(std::move(m));
  }
  return f;
}

MetricFamily durations(const metrics_snapshot& s) {
  MetricFamily f{"troupe_plugin_call_duration_seconds",
                 "Time from a call reaching the plugin to its answer", MetricType::Histogram, {}};
  for (const auto& p : s.stats) {
    ClientMetric m;
    m.label = {{"node", s.node}, {"plugin", p.id}};
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < latency_bounds_us.size(); ++i) {
      cumulative += i < p.latency_buckets.size() ? p.latency_buckets[i] : 0;
      m.histogram.bucket.push_back({cumulative, latency_bounds_us[i] / 1e6});
    }
    if (p.latency_buckets.size() > latency_bounds_us.size())
      cumulative += p.latency_buckets.back();
    m.histogram.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
    m.histogram.sample_count = cumulative;
    m.histogram.sample_sum = p.latency_sum_us / 1e6;
    f.metric.push_back(std::move(m));
  }
  return f;
}

/// A family with one metric per plugin whose counters have `counter` (e.g. "memory_bytes").
MetricFamily from_counter(const metrics_snapshot& s, const std::string& name,
                          const std::string& help, MetricType type, const std::string& counter) {
  MetricFamily f{name, help, type, {}};
  for (const auto& p : s.stats) {
    auto it = p.counters.find(counter);
    if (it == p.counters.end())
      continue;
    ClientMetric m;
    m.label = {{"node", s.node}, {"plugin", p.id}};
    (type == MetricType::Counter ? m.counter.value : m.gauge.value) =
      static_cast<double>(it->second);
    f.metric.push_back(std::move(m));
  }
  return f;
}

/// A family with one metric per key of `counts`, labelled `label`.
MetricFamily by_label(const std::string& node, const std::string& name, const std::string& help,
                      MetricType type, const std::string& label,
                      const std::map<std::string, std::uint64_t>& counts) {
  MetricFamily f{name, help, type, {}};
  for (const auto& [key, n] : counts) {
    ClientMetric m;
    m.label = {{"node", node}, {label, key}};
    (type == MetricType::Counter ? m.counter.value : m.gauge.value) = static_cast<double>(n);
    f.metric.push_back(std::move(m));
  }
  return f;
}

} // namespace

std::string render_metrics(const metrics_snapshot& s) {
  auto count = [](auto field) { return [field](const plugin_stats& p) { return double(p.*field); }; };
  std::vector<MetricFamily> families{
    per_plugin(s, "troupe_plugin_calls_total", "Calls answered, with a result or an error",
               MetricType::Counter, count(&plugin_stats::calls)),
    per_plugin(s, "troupe_plugin_failures_total", "Calls answered with an error",
               MetricType::Counter, count(&plugin_stats::failures)),
    durations(s),
    per_plugin(s, "troupe_plugin_in_flight", "Calls started and not answered yet",
               MetricType::Gauge, count(&plugin_stats::in_flight)),
    per_plugin(s, "troupe_plugin_held", "Calls waiting for the plugin to come back",
               MetricType::Gauge, count(&plugin_stats::held)),
    per_plugin(s, "troupe_plugin_restarts_total", "Restarts by the plugin's supervisor",
               MetricType::Counter, count(&plugin_stats::restarts)),
    per_plugin(s, "troupe_plugin_reloads_total", "Reloads of the plugin's code",
               MetricType::Counter, count(&plugin_stats::reloads)),
    from_counter(s, "troupe_plugin_lua_memory_bytes", "Memory a Lua plugin's state holds",
                 MetricType::Gauge, "memory_bytes"),
    from_counter(s, "troupe_plugin_wasm_memory_bytes",
                 "Linear memory of a WebAssembly plugin", MetricType::Gauge,
                 "linear_memory_bytes"),
    from_counter(s, "troupe_plugin_wasm_fuel_total",
                 "Fuel (metered instructions) a WebAssembly plugin used", MetricType::Counter,
                 "fuel_total"),
  };
  std::map<std::string, std::uint64_t> states;
  for (const auto& p : s.stats)
    ++states[to_string(p.state)];
  families.push_back(by_label(s.node, "troupe_node_plugins", "Plugins of the node by state",
                              MetricType::Gauge, "state", states));
  families.push_back(by_label(s.node, "troupe_node_events_total",
                              "Runtime events since the node started, by kind",
                              MetricType::Counter, "kind", s.events));
  if (!s.members.empty()) {
    std::map<std::string, std::uint64_t> members;
    for (const auto& m : s.members)
      ++members[m.state];
    families.push_back(by_label(s.node, "troupe_cluster_members",
                                "Members of the node's cluster by state (as this node sees them)",
                                MetricType::Gauge, "state", members));
  }
  return prometheus::TextSerializer().Serialize(families);
}

} // namespace troupe
