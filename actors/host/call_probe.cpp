#include "actors/host/call_probe.hpp"

#include <caf/mailbox_element.hpp>
#include <caf/make_message.hpp>

#include "messages/errors.hpp"

namespace troupe::detail {

void call_probe::begin(caf::strong_actor_ptr caller, caf::message_id id, time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  busy_ = true;
  since_ = now;
  caller_ = std::move(caller);
  id_ = id;
}

bool call_probe::end() {
  caf::strong_actor_ptr released; // dropped outside the lock
  std::lock_guard<std::mutex> guard{mtx_};
  busy_ = false;
  released.swap(caller_);
  return !claimed_;
}

bool call_probe::hung() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return claimed_;
}

std::string call_probe::verdict() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return verdict_;
}

std::string call_probe::describe_verdict(const caf::error& err) {
  return is_troupe_error(err) ? detail_of(err) : describe(err);
}

void call_probe::answer(caf::error err) {
  if (!caller_ || !id_.is_request())
    return;
  caller_->enqueue(caf::make_mailbox_element(nullptr, id_.response_id(), {},
                                             caf::make_message(std::move(err))),
                   nullptr);
}

} // namespace troupe::detail
