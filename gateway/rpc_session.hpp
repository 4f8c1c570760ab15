#pragma once
// One msgpack-RPC connection of the gateway (internal to gateway/): the broker that reads its
// frames, checks the token and the limits, runs the methods and writes the answers.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/io/broker.hpp>

#include "gateway/rpc_frames.hpp"
#include "gateway/rpc_gateway.hpp"
#include "messages/plugin_protocol.hpp"

namespace troupe::gateway {

/// What every connection of one gateway shares.
struct session_settings {
  gateway_config config;
  gateway_context context;
};

/// The behavior of the broker serving connection `hdl`.
caf::behavior rpc_connection(caf::io::broker* self, caf::io::connection_handle hdl,
                             std::shared_ptr<const session_settings> settings);

/// A connection's state and its methods. Runs on its broker only.
class rpc_session : public std::enable_shared_from_this<rpc_session> {
public:
  rpc_session(caf::io::broker* self, caf::io::connection_handle hdl,
              std::shared_ptr<const session_settings> settings);

  /// Takes bytes the client sent: runs every frame they complete, closes on a malformed one.
  void on_data(const std::vector<char>& bytes);
  /// Writes an event to a subscribed client.
  void on_event(const payload& event);
  /// Checks the idle limit (the broker's timer).
  void on_idle_check();
  /// The client closed its side.
  void on_closed();

private:
  using clock = std::chrono::steady_clock;
  struct pending_execute {
    plugin_actor plugin;
    std::string id;
    std::vector<std::uint32_t> msgids;
    std::vector<payload> inputs;
  };

  /// Checks auth and the in-flight limit, then runs the request (executes of local plugins
  /// are gathered in `batch`).
  void on_request(rpc_frame& f, std::vector<pending_execute>& batch);
  /// Runs method f.method (defined in rpc_methods.cpp).
  void dispatch(rpc_frame& f, std::vector<pending_execute>& batch);
  void execute(rpc_frame& f, std::vector<pending_execute>& batch);
  void send_batch(pending_execute& group);
  /// Asks the manager; the answer (rendered by `render`) goes to msgid.
  template <class T, class... Ts>
  void ask_manager(std::uint32_t msgid, const std::string& about, payload (*render)(const T&),
                   Ts&&... xs);
  void auth(const rpc_frame& f);
  void subscribe(std::uint32_t msgid);

  void reply(std::uint32_t msgid, const payload& result);
  void reply_error(std::uint32_t msgid, const caf::error& err, const std::string& plugin = {});
  /// reply/reply_error and a flush: for answers that arrive on their own.
  void finish(std::uint32_t msgid, const payload& result);
  void finish_error(std::uint32_t msgid, const caf::error& err, const std::string& plugin);
  void write(const payload& bytes);
  void flush();
  /// Sends [2, "closing", [{code, message}]], closes the connection and ends the broker.
  void close_with(const caf::error& reason);
  /// A request's own error for CAF's timeout or a receiver that went away.
  caf::error explain(const caf::error& err, const std::string& plugin) const;
  std::chrono::milliseconds call_timeout() const;
  std::string peer() const;

  caf::io::broker* self_;
  caf::io::connection_handle hdl_;
  std::shared_ptr<const session_settings> settings_;
  rpc_reader reader_;
  bool authed_;
  bool subscribed_ = false;
  bool closing_ = false;
  std::size_t in_flight_ = 0;
  clock::time_point last_heard_ = clock::now();
};

} // namespace troupe::gateway
