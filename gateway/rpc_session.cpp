#include "gateway/rpc_session.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/result_json.hpp"
#include "messages/runtime_event.hpp"

namespace troupe::gateway {

caf::behavior rpc_connection(caf::io::broker* self, caf::io::connection_handle hdl,
                             std::shared_ptr<const session_settings> settings) {
  auto idle = std::chrono::milliseconds(settings->config.idle_timeout_ms);
  auto session = std::make_shared<rpc_session>(self, hdl, std::move(settings));
  self->configure_read(hdl, caf::io::receive_policy::at_most(64 * 1024));
  self->delayed_send(self, idle, tick_atom::value);
  return {
    [session](const caf::io::new_data_msg& msg) { session->on_data(msg.buf); },
    [session](const caf::io::connection_closed_msg&) { session->on_closed(); },
    [session](event_atom, const runtime_event& e) {
      session->on_event(payload_from_json(to_json(e)));
    },
    [session](tick_atom) { session->on_idle_check(); },
  };
}

rpc_session::rpc_session(caf::io::broker* self, caf::io::connection_handle hdl,
                         std::shared_ptr<const session_settings> settings)
  : self_(self),
    hdl_(hdl),
    settings_(std::move(settings)),
    reader_(rpc_limits{settings_->config.max_frame_bytes, 64, max_payload_depth}),
    authed_(settings_->config.token.empty()) {
}

void rpc_session::on_data(const std::vector<char>& bytes) {
  if (closing_)
    return;
  last_heard_ = clock::now();
  auto frames = reader_.feed(bytes.data(), bytes.size());
  if (!frames) {
    close_with(frames.error());
    return;
  }
  std::vector<pending_execute> batch;
  for (auto& f : *frames) {
    if (closing_)
      return;
    // Responses (the gateway asks nothing) and notifications (some clients send one on
    // connect) are ignored.
    if (f.type == rpc_frame::kind::request)
      on_request(f, batch);
  }
  for (auto& group : batch)
    send_batch(group);
  flush();
}

void rpc_session::on_request(rpc_frame& f, std::vector<pending_execute>& batch) {
  if (!authed_ && f.method != "auth") {
    ++in_flight_;
    reply_error(f.msgid, make_error(errc::unauthorized, "",
                                    "this gateway needs auth(token) as the first request"));
    close_with(make_error(errc::unauthorized, "", "a request came before auth(token)"));
    return;
  }
  if (in_flight_ >= settings_->config.max_in_flight) {
    close_with(make_error(errc::limit_exceeded, "",
                          "more than " + std::to_string(settings_->config.max_in_flight)
                            + " requests in flight on one connection (gateway.max_in_flight)"));
    return;
  }
  ++in_flight_;
  dispatch(f, batch);
}

void rpc_session::on_event(const payload& event) {
  if (!subscribed_ || closing_)
    return;
  write(encode_notification("event", {event}));
  flush();
}

void rpc_session::on_idle_check() {
  if (closing_)
    return;
  auto idle = std::chrono::milliseconds(settings_->config.idle_timeout_ms);
  auto quiet = clock::now() - last_heard_;
  if (quiet >= idle && in_flight_ == 0 && !subscribed_) {
    close_with(make_error(errc::limit_exceeded, "",
                          "idle for " + std::to_string(idle.count())
                            + " ms (gateway.idle_timeout_ms)"));
    return;
  }
  auto next = quiet >= idle ? idle : std::chrono::ceil<std::chrono::milliseconds>(idle - quiet);
  self_->delayed_send(self_, next, tick_atom::value);
}

void rpc_session::on_closed() {
  closing_ = true;
  self_->quit();
}

void rpc_session::reply(std::uint32_t msgid, const payload& result) {
  --in_flight_;
  write(encode_result(msgid, result));
}

void rpc_session::reply_error(std::uint32_t msgid, const caf::error& err,
                              const std::string& plugin) {
  --in_flight_;
  auto e = explain(err, plugin);
  auto named = plugin_of(e);
  write(encode_error(msgid, code_name(e), describe(e), named.empty() ? plugin : named));
}

void rpc_session::finish(std::uint32_t msgid, const payload& result) {
  reply(msgid, result);
  flush();
}

void rpc_session::finish_error(std::uint32_t msgid, const caf::error& err,
                               const std::string& plugin) {
  reply_error(msgid, err, plugin);
  flush();
}

void rpc_session::flush() {
  if (!closing_)
    self_->flush(hdl_);
}

void rpc_session::write(const payload& bytes) {
  if (closing_)
    return;
  self_->write(hdl_, bytes.bytes.size(), bytes.bytes.data());
}

void rpc_session::close_with(const caf::error& reason) {
  if (closing_)
    return;
  spdlog::info("node '{}': gateway closes the connection from {}: {}", settings_->context.node,
               peer(), describe(reason));
  write(encode_notification("closing", {payload_from_json(error_json(reason))}));
  closing_ = true;
  self_->flush(hdl_);
  self_->close(hdl_);
  self_->quit();
}

caf::error rpc_session::explain(const caf::error& err, const std::string& plugin) const {
  if (err == caf::sec::request_timeout)
    return make_error(errc::timeout, plugin,
                      "no answer within " + std::to_string(call_timeout().count())
                        + " ms (gateway.call_timeout_ms)");
  if (err == caf::sec::request_receiver_down)
    return make_error(errc::unavailable, plugin, "its actor is gone");
  return err;
}

std::chrono::milliseconds rpc_session::call_timeout() const {
  return std::chrono::milliseconds(settings_->config.call_timeout_ms);
}

std::string rpc_session::peer() const {
  return self_->remote_addr(hdl_) + ":" + std::to_string(self_->remote_port(hdl_));
}

} // namespace troupe::gateway
