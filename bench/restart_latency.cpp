// bench/restart_latency: how soon a crashed plugin serves again. The guide's target: "a restarted
// plugin answers within 25 us of its crash (plus any configured backoff)".
//
// A runtime with supervised plugins: "flaky" (the native class of bench/flaky_plugin.hpp, as in
// fault_bench: it echoes its input and crashes on "crash", by throwing and by returning
// errc::fatal by turns) and, unless --no-lua, "flaky_lua" (a Lua script this bench writes into a
// temp dir and adds it as a "lua" plugin_spec; on "crash" it fills its state up to its memory limit, 512 KiB,
// and keeps what it filled, which leaves the state unrecoverable: a fatal error; the small limit
// keeps the crash and the old state's teardown short, about 1 ms and 20 us). Supervision:
// the root group, one_for_one, backoff min 0 (every restart immediate), an intensity that never
// escalates, a deep request queue (not fail-fast), no watchdog, no health checks.
//
// For each plugin, one event-based driver actor talks to the plugin's address, resolved once
// (requests without timeout):
//   plain:   sends execute "ping" and waits for the answer, K times (after W warm-up pings);
//            records each round trip.
//   restart: sends execute "crash"; in the handler of its crashed error it takes t0 and at once
//            sends execute "ping", which the plugin's actor holds while it restarts and the new
//            instance serves; at the ping's answer t1; records t1 - t0. K times (after W / 10
//            warm-up cycles). The actor holds everything after its crash, so the ping finds
//            the plugin restarting; should it be answered crashed all the same, it is sent
//            again (t0 kept) and counted as raced.
//   serving_again: the manager's own figure, parsed from the detail of the `restarted` events
//            (rt.subscribe): from the manager seeing the crash to the new instance up, before the
//            held ping is forwarded.
//
// Prints, one per line: iterations (K), then for each plugin and each of plain_roundtrip_us,
// restart_roundtrip_us and serving_again_us its median, p90, p99 and max in microseconds, the
// ratio of the restart and plain medians, and the raced pings.
//
// Exit status: 1 if a request failed otherwise than expected, a restarted event is missing or the
// deadline (300 s per plugin) passed; else 0 (2 for a bad command line or a setup failure).
//
// Usage: restart_latency [--iterations K] [--warmup W] [--gap-ms G] [--no-standby] [--no-lua]
//   defaults: K = 2000, W = 200, G = 0: crashes back to back. With G > 0 the driver keeps the
//   plugin busy with pings (not recorded) for G ms after each restart, as for a plugin under load
//   that crashes now and then; its host builds its standby instance meanwhile
//   (docs/supervision.md, `standby`). Logging is set to errors only (every crash would
//   otherwise log warnings).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
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
#include "actors/supervision/supervision_spec.hpp"
#include "messages/errors.hpp"
#include "messages/manager_protocol.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/registration.hpp"
#include "messages/runtime_event.hpp"
#include "bench_support.hpp"
#include "flaky_plugin.hpp"
#include "plugins/api/plugin.hpp"

namespace {

using deadline_atom = caf::atom_constant<caf::atom("rl_dline")>;
using clock_type = std::chrono::steady_clock;

const troupe::payload& ping_payload() {
  static const troupe::payload p = troupe::pack(std::string("ping"));
  return p;
}

using troupe::bench::crash_payload;
using troupe::bench::flaky;

/// Echoes its input; on "crash" keeps filling its state until the memory limit stops it. What it
/// filled stays referenced, so the state cannot recover and the plugin crashes (errc::fatal).
const char* const flaky_lua_script = R"(plugin_name = "flaky_lua"
plugin_version = "1.0.0"

local hog

function execute(input)
  if input == "crash" then
    hog = {}
    local i = 0
    while true do
      i = i + 1
      hog[i] = string.rep("x", 1024) .. i
    end
  end
  return input
end
)";

struct options {
  std::size_t iterations = 2000;
  std::size_t warmup = 200;
  bool lua = true;
  bool standby = true;
  std::size_t gap_ms = 0; ///< Pings between a restart and the next crash (0: back to back).
};

