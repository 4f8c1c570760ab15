#pragma once
// What a watchdog on another thread may know of a host's current call: since when plugin code
// has been running, and who waits for it, so that a call hung in native code can be answered from
// outside. Shared between one host and its manager.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include <caf/actor_clock.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/error.hpp>
#include <caf/message_id.hpp>

namespace troupe::detail {

/// Thread-safe. The host brackets each run of plugin code with begin/end (no lock, no reference
/// count on the fast path); the watchdog calls answer_if_hung from its own thread. Exactly one of
/// the two answers a call: end returns false when the watchdog answered first (the host then drops
/// its own answer).
class call_probe {
public:
  using time_point = caf::actor_clock::time_point;

  /// Plugin code starts running for a call from `caller` (request `id`; a null caller or a
  /// non-request id: nobody waits) at `now`. REQUIRES: `caller` stays alive until end() returns
  /// (it does: the message being handled holds it).
  void begin(caf::actor_control_block* caller, caf::message_id id, time_point now);

  /// Plugin code returned; false if the watchdog answered the call meanwhile.
  bool end();

  /// If plugin code has been running for `limit` or longer at `now`: answers its caller with
  /// `make(how_long)` (when someone waits), marks the call answered and returns how long it ran.
  template <class MakeError>
  std::optional<std::chrono::nanoseconds> answer_if_hung(time_point now,
                                                         std::chrono::nanoseconds limit,
                                                         MakeError make) {
    auto state = state_.load(std::memory_order_acquire);
    if ((state & flags) != busy)
      return std::nullopt;
    auto since = time_point{time_point::duration{since_.load(std::memory_order_relaxed)}};
    if (now - since < limit || !state_.compare_exchange_strong(state, busy | claimed))
      return std::nullopt;
    // Claimed: the host waits in end() until `answered` is set, so caller_ stays valid.
    auto ran = std::chrono::duration_cast<std::chrono::nanoseconds>(now - since);
    auto err = make(ran);
    {
      std::lock_guard<std::mutex> guard{verdict_mtx_};
      verdict_ = describe_verdict(err);
    }
    answer(std::move(err));
    answered_.store(true, std::memory_order_release);
    return ran;
  }

  /// What the watchdog answered the hung call (its error's detail); empty if it did not.
  std::string verdict() const;

private:
  // state_: the call's sequence number (so that a claim cannot hit a later call) and two flags.
  static constexpr std::uint64_t busy = 1;
  static constexpr std::uint64_t claimed = 2;
  static constexpr std::uint64_t flags = 3;

  void answer(caf::error err);
  static std::string describe_verdict(const caf::error& err);

  std::atomic<std::uint64_t> state_{0};
  std::uint64_t seq_ = 0; ///< The host's.
  std::atomic<time_point::rep> since_{0};
  std::atomic<bool> answered_{false};
  caf::actor_control_block* caller_ = nullptr; ///< Written by the host while not busy.
  caf::message_id id_;
  mutable std::mutex verdict_mtx_;
  std::string verdict_;
};

} // namespace troupe::detail
