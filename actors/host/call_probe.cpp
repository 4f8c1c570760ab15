#include "actors/host/call_probe.hpp"

#include <thread>

#include <caf/mailbox_element.hpp>
#include <caf/make_message.hpp>

#include "messages/errors.hpp"

namespace troupe::detail {

void call_probe::begin(caf::actor_control_block* caller, caf::message_id id, time_point now) {
  caller_ = caller;
  id_ = id;
  since_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
  seq_ += 4;
  state_.store(seq_ | busy, std::memory_order_release);
}

bool call_probe::end() {
  auto was = state_.exchange(seq_, std::memory_order_acq_rel);
  if ((was & claimed) == 0)
    return true;
  while (!answered_.load(std::memory_order_acquire)) // the watchdog is answering: a moment
    std::this_thread::yield();
  return false;
}

std::string call_probe::verdict() const {
  std::lock_guard<std::mutex> guard{verdict_mtx_};
  return verdict_;
}

std::string call_probe::describe_verdict(const caf::error& err) {
  return is_troupe_error(err) ? detail_of(err) : describe(err);
}

void call_probe::answer(caf::error err) {
  if (caller_ == nullptr || !id_.is_request())
    return;
  caf::strong_actor_ptr caller{caller_}; // alive: the host's current message holds it
  caller->enqueue(caf::make_mailbox_element(nullptr, id_.response_id(), {},
                                            caf::make_message(std::move(err))),
                  nullptr);
}

} // namespace troupe::detail
