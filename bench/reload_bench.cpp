// bench/reload_bench: hot reload from files. The guide's targets: "a reload swaps within 5 ms after
// the debounce" and "p99 execute latency during reloads".
//
// A runtime with one supervised Lua plugin, "counter", whose script this bench writes into a temp
// dir of its own (removed at the end): version V keeps a counter in a global (carried across
// reloads as Lua data) and answers execute with {version = V, count = N}. rt.watch watches the
// dir; every write is the "truncate and write" save (one open, one write, one close).
//
//   reload latency (immediate, then debounced with a 50 ms debounce): R times, writes version V+1,
//            takes t0 right after the file is closed, then waits (condition variable, fed by
//            rt.subscribe) for the next reload event of the plugin; t1 is the time the subscriber
//            saw the reload_completed event. Records t1 - t0 (immediate) or t1 - t0 - debounce
//            (debounced: "after the debounce"), and the manager's own figure, the N of the event's
//            detail "OLD -> NEW in N us" (from the reload request to the new version serving).
//            Right after the event, an execute (rt.execute) must answer version V+1.
//   execute during reloads (immediate): an event-based driver actor keeps 1 execute outstanding
//            against rt.manager() (requests without timeout) and records every round trip, while
//            the main thread writes R new versions, each after the previous one's
//            reload_completed. A request sent after the subscriber saw version V complete must
//            answer a version >= V (and <= the last one written). Then a baseline: as many
//            requests again with no reload. A warm-up (200 ms of requests) comes first.
//
// Prints, one per line: reloads (R); for immediate, write_to_serving_us (median, p90, p99, max),
// manager_reload_us (median, p99) and wrong_version; for debounced, the same with
// after_debounce_us; then for during_reloads and baseline: requests, errors, wrong_version,
// count_breaks (answers whose count is not the previous one + 1: state not carried; not part of
// the exit status) and execute_us (p50, p99, p999, max). Times in microseconds.
//
// Exit status: 1 if an execute failed, answered a wrong version after its reload completed, a
// reload failed or rolled back, or a reload event or the driver did not come within its deadline
// (10 s per reload, 120 s for the driver); else 0 (2 for a bad command line or a setup failure).
//
// Usage: reload_bench [--reloads R]
//   default: R = 200. Logging is set to errors only.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/runtime.hpp"
#include "bench_support.hpp"
#include "messages/errors.hpp"
#include "messages/manager_protocol.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/registration.hpp"
#include "messages/runtime_event.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
using stop_atom = caf::atom_constant<caf::atom("rb_stop")>;

const std::string plugin_id = "counter";
constexpr auto event_deadline = std::chrono::seconds{10};
constexpr auto driver_deadline = std::chrono::seconds{120};
constexpr auto debounce = std::chrono::milliseconds{50};

struct options {
  std::size_t reloads = 200;
};

options parse(int argc, char** argv) {
  options o;
  troupe::bench::parse_options(argc, argv, "reload_bench: hot reload latency", [&](CLI::App& app) {
    app.add_option("--reloads", o.reloads, "Reloads per measurement")->check(CLI::PositiveNumber);
  });
  return o;
}

std::string version_text(std::int64_t v) {
  return std::to_string(v) + ".0.0";
}

std::string version_script(std::int64_t v) {
  return "plugin_version = '" + version_text(v) + "'\n"
         "count = 0\n"
         "function execute(x) count = count + 1 return {version = " + std::to_string(v)
         + ", count = count} end\n";
}

/// The "truncate and write" save; the time right after the file is closed, or nullopt.
std::optional<clock_type::time_point> write_script(const std::filesystem::path& path,
                                                   std::int64_t v) {
  auto text = version_script(v);
  {
    std::ofstream out{path, std::ios::trunc};
    out << text;
    out.close();
    if (!out)
      return std::nullopt;
  }
  return clock_type::now();
}