options parse(int argc, char** argv) {
  options o;
  troupe::bench::parse_options(argc, argv, "restart_latency: how soon a crashed plugin serves",
                               [&](CLI::App& app) {
                                 app.add_option("--iterations", o.iterations, "Crash cycles")
                                   ->check(CLI::PositiveNumber);
                                 app.add_option("--warmup", o.warmup, "Warm-up pings");
                                 app.add_option("--gap-ms", o.gap_ms,
                                                "Pings between a restart and the next crash");
                                 auto* no_standby =
                                   app.add_flag("--no-standby", "Group setting standby = false");
                                 no_standby->each([&](const std::string&) { o.standby = false; });
                                 auto* no_lua = app.add_flag("--no-lua", "Native plugin only");
                                 no_lua->each([&](const std::string&) { o.lua = false; });
                               });
  return o;
}

/// What one driver measured, in microseconds.
struct samples {
  std::vector<double> plain;
  std::vector<double> restart;
  std::uint64_t raced = 0;
  std::uint64_t failures = 0; ///< Answers other than the expected ones.
  std::size_t crash_cycles = 0; ///< Including the warm-up ones: the restarts to expect.
  bool deadline_hit = false;
};

/// The driver's state, shared by its handlers (all run in the driver actor, one at a time).
struct driver_state {
  std::string id;
  std::size_t iterations = 0;
  std::size_t warmup_pings = 0;
  std::size_t warmup_crashes = 0;
  std::size_t pings_done = 0;
  std::size_t cycles_done = 0;
  samples s;
  std::promise<samples>* done = nullptr;
  bool reported = false;
  std::chrono::milliseconds gap{0}; ///< Pings before the next crash cycle.
};

using state_ptr = std::shared_ptr<driver_state>;

