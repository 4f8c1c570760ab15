// bench/fault_bench: load under faults. A runtime with P supervised plugins of a small native class
// ("flaky", defined here) that echoes its input, except that a request whose payload is the string
// "crash" crashes it: alternately by throwing std::runtime_error and by returning errc::fatal. The
// driver, an event-based actor, keeps W requests outstanding against the manager, round-robin over
// the plugins, until N were sent; a seeded pseudo-random share R of them (std::mt19937_64) are
// "crash" requests. Supervision: every plugin in the root group, one_for_one, immediate restarts,
// an intensity that never escalates, a deep request queue (not fail-fast, 10 s), no watchdog and no
// health checks.
//
// Prints, one per line: requests, crash_requests, ok, ok_wrong (answers that are not the payload
// sent), errors_crashed, errors_other, errors_unnamed (errors whose plugin_of is empty), lost
// (sent - answered when all were answered or the 120 s deadline passed), restarts (restarted
// events seen through rt.subscribe), seconds, throughput (requests/s).
// errors_crashed may exceed crash_requests: requests queued behind a crashing one in the plugin's
// mailbox are answered with errc::crashed too.
//
// Exit status: 1 if lost > 0, ok_wrong > 0, errors_unnamed > 0 or errors_other > 0; else 0
// (2 for a bad command line or a setup failure).
//
// Usage: fault_bench [--requests N] [--rate R] [--plugins P] [--window W] [--seed S]
//   defaults: N = 1000000, R = 0.01, P = 4, W = 256, S = 42. Plugin logging is set to errors only
//   (every crash would otherwise log warnings).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <random>
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

using deadline_atom = caf::atom_constant<caf::atom("fb_dline")>;

using troupe::bench::crash_payload;
using troupe::bench::flaky;

struct options {
  std::uint64_t requests = 1000000;
  double rate = 0.01;
  std::size_t plugins = 4;
  std::size_t window = 256;
  std::uint64_t seed = 42;
};

options parse(int argc, char** argv) {
  options o;
  troupe::bench::parse_options(argc, argv, "fault_bench: load under faults", [&](CLI::App& app) {
    app.add_option("--requests", o.requests, "Requests to send")->check(CLI::PositiveNumber);
    app.add_option("--rate", o.rate, "Share of crash requests")->check(CLI::Range(0.0, 1.0));
    app.add_option("--plugins", o.plugins, "Plugins")->check(CLI::PositiveNumber);
    app.add_option("--window", o.window, "Requests outstanding")->check(CLI::PositiveNumber);
    app.add_option("--seed", o.seed, "Seed of the crash choice");
  });
  return o;
}

/// What the driver counted.
struct tally {
  std::uint64_t sent = 0;
  std::uint64_t crash_requests = 0;
  std::uint64_t answered = 0;
  std::uint64_t ok = 0;
  std::uint64_t ok_wrong = 0;
  std::uint64_t errors_crashed = 0;
  std::uint64_t errors_other = 0;
  std::uint64_t errors_unnamed = 0;
  bool deadline_hit = false;
  double seconds = 0;
};

/// The driver's state, shared by its handlers (all run in the driver actor, one at a time).
struct driver_state {
  options opts;
  std::vector<std::string> ids;
  std::mt19937_64 rng;
  tally t;
  std::chrono::steady_clock::time_point started;
  std::promise<tally>* done = nullptr;
  bool reported = false;
  std::size_t other_shown = 0;
  std::size_t wrong_shown = 0;
};

/// Reports once, then ends the driver.
void finish(caf::event_based_actor* self, const std::shared_ptr<driver_state>& st, bool deadline) {
  if (st->reported)
    return;
  st->reported = true;
  st->t.deadline_hit = deadline;
  st->t.seconds =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - st->started).count();
  st->done->set_value(st->t);
  self->quit();
}

