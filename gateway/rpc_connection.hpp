#pragma once
// One msgpack-RPC connection of the gateway (internal to gateway/). Its bytes are read and its
// requests sent on the gateway's I/O thread; answers are written on the thread that answers them
// (the plugin's or the manager's worker), straight to the socket: an answer costs no hand-off to
// the I/O thread (docs/gateway.md, "How it works").
//
// Requests go out with the connection's companion actor as their sender; the companion hands
// each answer to on_answer on the answering thread. One mutex guards the output, the calls in
// flight and the closed flag.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>

#include "gateway/rpc_frames.hpp"
#include "gateway/rpc_gateway.hpp"
#include "messages/plugin_protocol.hpp"

namespace troupe::gateway {

/// What every connection of one gateway shares.
struct session_settings {
  gateway_config config;
  gateway_context context;
  caf::actor_system* system = nullptr;
};

/// Turns an answer (the message a request was answered with) into one payload or error per
/// msgid of the request.
using answer_renderer = std::function<std::vector<caf::expected<payload>>(caf::message&)>;

class rpc_connection : public std::enable_shared_from_this<rpc_connection> {
public:
  using clock = std::chrono::steady_clock;

  /// Takes ownership of the connected, non-blocking socket `fd`; `watch_output(fd, on)` asks the
  /// I/O thread to watch it for writability (output waiting) or to stop.
  rpc_connection(int fd, std::string peer, std::shared_ptr<const session_settings> settings,
                 std::function<void(int, bool)> watch_output);
  ~rpc_connection();

  /// Makes the companion that receives answers and events. Call once, after construction.
  void start();

  /// What the I/O thread does next with a connection.
  enum class next { read_on, answer_then_close, close_now };

  /// I/O thread: reads what the socket has; runs every frame it completes. answer_then_close
  /// when the client has closed its side (its answers still go out); close_now after a
  /// malformed frame or a limit.
  next on_readable();
  /// I/O thread: writes what waits.
  void on_writable();
  /// I/O thread: answers timeout to calls past their deadline; false if the connection is to be
  /// closed now: idle too long (then closing), or its client closed its side and every answer
  /// has gone out.
  bool on_sweep(clock::time_point now);
  /// I/O thread: closes the socket (after a last try at writing what waits) and drops the
  /// companion; later answers are dropped.
  void close();

  int fd() const { return fd_; }

private:
  struct pending_call {
    std::vector<std::uint32_t> msgids;
    std::string plugin; ///< Named in errors about the call.
    clock::time_point deadline;
    answer_renderer render;
  };
  struct pending_execute {
    plugin_actor plugin;
    std::string id;
    std::vector<std::uint32_t> msgids;
    std::vector<payload> inputs;
  };

  // I/O thread: requests (rpc_methods.cpp).
  void on_request(rpc_frame& f, std::vector<pending_execute>& batch);
  void dispatch(rpc_frame& f, std::vector<pending_execute>& batch);
  void execute(rpc_frame& f, std::vector<pending_execute>& batch);
  void send_batch(pending_execute& group);
  void auth(const rpc_frame& f);
  /// Sends `xs` to `dest` as a request from the companion; its answer goes to `msgids`.
  template <class Handle, class... Ts>
  void ask(const Handle& dest, std::vector<std::uint32_t> msgids, const std::string& plugin,
           answer_renderer render, Ts&&... xs);
  template <class T, class... Ts>
  void ask_manager(std::uint32_t msgid, const std::string& about, payload (*render)(const T&),
                   Ts&&... xs);
  /// Sends [2, "closing", [{code, message}]] and marks the connection for closing.
  void close_with(const caf::error& reason);

  // Any thread.
  void on_message(caf::mailbox_element_ptr what);
  /// Writes a result or error per msgid of `call` (in one send) and counts the calls done.
  /// Lock held.
  void answer(const pending_call& call, std::vector<caf::expected<payload>>& answers);
  /// Appends the answer to `msgid` to the output (not written yet: flush_locked) and counts the
  /// call done. Lock held.
  void reply_locked(std::uint32_t msgid, const caf::expected<payload>& result,
                    const std::string& plugin);
  /// Appends bytes to the output. Lock held.
  void append_locked(const payload& bytes);
  /// Appends bytes and writes what the socket takes. Lock held.
  void write_locked(const payload& bytes);
  void flush_locked();
  caf::error explain(const caf::error& err, const std::string& plugin) const;

  int fd_;
  std::string peer_;
  std::shared_ptr<const session_settings> settings_;
  std::function<void(int, bool)> watch_output_;
  caf::actor companion_;
  caf::strong_actor_ptr companion_ptr_;
  rpc_reader reader_;

  std::mutex mtx_; ///< Guards what follows.
  std::vector<char> out_;
  bool watching_output_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool client_done_ = false; ///< The client closed its side: answer, then close.
  bool authed_;
  bool subscribed_ = false;
  std::size_t in_flight_ = 0;
  std::uint64_t next_request_ = 1;
  std::unordered_map<std::uint64_t, pending_call> pending_;
  clock::time_point last_heard_ = clock::now();
};

} // namespace troupe::gateway
