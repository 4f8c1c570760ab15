#include "gateway/rpc_connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_companion.hpp>
#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/result_json.hpp"
#include "messages/runtime_event.hpp"

namespace troupe::gateway {

rpc_connection::rpc_connection(int fd, std::string peer,
                               std::shared_ptr<const session_settings> settings,
                               std::function<void(int, bool)> watch_output)
  : fd_(fd),
    peer_(std::move(peer)),
    settings_(std::move(settings)),
    watch_output_(std::move(watch_output)),
    reader_(rpc_limits{settings_->config.max_frame_bytes, 64, max_payload_depth}),
    authed_(settings_->config.token.empty()) {
}

rpc_connection::~rpc_connection() {
  if (!closed_)
    ::close(fd_);
}

void rpc_connection::start() {
  companion_ = settings_->system->spawn<caf::actor_companion, caf::hidden>();
  companion_ptr_ = caf::actor_cast<caf::strong_actor_ptr>(companion_);
  std::weak_ptr<rpc_connection> weak = shared_from_this();
  auto* c = static_cast<caf::actor_companion*>(caf::actor_cast<caf::abstract_actor*>(companion_));
  c->on_enqueue([weak](caf::mailbox_element_ptr what) {
    if (auto self = weak.lock())
      self->on_message(std::move(what));
  });
}

rpc_connection::next rpc_connection::on_readable() {
  std::vector<rpc_frame> frames;
  char buf[64 * 1024];
  bool eof = false;
  for (std::size_t total = 0; total < 4 * sizeof buf;) { // then let other connections in
    auto n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) {
      eof = true; // the client closed its side: answer what it sent, then close
      break;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      if (errno == EINTR)
        continue;
      return next::close_now;
    }
    total += static_cast<std::size_t>(n);
    auto got = reader_.feed(buf, static_cast<std::size_t>(n));
    if (!got) {
      close_with(got.error());
      return next::close_now;
    }
    for (auto& f : *got)
      frames.push_back(std::move(f));
    if (static_cast<std::size_t>(n) < sizeof buf)
      break;
  }
  {
    std::lock_guard<std::mutex> guard{mtx_};
    last_heard_ = clock::now();
    client_done_ = eof;
  }
  std::vector<pending_execute> batch;
  for (auto& f : frames) {
    // Responses (the gateway asks nothing) and notifications (some clients send one on
    // connect) are ignored.
    if (f.type == rpc_frame::kind::request)
      on_request(f, batch);
    if (closing_)
      return next::close_now;
  }
  for (auto& group : batch)
    send_batch(group);
  {
    std::lock_guard<std::mutex> guard{mtx_};
    flush_locked(); // answers made here (errors, auth) in one send
  }
  return eof ? next::answer_then_close : next::read_on;
}

void rpc_connection::on_writable() {
  std::lock_guard<std::mutex> guard{mtx_};
  flush_locked();
}

bool rpc_connection::on_sweep(clock::time_point now) {
  std::vector<pending_call> expired;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.deadline <= now) {
        expired.push_back(std::move(it->second));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& call : expired) {
      std::vector<caf::expected<payload>> answers(call.msgids.size(),
                                                  caf::make_error(caf::sec::request_timeout));
      answer(call, answers);
    }
    if (client_done_) {
      flush_locked();
      return in_flight_ > 0 || (!out_.empty() && !closed_);
    }
    auto idle = std::chrono::milliseconds(settings_->config.idle_timeout_ms);
    if (now - last_heard_ < idle || in_flight_ > 0 || subscribed_)
      return true;
  }
  close_with(make_error(errc::limit_exceeded, "",
                        "idle for " + std::to_string(settings_->config.idle_timeout_ms)
                          + " ms (gateway.idle_timeout_ms)"));
  return false;
}

void rpc_connection::close_with(const caf::error& reason) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (closing_)
    return;
  spdlog::info("node '{}': gateway closes the connection from {}: {}", settings_->context.node,
               peer_, describe(reason));
  write_locked(encode_notification("closing", {payload_from_json(error_json(reason))}));
  closing_ = true;
}