/// Sends the next request (if any are left to send).
void send_next(caf::event_based_actor* self, const troupe::manager_actor& manager,
               const std::shared_ptr<driver_state>& st) {
  if (st->reported || st->t.sent >= st->opts.requests)
    return;
  auto seq = st->t.sent++;
  const auto& id = st->ids[seq % st->ids.size()];
  // 53 random bits as a double in [0, 1): deterministic for a seed, unlike the std distributions.
  bool crash = static_cast<double>(st->rng() >> 11) * 0x1.0p-53 < st->opts.rate;
  troupe::payload input = crash ? crash_payload() : troupe::pack(seq);
  if (crash)
    ++st->t.crash_requests;
  self->request(manager, caf::infinite, troupe::execute_atom::value, id, input)
    .then(
      [self, manager, st, input](troupe::payload& out) {
        ++st->t.answered;
        ++st->t.ok;
        if (out != input) {
          ++st->t.ok_wrong;
          if (st->wrong_shown++ < 5)
            std::fprintf(stderr, "fault_bench: wrong answer (%zu bytes sent, %zu back)\n",
                         input.bytes.size(), out.bytes.size());
        }
        if (st->t.answered == st->opts.requests)
          finish(self, st, false);
        else
          send_next(self, manager, st);
      },
      [self, manager, st](caf::error& err) {
        ++st->t.answered;
        if (troupe::is_troupe_error(err)
            && err.code() == static_cast<std::uint8_t>(troupe::errc::crashed)) {
          ++st->t.errors_crashed;
        } else {
          ++st->t.errors_other;
          if (st->other_shown++ < 5)
            std::fprintf(stderr, "fault_bench: error: %s\n", troupe::describe(err).c_str());
        }
        if (troupe::plugin_of(err).empty())
          ++st->t.errors_unnamed;
        if (st->t.answered == st->opts.requests)
          finish(self, st, false);
        else
          send_next(self, manager, st);
      });
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse(argc, argv);
  spdlog::set_level(spdlog::level::err);

  caf::actor_system_config cfg;
  troupe::register_types(cfg);
  caf::actor_system sys{cfg};

  auto ropts = troupe::bench::immediate_restart_options(100000);
  if (auto err = troupe::validate(ropts.manager.supervision)) {
    std::fprintf(stderr, "fault_bench: supervision config: %s\n", troupe::describe(err).c_str());
    return 2;
  }

  std::uint64_t result_code = 0;
  {
    troupe::runtime rt{sys, ropts};
    std::atomic<std::uint64_t> restarts{0};
    std::atomic<std::uint64_t> crash_events{0};
    rt.subscribe([&restarts, &crash_events](const troupe::runtime_event& ev) {
      if (ev.kind == troupe::event_kind::restarted)
        restarts.fetch_add(1, std::memory_order_relaxed);
      else if (ev.kind == troupe::event_kind::crashed)
        crash_events.fetch_add(1, std::memory_order_relaxed);
    });

    std::vector<std::string> ids;
    troupe::plugin_factory factory = []() -> caf::expected<std::unique_ptr<troupe::plugin>> {
      return std::unique_ptr<troupe::plugin>(std::make_unique<flaky>());
    };
    for (std::size_t i = 0; i < opts.plugins; ++i) {
      troupe::plugin_config pc;
      pc.id = "flaky" + std::to_string(i);
      if (auto md = rt.add(pc, factory); !md) {
        std::fprintf(stderr, "fault_bench: add %s: %s\n", pc.id.c_str(),
                     troupe::describe(md.error()).c_str());
        return 2;
      }
      ids.push_back(pc.id);
    }
    if (auto started = rt.start_all(); !started) {
      std::fprintf(stderr, "fault_bench: start_all: %s\n",
                   troupe::describe(started.error()).c_str());
      return 2;
    }

    std::promise<tally> done;
    auto result = done.get_future();
    auto manager = rt.manager();
    sys.spawn([&done, &opts, ids, manager](caf::event_based_actor* self) -> caf::behavior {
      auto st = std::make_shared<driver_state>();
      st->opts = opts;
      st->ids = ids;
      st->rng.seed(opts.seed);
      st->done = &done;
      st->started = std::chrono::steady_clock::now();
      self->delayed_send(self, std::chrono::seconds(120), deadline_atom::value);
      for (std::size_t i = 0; i < opts.window; ++i)
        send_next(self, manager, st);
      return {[self, st](deadline_atom) { finish(self, st, true); }};
    });
    auto t = result.get();

    // The last crashes' restarts may still be under way: give them a moment (not timed).
    for (int i = 0; i < 500 && restarts.load() < crash_events.load(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));

    auto lost = t.sent - t.answered;
    std::printf("requests        %llu\n", static_cast<unsigned long long>(t.sent));
    std::printf("crash_requests  %llu\n", static_cast<unsigned long long>(t.crash_requests));
    std::printf("ok              %llu\n", static_cast<unsigned long long>(t.ok));
    std::printf("ok_wrong        %llu\n", static_cast<unsigned long long>(t.ok_wrong));
    std::printf("errors_crashed  %llu\n", static_cast<unsigned long long>(t.errors_crashed));
    std::printf("errors_other    %llu\n", static_cast<unsigned long long>(t.errors_other));
    std::printf("errors_unnamed  %llu\n", static_cast<unsigned long long>(t.errors_unnamed));
    std::printf("lost            %llu\n", static_cast<unsigned long long>(lost));
    std::printf("restarts        %llu\n", static_cast<unsigned long long>(restarts.load()));
    std::printf("seconds         %.3f\n", t.seconds);
    std::printf("throughput      %.0f\n", static_cast<double>(t.sent) / t.seconds);
    if (t.deadline_hit)
      std::printf("(deadline of 120 s reached before every request was answered)\n");
    std::fflush(stdout);
    result_code = (lost > 0 || t.ok_wrong > 0 || t.errors_unnamed > 0 || t.errors_other > 0) ? 1 : 0;
  }
  return static_cast<int>(result_code);
}
