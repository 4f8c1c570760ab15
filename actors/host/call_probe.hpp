#pragma once
// What a watchdog on another thread may know of a host's current call: since when plugin code
// has been running, and who waits for it, so that a call hung in native code can be answered from
// outside. Shared between one host and its manager.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include <caf/actor_clock.hpp>
#include <caf/error.hpp>
#include <caf/message_id.hpp>
#include <caf/fwd.hpp>
#include <caf/intrusive_ptr.hpp>
#include <caf/actor_control_block.hpp>

namespace troupe::detail {

/// Thread-safe. The host brackets each run of plugin code with begin/end; the watchdog calls
/// answer_if_hung from its own thread. Exactly one of the two answers a call: end returns false
/// when the watchdog answered first (the host then drops its own answer).
class call_probe {
public:
  using time_point = caf::actor_clock::time_point;

  /// Plugin code starts running for a call from `caller` (request `id`; a null caller or a
  /// non-request id: nobody waits) at `now`.
  void begin(caf::strong_actor_ptr caller, caf::message_id id, time_point now);

  /// Plugin code returned; false if the watchdog answered the call meanwhile.
  bool end();

  /// If plugin code has been running for `limit` or longer at `now`: answers its caller with
  /// `make(how_long)` (when someone waits), marks the call answered and returns how long it ran.
  template <class MakeError>
  std::optional<std::chrono::nanoseconds> answer_if_hung(time_point now,
                                                         std::chrono::nanoseconds limit,
                                                         MakeError make) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!busy_ || claimed_ || now - since_ < limit)
      return std::nullopt;
    claimed_ = true;
    auto ran = std::chrono::duration_cast<std::chrono::nanoseconds>(now - since_);
    auto err = make(ran);
    verdict_ = describe_verdict(err);
    answer(std::move(err));
    return ran;
  }

  /// True once a call was answered from outside: the host is hung or was, and is retired.
  bool hung() const;

  /// What the watchdog answered the hung call (its error's detail); empty if it did not.
  std::string verdict() const;

private:
  /// REQUIRES: mtx_ held.
  void answer(caf::error err);
  static std::string describe_verdict(const caf::error& err);

  mutable std::mutex mtx_;
  bool busy_ = false;
  bool claimed_ = false;
  time_point since_;
  caf::strong_actor_ptr caller_;
  caf::message_id id_;
  std::string verdict_;
};

} // namespace troupe::detail
