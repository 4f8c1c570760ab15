#pragma once
// Collects a runtime's events for tests, with blocking waits that give up after request_timeout.

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actor_fixture.hpp"
#include "messages/runtime_event.hpp"

namespace troupe::test {

/// Every event of a runtime, with blocking waits that give up after request_timeout.
class event_log {
public:
  void push(const runtime_event& ev) {
    std::lock_guard<std::mutex> guard{mtx_};
    events_.push_back(ev);
    cv_.notify_all();
  }

  /// Waits for the n-th event of `kind` about `subject` (a plugin id, or a group for group
  /// events); returns it, or nullopt after the deadline.
  std::optional<runtime_event> wait(event_kind kind, const std::string& subject,
                                    std::size_t n = 1) {
    std::unique_lock<std::mutex> lock{mtx_};
    std::optional<runtime_event> found;
    cv_.wait_for(lock, request_timeout, [&] {
      found = nth(kind, subject, n);
      return found.has_value();
    });
    return found;
  }

  /// How many events of `kind` about `subject` arrived so far.
  std::size_t count(event_kind kind, const std::string& subject) {
    std::lock_guard<std::mutex> guard{mtx_};
    std::size_t n = 0;
    for (const auto& ev : events_)
      n += matches(ev, kind, subject) ? 1 : 0;
    return n;
  }

private:
  static bool matches(const runtime_event& ev, event_kind kind, const std::string& subject) {
    return ev.kind == kind && (ev.plugin == subject || (ev.plugin.empty() && ev.group == subject));
  }

  std::optional<runtime_event> nth(event_kind kind, const std::string& subject, std::size_t n) {
    for (const auto& ev : events_)
      if (matches(ev, kind, subject) && --n == 0)
        return ev;
    return std::nullopt;
  }

  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<runtime_event> events_;
};

} // namespace troupe::test
