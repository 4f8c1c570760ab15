#pragma once
// Measures sequential request/response round trips from an event-based driver actor: the next
// request leaves when the previous answer arrives, as an agent calling a plugin would.

#include <chrono>
#include <cstddef>
#include <future>

#include <caf/actor_system.hpp>
#include <algorithm>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "messages/atoms.hpp"

#include "messages/payload.hpp"

namespace troupe::bench {

/// The floor of every round-trip benchmark: a bare CAF typed actor answering execute with its input.
using bare_echo_actor = caf::typed_actor<
  caf::replies_to<troupe::execute_atom, troupe::payload>::with<troupe::payload>>;

/// The floor actor's behaviour.
inline bare_echo_actor::behavior_type bare_echo() {
  return {[](troupe::execute_atom, const troupe::payload& in) { return in; }};
}

/// The median of a few rounds.
inline double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

/// Sends `n` requests built by `make_request` to `target`, one after another, and returns the
/// mean round trip in nanoseconds. The answer must be a payload; Every answer must be a success; an error aborts the process.
template <class Handle, class... Ts>
double mean_roundtrip_ns(caf::actor_system& sys, Handle target, std::size_t n, Ts... request) {
  std::promise<std::chrono::nanoseconds> done;
  auto result = done.get_future();
  sys.spawn([&, target, n](caf::event_based_actor* self) {
    auto left = std::make_shared<std::size_t>(n);
    auto started = std::chrono::steady_clock::now();
    auto step = std::make_shared<std::function<void()>>();
    *step = [=, &done] {
      self->request(target, caf::infinite, request...).then(
        [=, &done](troupe::payload&) {
          if (--*left == 0) {
            done.set_value(std::chrono::steady_clock::now() - started);
            self->quit();
            return;
          }
          (*step)();
        },
        [=](caf::error&) { std::abort(); });
    };
    (*step)();
  });
  return static_cast<double>(result.get().count()) / static_cast<double>(n);
}

} // namespace troupe::bench