double micros(clock_type::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

bool is_crashed(const caf::error& err) {
  return troupe::is_troupe_error(err)
         && err.code() == static_cast<std::uint8_t>(troupe::errc::crashed);
}

void finish(caf::event_based_actor* self, const state_ptr& st, bool deadline) {
  if (st->reported)
    return;
  st->reported = true;
  st->s.deadline_hit = deadline;
  st->done->set_value(std::move(st->s));
  self->quit();
}

void failed(caf::event_based_actor* self, const state_ptr& st, const std::string& what) {
  ++st->s.failures;
  std::fprintf(stderr, "restart_latency: %s: %s\n", st->id.c_str(), what.c_str());
  finish(self, st, false);
}

void crash_cycle(caf::event_based_actor* self, const troupe::plugin_actor& address,
                 const state_ptr& st);

/// Keeps the plugin busy with pings (not recorded) until `until`, then crashes it again.
void load_until(caf::event_based_actor* self, const troupe::plugin_actor& address,
                const state_ptr& st, clock_type::time_point until) {
  if (clock_type::now() >= until) {
    crash_cycle(self, address, st);
    return;
  }
  self->request(address, caf::infinite, troupe::execute_atom::value, ping_payload())
    .then([self, address, st, until](troupe::payload&) { load_until(self, address, st, until); },
          [self, st](caf::error& err) { failed(self, st, "load ping: " + troupe::describe(err)); });
}

/// The ping after a crash: answered by the restarted instance.
void ping_after_crash(caf::event_based_actor* self, const troupe::plugin_actor& address,
                      const state_ptr& st, clock_type::time_point t0) {
  self->request(address, caf::infinite, troupe::execute_atom::value, ping_payload())
    .then(
      [self, address, st, t0](troupe::payload& out) {
        auto t1 = clock_type::now();
        if (out != ping_payload()) {
          failed(self, st, "wrong answer to the ping after a crash");
          return;
        }
        if (st->cycles_done++ >= st->warmup_crashes)
          st->s.restart.push_back(micros(t1 - t0));
        load_until(self, address, st, clock_type::now() + st->gap);
      },
      [self, address, st, t0](caf::error& err) {
        if (is_crashed(err)) { // should not happen: the actor holds calls after a crash
          ++st->s.raced;
          ping_after_crash(self, address, st, t0);
          return;
        }
        failed(self, st, "ping after a crash: " + troupe::describe(err));
      });
}

void crash_cycle(caf::event_based_actor* self, const troupe::plugin_actor& address,
                 const state_ptr& st) {
  if (st->reported)
    return;
  if (st->cycles_done == st->warmup_crashes + st->iterations) {
    finish(self, st, false);
    return;
  }
  ++st->s.crash_cycles;
  self->request(address, caf::infinite, troupe::execute_atom::value, crash_payload())
    .then(
      [self, st](troupe::payload&) { failed(self, st, "\"crash\" was answered, not crashed"); },
      [self, address, st](caf::error& err) {
        if (!is_crashed(err)) {
          failed(self, st, "crash: " + troupe::describe(err));
          return;
        }
        auto t0 = clock_type::now();
        ping_after_crash(self, address, st, t0);
      });
}

/// Plain pings (warm-up first), then the crash cycles.
void plain_ping(caf::event_based_actor* self, const troupe::plugin_actor& address,
                const state_ptr& st) {
  if (st->reported)
    return;
  if (st->pings_done == st->warmup_pings + st->iterations) {
    crash_cycle(self, address, st);
    return;
  }
  auto t0 = clock_type::now();
  self->request(address, caf::infinite, troupe::execute_atom::value, ping_payload())
    .then(
      [self, address, st, t0](troupe::payload& out) {
        auto t1 = clock_type::now();
        if (out != ping_payload()) {
          failed(self, st, "wrong answer to a plain ping");
          return;
        }
        if (st->pings_done++ >= st->warmup_pings)
          st->s.plain.push_back(micros(t1 - t0));
        plain_ping(self, address, st);
      },
      [self, st](caf::error& err) { failed(self, st, "plain ping: " + troupe::describe(err)); });
}

samples drive(caf::actor_system& sys, const troupe::plugin_actor& address, const std::string& id,
              const options& opts) {
  std::promise<samples> done;
  auto result = done.get_future();
  // Held until the driver reports: no request or timer need refer to it to keep it alive.
  auto driver = sys.spawn([&done, &opts, id, address](caf::event_based_actor* self) {
    auto st = std::make_shared<driver_state>();
    st->id = id;
    st->iterations = opts.iterations;
    st->warmup_pings = opts.warmup;
    st->warmup_crashes = opts.warmup / 10;
    st->done = &done;
    self->delayed_send(self, std::chrono::seconds(300), deadline_atom::value);
    st->gap = std::chrono::milliseconds{opts.gap_ms};
    plain_ping(self, address, st);
    return caf::behavior{[self, st](deadline_atom) { finish(self, st, true); }};
  });
  return result.get();
}

/// The "serving again N us" figures of the restarted events, per plugin, in order.
class serving_again_log {
public:
  void on_event(const troupe::runtime_event& ev) {
    if (ev.kind != troupe::event_kind::restarted)
      return;
    static const std::string prefix = "serving again ";
    double us = -1;
    if (ev.detail.compare(0, prefix.size(), prefix) == 0)
      us = std::strtod(ev.detail.c_str() + prefix.size(), nullptr);
    std::lock_guard<std::mutex> guard{mtx_};
    figures_[ev.plugin].push_back(us);
  }

  std::size_t count(const std::string& id) {
    std::lock_guard<std::mutex> guard{mtx_};
    return figures_[id].size();
  }

  std::vector<double> of(const std::string& id) {
    std::lock_guard<std::mutex> guard{mtx_};
    return figures_[id];
  }

private:
  std::mutex mtx_;
  std::map<std::string, std::vector<double>> figures_;
};

using troupe::bench::percentile;

double print_figures(const std::string& name, std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  std::printf("%-38s %10.1f\n", (name + ".median").c_str(), percentile(xs, 0.5));
  std::printf("%-38s %10.1f\n", (name + ".p90").c_str(), percentile(xs, 0.9));
  std::printf("%-38s %10.1f\n", (name + ".p99").c_str(), percentile(xs, 0.99));
  std::printf("%-38s %10.1f\n", (name + ".max").c_str(), xs.empty() ? 0.0 : xs.back());
  return percentile(xs, 0.5);
}

/// Measures one plugin and prints its figures; false if something went wrong.
bool measure(caf::actor_system& sys, troupe::runtime& rt, serving_again_log& log,
             const std::string& id, const std::string& label, const options& opts) {
  auto address = rt.resolve(id); // once: the plugin's stable address
  if (!address) {
    std::fprintf(stderr, "restart_latency: %s\n", troupe::describe(address.error()).c_str());
    return false;
  }
  auto s = drive(sys, *address, id, opts);
  // The restarted events reach the subscriber asynchronously: wait for the last ones (untimed).
  for (int i = 0; i < 500 && log.count(id) < s.crash_cycles; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto events = log.of(id);
  bool ok = s.failures == 0 && !s.deadline_hit && events.size() == s.crash_cycles
            && s.restart.size() == opts.iterations;
  // Drop the warm-up cycles' events (events of one plugin arrive in order).
  auto warm = std::min(events.size(), s.crash_cycles - s.restart.size());
  std::vector<double> serving(events.begin() + static_cast<std::ptrdiff_t>(warm), events.end());
  auto plain = print_figures(label + ".plain_roundtrip_us", s.plain);
  auto restart = print_figures(label + ".restart_roundtrip_us", s.restart);
  print_figures(label + ".serving_again_us", serving);
  std::printf("%-38s %10.1f\n", (label + ".restart_over_plain").c_str(),
              plain > 0 ? restart / plain : 0.0);
  std::printf("%-38s %10llu\n", (label + ".raced_pings").c_str(),
              static_cast<unsigned long long>(s.raced));
  if (events.size() != s.crash_cycles)
    std::printf("(%s: %zu restarted events for %zu crashes)\n", label.c_str(), events.size(),
                s.crash_cycles);
  if (s.deadline_hit)
    std::printf("(%s: deadline of 300 s reached)\n", label.c_str());
  std::fflush(stdout);
  return ok;
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse(argc, argv);
  spdlog::set_level(spdlog::level::err);

  caf::actor_system_config cfg;
  troupe::register_types(cfg);
  caf::actor_system sys{cfg};

  auto ropts = troupe::bench::immediate_restart_options(1024);
  for (auto& g : ropts.manager.supervision.groups)
    g.standby = opts.standby;
  if (auto err = troupe::validate(ropts.manager.supervision)) {
    std::fprintf(stderr, "restart_latency: supervision config: %s\n",
                 troupe::describe(err).c_str());
    return 2;
  }

  // The Lua script goes into a temp dir of its own, removed at the end.
  std::filesystem::path dir;
  if (opts.lua) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "restart_latency.XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::fprintf(stderr, "restart_latency: cannot make a temp dir\n");
      return 2;
    }
    dir = tmpl;
    std::ofstream out(dir / "flaky_lua.lua");
    out << flaky_lua_script;
    if (!out) {
      std::fprintf(stderr, "restart_latency: cannot write the Lua script\n");
      return 2;
    }
  }
  struct remove_dir {
    std::filesystem::path dir;
    ~remove_dir() {
      std::error_code ignored;
      if (!dir.empty())
        std::filesystem::remove_all(dir, ignored);
    }
  } cleanup{dir};

  bool ok = true;
  {
    troupe::runtime rt{sys, ropts};
    serving_again_log log;
    rt.subscribe([&log](const troupe::runtime_event& ev) { log.on_event(ev); });

    troupe::plugin_config native_cfg;
    native_cfg.id = "flaky";
    troupe::plugin_factory factory = []() -> caf::expected<std::unique_ptr<troupe::plugin>> {
      return std::unique_ptr<troupe::plugin>(std::make_unique<flaky>());
    };
    if (auto md = rt.add(native_cfg, factory); !md) {
      std::fprintf(stderr, "restart_latency: add flaky: %s\n",
                   troupe::describe(md.error()).c_str());
      return 2;
    }
    if (opts.lua) {
      troupe::plugin_config lua_cfg;
      lua_cfg.id = "flaky_lua";
      lua_cfg.settings["limit.memory"] = "512K";
      auto script = (dir / "flaky_lua.lua").string();
      if (auto md = rt.add(troupe::plugin_spec{lua_cfg, "lua", {{"script", script}}}); !md) {
        std::fprintf(stderr, "restart_latency: add flaky_lua: %s\n",
                     troupe::describe(md.error()).c_str());
        return 2;
      }
    }
    if (auto started = rt.start_all(); !started) {
      std::fprintf(stderr, "restart_latency: start_all: %s\n",
                   troupe::describe(started.error()).c_str());
      return 2;
    }

    std::printf("%-38s %10zu\n", "iterations", opts.iterations);
    ok = measure(sys, rt, log, "flaky", "native", opts) && ok;
    if (opts.lua)
      ok = measure(sys, rt, log, "flaky_lua", "lua", opts) && ok;
  }
  return ok ? 0 : 1;
}