void rpc_connection::close() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (closed_)
    return;
  flush_locked(); // a last try: the closing notification, answers already made
  closing_ = true;
  closed_ = true;
  ::shutdown(fd_, SHUT_WR);
  ::close(fd_);
  pending_.clear();
  if (companion_) {
    auto* c = static_cast<caf::actor_companion*>(caf::actor_cast<caf::abstract_actor*>(companion_));
    c->on_enqueue(nullptr);
    c->cleanup(caf::make_error(caf::exit_reason::normal), nullptr); // subscriptions end
  }
  companion_ = nullptr;
  companion_ptr_ = nullptr;
}

void rpc_connection::on_message(caf::mailbox_element_ptr what) {
  auto& msg = what->content();
  if (!what->mid.is_response()) {
    if (msg.match_elements<event_atom, runtime_event>()) {
      auto event = payload_from_json(to_json(msg.get_as<runtime_event>(1)));
      std::lock_guard<std::mutex> guard{mtx_};
      if (subscribed_)
        write_locked(encode_notification("event", {event}));
    }
    return;
  }
  std::unique_lock<std::mutex> guard{mtx_};
  auto it = pending_.find(what->mid.request_id().integer_value());
  if (it == pending_.end())
    return; // answered timeout already, or the connection closed
  auto call = std::move(it->second);
  pending_.erase(it);
  guard.unlock();
  auto message = what->move_content_to_message();
  auto answers = call.render(message); // outside the lock: rendering may take a while
  guard.lock();
  answer(call, answers);
}

void rpc_connection::answer(const pending_call& call,
                            std::vector<caf::expected<payload>>& answers) {
  for (std::size_t i = 0; i < call.msgids.size(); ++i) {
    if (i < answers.size())
      reply_locked(call.msgids[i], answers[i], call.plugin);
    else
      reply_locked(call.msgids[i],
                   make_error(errc::plugin_failed, call.plugin, "no answer in its batch"),
                   call.plugin);
  }
  flush_locked(); // one send for the whole batch, as Redis writes a pipeline's replies
}

void rpc_connection::reply_locked(std::uint32_t msgid, const caf::expected<payload>& result,
                                  const std::string& plugin) {
  --in_flight_;
  if (result) {
    append_locked(encode_result(msgid, *result));
    return;
  }
  auto e = explain(result.error(), plugin);
  auto named = plugin_of(e);
  append_locked(encode_error(msgid, code_name(e), describe(e), named.empty() ? plugin : named));
}

void rpc_connection::append_locked(const payload& bytes) {
  if (!closed_)
    out_.insert(out_.end(), bytes.bytes.begin(), bytes.bytes.end());
}

void rpc_connection::write_locked(const payload& bytes) {
  append_locked(bytes);
  flush_locked();
}

void rpc_connection::flush_locked() {
  if (closed_ || out_.empty())
    return;
  std::size_t done = 0;
  while (done < out_.size()) {
    auto n = ::send(fd_, out_.data() + done, out_.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break; // EAGAIN: the rest when the socket is writable; an error: the read side sees it
    }
  }
  out_.erase(out_.begin(), out_.begin() + static_cast<long>(done));
  bool want = !out_.empty();
  if (want != watching_output_) {
    watching_output_ = want;
    watch_output_(fd_, want);
  }
}

caf::error rpc_connection::explain(const caf::error& err, const std::string& plugin) const {
  if (err == caf::sec::request_timeout)
    return make_error(errc::timeout, plugin,
                      "no answer within " + std::to_string(settings_->config.call_timeout_ms)
                        + " ms (gateway.call_timeout_ms)");
  if (err == caf::sec::request_receiver_down)
    return make_error(errc::unavailable, plugin, "its actor is gone");
  return err;
}

} // namespace troupe::gateway