double micros(clock_type::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

/// The version number V of a detail "... -> V.0.0 in N us", or -1.
std::int64_t new_version_of(const std::string& detail) {
  auto at = detail.find("-> ");
  return at == std::string::npos ? -1 : std::strtoll(detail.c_str() + at + 3, nullptr, 10);
}

/// The N of a detail "... in N us", or -1.
double manager_us_of(const std::string& detail) {
  auto at = detail.rfind(" in ");
  return at == std::string::npos ? -1 : std::strtod(detail.c_str() + at + 4, nullptr);
}

/// What the plugin shares with the driver: the versions written and seen complete.
struct versions {
  std::atomic<std::int64_t> written{1};
  std::atomic<std::int64_t> completed{1}; ///< Set by the subscriber at reload_completed.
};

/// The plugin's reload outcomes (completed, failed, rolled back), in order, as the subscriber saw
/// them, with the time it saw each.
class reload_log {
public:
  struct entry {
    troupe::event_kind kind;
    std::string detail;
    clock_type::time_point seen;
  };

  explicit reload_log(versions& vs) : versions_(vs) {
  }

  void on_event(const troupe::runtime_event& ev) {
    auto seen = clock_type::now();
    if (ev.plugin != plugin_id
        || (ev.kind != troupe::event_kind::reload_completed
            && ev.kind != troupe::event_kind::reload_failed
            && ev.kind != troupe::event_kind::rolled_back))
      return;
    if (ev.kind == troupe::event_kind::reload_completed)
      versions_.completed.store(new_version_of(ev.detail));
    std::lock_guard<std::mutex> guard{mtx_};
    entries_.push_back({ev.kind, ev.detail, seen});
    cv_.notify_all();
  }

  /// The next outcome not taken yet, or nullopt after event_deadline.
  std::optional<entry> next() {
    std::unique_lock<std::mutex> lock{mtx_};
    if (!cv_.wait_for(lock, event_deadline, [this] { return entries_.size() > taken_; }))
      return std::nullopt;
    return entries_[taken_++];
  }

private:
  versions& versions_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<entry> entries_;
  std::size_t taken_ = 0;
};

using troupe::bench::percentile;

void print_value(const std::string& name, double x) {
  std::printf("%-42s %10.1f\n", name.c_str(), x);
}

void print_count(const std::string& name, std::uint64_t n) {
  std::printf("%-42s %10llu\n", name.c_str(), static_cast<unsigned long long>(n));
}

void print_percentiles(const std::string& name, std::vector<double> xs,
                       const std::vector<std::pair<const char*, double>>& which) {
  std::sort(xs.begin(), xs.end());
  for (const auto& [label, p] : which)
    print_value(name + "." + label, p >= 1 ? (xs.empty() ? 0.0 : xs.back()) : percentile(xs, p));
}

/// The {version, count} of an answer, or nullopt.
std::optional<std::pair<std::int64_t, std::int64_t>> answer_of(const troupe::payload& out) {
  auto m = troupe::unpack_as<std::map<std::string, std::int64_t>>(out);
  if (!m || m->count("version") == 0 || m->count("count") == 0)
    return std::nullopt;
  return std::make_pair((*m)["version"], (*m)["count"]);
}

// -- reload latency ------------------------------------------------------------------------------

/// Writes `reloads` new versions, each after the previous one's reload completed; prints the
/// figures under `label`. False if something went wrong.
bool measure_reloads(troupe::runtime& rt, reload_log& log, versions& vs,
                     const std::filesystem::path& path, const std::string& label,
                     const char* latency_name, clock_type::duration subtract,
                     std::size_t reloads) {
  std::vector<double> latency;
  std::vector<double> manager;
  std::uint64_t wrong = 0;
  std::uint64_t failures = 0;
  for (std::size_t i = 0; i < reloads; ++i) {
    auto v = vs.written.load() + 1;
    vs.written.store(v);
    auto t0 = write_script(path, v);
    if (!t0) {
      std::fprintf(stderr, "reload_bench: cannot write %s\n", path.c_str());
      return false;
    }
    auto ev = log.next();
    if (!ev) {
      std::fprintf(stderr,
                   "reload_bench: %s: reload %zu (version %s written): no reload event within "
                   "%lld s\n",
                   label.c_str(), i + 1, version_text(v).c_str(),
                   static_cast<long long>(event_deadline.count()));
      return false;
    }
    if (ev->kind != troupe::event_kind::reload_completed) {
      std::fprintf(stderr, "reload_bench: %s: reload %zu (version %s written): %s: %s\n",
                   label.c_str(), i + 1, version_text(v).c_str(),
                   troupe::to_string(ev->kind).c_str(), ev->detail.c_str());
      return false;
    }
    auto expected = version_text(v - 1) + " -> " + version_text(v) + " in ";
    if (ev->detail.compare(0, expected.size(), expected) != 0) {
      std::fprintf(stderr, "reload_bench: %s: reload %zu: completed \"%s\", expected \"%s...\"\n",
                   label.c_str(), i + 1, ev->detail.c_str(), expected.c_str());
      return false;
    }
    latency.push_back(micros(ev->seen - *t0 - subtract));
    manager.push_back(manager_us_of(ev->detail));
    auto out = rt.execute(plugin_id, troupe::pack(std::string("x")));
    if (!out) {
      ++failures;
      std::fprintf(stderr, "reload_bench: %s: execute after reload %zu: %s\n", label.c_str(),
                   i + 1, troupe::describe(out.error()).c_str());
      continue;
    }
    auto a = answer_of(*out);
    if (!a || a->first != v) {
      if (wrong++ < 5)
        std::fprintf(stderr, "reload_bench: %s: execute after reload %zu answered version %lld, "
                     "expected %lld\n", label.c_str(), i + 1,
                     static_cast<long long>(a ? a->first : -1), static_cast<long long>(v));
    }
  }
  print_percentiles(label + "." + latency_name, latency,
                    {{"median", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"max", 1.0}});
  print_percentiles(label + ".manager_reload_us", manager, {{"median", 0.5}, {"p99", 0.99}});
  print_count(label + ".wrong_version", wrong);
  if (failures > 0)
    print_count(label + ".execute_errors", failures);
  std::fflush(stdout);
  return wrong == 0 && failures == 0;
}

// -- execute latency during reloads --------------------------------------------------------------

enum phase : int { warmup = 0, during_reloads = 1, baseline = 2, aborted = 3 };

struct period {
  std::vector<double> latency;
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::uint64_t wrong_version = 0;
  std::uint64_t count_breaks = 0;
};

struct driver_result {
  period periods[3];
};

/// The driver's state, shared by its handlers (all run in the driver actor, one at a time).
struct driver_state {
  const std::atomic<int>* phase = nullptr;
  const versions* vs = nullptr;
  driver_result r;
  std::int64_t last_count = -1;
  std::promise<driver_result>* done = nullptr;
  bool reported = false;
  std::size_t shown = 0;
};

using state_ptr = std::shared_ptr<driver_state>;

void finish(caf::event_based_actor* self, const state_ptr& st) {
  if (st->reported)
    return;
  st->reported = true;
  st->done->set_value(std::move(st->r));
  self->quit();
}

void send_next(caf::event_based_actor* self, const troupe::manager_actor& manager,
               const state_ptr& st) {
  if (st->reported)
    return;
  int ph = st->phase->load();
  if (ph == aborted
      || (ph == baseline
          && st->r.periods[baseline].requests >= st->r.periods[during_reloads].requests)) {
    finish(self, st);
    return;
  }
  auto lowest = st->vs->completed.load();
  ++st->r.periods[ph].requests;
  auto t0 = clock_type::now();
  self->request(manager, caf::infinite, troupe::execute_atom::value, plugin_id,
                troupe::pack(std::string("x")))
    .then(
      [self, manager, st, ph, lowest, t0](troupe::payload& out) {
        auto t1 = clock_type::now();
        auto& p = st->r.periods[ph];
        p.latency.push_back(micros(t1 - t0));
        auto a = answer_of(out);
        auto highest = st->vs->written.load();
        if (!a || a->first < lowest || a->first > highest) {
          ++p.wrong_version;
          if (st->shown++ < 5)
            std::fprintf(stderr, "reload_bench: driver: answered version %lld, expected %lld..%lld\n",
                         static_cast<long long>(a ? a->first : -1),
                         static_cast<long long>(lowest), static_cast<long long>(highest));
        }
        if (a) {
          if (st->last_count >= 0 && a->second != st->last_count + 1)
            ++p.count_breaks;
          st->last_count = a->second;
        }
        send_next(self, manager, st);
      },
      [self, manager, st, ph](caf::error& err) {
        ++st->r.periods[ph].errors;
        if (st->shown++ < 5)
          std::fprintf(stderr, "reload_bench: driver: execute: %s\n",
                       troupe::describe(err).c_str());
        send_next(self, manager, st);
      });
}

void print_period(const std::string& label, const period& p) {
  print_count(label + ".requests", p.requests);
  print_count(label + ".errors", p.errors);
  print_count(label + ".wrong_version", p.wrong_version);
  print_count(label + ".count_breaks", p.count_breaks);
  print_percentiles(label + ".execute_us", p.latency,
                    {{"p50", 0.5}, {"p99", 0.99}, {"p999", 0.999}, {"max", 1.0}});
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse(argc, argv);
  spdlog::set_level(spdlog::level::err);

  // The script goes into a temp dir of its own, removed at the end.
  std::string tmpl = (std::filesystem::temp_directory_path() / "reload_bench.XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::fprintf(stderr, "reload_bench: cannot make a temp dir\n");
    return 2;
  }
  struct remove_dir {
    std::filesystem::path dir;
    ~remove_dir() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } cleanup{tmpl};
  auto path = cleanup.dir / (plugin_id + ".lua");

  // Declared before the actor system: the subscriber and the driver refer to them.
  versions vs;
  reload_log log{vs};
  std::atomic<int> phase{warmup};

  caf::actor_system_config cfg;
  troupe::register_types(cfg);
  caf::actor_system sys{cfg};

  bool ok = true;
  {
    troupe::runtime_options ropts;
    ropts.call_timeout = std::chrono::milliseconds{10000};
    troupe::runtime rt{sys, ropts};
    rt.subscribe([&log](const troupe::runtime_event& ev) { log.on_event(ev); });

    if (!write_script(path, 1)) {
      std::fprintf(stderr, "reload_bench: cannot write %s\n", path.c_str());
      return 2;
    }
    troupe::plugin_config pc;
    pc.id = plugin_id;
    if (auto md = rt.add(troupe::plugin_spec{pc, "lua", {{"script", path.string()}}}); !md) {
      std::fprintf(stderr, "reload_bench: add: %s\n", troupe::describe(md.error()).c_str());
      return 2;
    }
    if (auto started = rt.start_all(); !started) {
      std::fprintf(stderr, "reload_bench: start_all: %s\n",
                   troupe::describe(started.error()).c_str());
      return 2;
    }
    auto watch = [&rt, &cleanup](troupe::reload_strategy strategy) {
      troupe::watch_options w;
      w.directories = {cleanup.dir.string()};
      w.strategy = strategy;
      w.debounce = debounce;
      w.load_new = false;
      w.unload_removed = false;
      return rt.watch(w);
    };

    std::printf("%-42s %10zu\n", "reloads", opts.reloads);
    std::fflush(stdout);

    // Reload latency, immediate then debounced.
    if (auto err = watch(troupe::reload_strategy::immediate)) {
      std::fprintf(stderr, "reload_bench: watch: %s\n", troupe::describe(err).c_str());
      return 2;
    }
    ok = measure_reloads(rt, log, vs, path, "immediate", "write_to_serving_us", {}, opts.reloads);
    if (ok) {
      if (auto err = watch(troupe::reload_strategy::debounced)) {
        std::fprintf(stderr, "reload_bench: watch: %s\n", troupe::describe(err).c_str());
        return 2;
      }
      ok = measure_reloads(rt, log, vs, path, "debounced", "after_debounce_us", debounce,
                           opts.reloads);
    }

    // Execute latency during reloads, then a baseline without.
    if (ok) {
      if (auto err = watch(troupe::reload_strategy::immediate)) {
        std::fprintf(stderr, "reload_bench: watch: %s\n", troupe::describe(err).c_str());
        return 2;
      }
      std::promise<driver_result> done;
      auto result = done.get_future();
      auto manager = rt.manager();
      // Held until the driver reports: no request need refer to it to keep it alive.
      auto driver = sys.spawn([&done, &phase, &vs, manager](caf::event_based_actor* self) {
        auto st = std::make_shared<driver_state>();
        st->phase = &phase;
        st->vs = &vs;
        st->done = &done;
        send_next(self, manager, st);
        return caf::behavior{[self, st](stop_atom) { finish(self, st); }};
      });
      std::this_thread::sleep_for(std::chrono::milliseconds{200}); // warm-up
      phase.store(during_reloads);
      for (std::size_t i = 0; i < opts.reloads && ok; ++i) {
        auto v = vs.written.load() + 1;
        vs.written.store(v);
        if (!write_script(path, v)) {
          std::fprintf(stderr, "reload_bench: cannot write %s\n", path.c_str());
          ok = false;
          break;
        }
        auto ev = log.next();
        if (!ev) {
          std::fprintf(stderr,
                       "reload_bench: during_reloads: reload %zu (version %s written): no reload "
                       "event within %lld s\n",
                       i + 1, version_text(v).c_str(),
                       static_cast<long long>(event_deadline.count()));
          ok = false;
        } else if (ev->kind != troupe::event_kind::reload_completed
                   || new_version_of(ev->detail) != v) {
          std::fprintf(stderr, "reload_bench: during_reloads: reload %zu (version %s written): "
                       "%s: %s\n", i + 1, version_text(v).c_str(),
                       troupe::to_string(ev->kind).c_str(), ev->detail.c_str());
          ok = false;
        }
      }
      phase.store(ok ? baseline : aborted);
      if (result.wait_for(driver_deadline) != std::future_status::ready) {
        std::fprintf(stderr, "reload_bench: the driver did not finish within %lld s (an execute "
                     "unanswered)\n", static_cast<long long>(driver_deadline.count()));
        std::fflush(stderr);
        std::_Exit(1);
      }
      auto r = result.get();
      print_period("during_reloads", r.periods[during_reloads]);
      print_period("baseline", r.periods[baseline]);
      std::fflush(stdout);
      for (int ph : {during_reloads, baseline})
        ok = ok && r.periods[ph].errors == 0 && r.periods[ph].wrong_version == 0;
      ok = ok && r.periods[warmup].errors == 0 && r.periods[warmup].wrong_version == 0;
      if (r.periods[warmup].errors > 0 || r.periods[warmup].wrong_version > 0)
        std::printf("(warm-up: %llu errors, %llu wrong versions)\n",
                    static_cast<unsigned long long>(r.periods[warmup].errors),
                    static_cast<unsigned long long>(r.periods[warmup].wrong_version));
    }
  }
  return ok ? 0 : 1;
}
