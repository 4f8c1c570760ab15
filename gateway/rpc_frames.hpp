#pragma once
// msgpack-RPC frames (https://github.com/msgpack-rpc/msgpack-rpc/blob/master/spec.md, as Neovim
// speaks it) read from a byte stream and written back: the parser a gateway connection runs on
// every byte a client sends (issue 13; fuzzed as such).
//
//   request      [0, msgid, method, params]
//   response     [1, msgid, error, result]
//   notification [2, method, params]

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "messages/payload.hpp"

namespace troupe::gateway {

/// One frame, its parts as msgpack bytes where they are values.
struct rpc_frame {
  enum class kind : std::uint8_t { request = 0, response = 1, notification = 2 };
  kind type = kind::request;
  std::uint32_t msgid = 0;       ///< Requests and responses.
  std::string method;            ///< Requests and notifications.
  std::vector<payload> params;   ///< Requests and notifications: each parameter.
  payload error;                 ///< Responses: nil when the call succeeded.
  payload result;                ///< Responses.
};

/// Limits a reader enforces; a frame past one is an error and the connection's end.
struct rpc_limits {
  std::size_t max_frame = 16u << 20;  ///< Bytes of one frame (also what may wait unparsed).
  std::size_t max_params = 64;        ///< Parameters of one request or notification.
  std::size_t max_depth = 256;        ///< Nesting of arrays and maps within a frame.
};

/// Reads frames from the bytes of one connection, in order, across any split of the stream.
/// Not thread-safe (one per connection).
class rpc_reader {
public:
  explicit rpc_reader(rpc_limits limits = {});
  ~rpc_reader();
  rpc_reader(const rpc_reader&) = delete;
  rpc_reader& operator=(const rpc_reader&) = delete;

  /// Takes the next `n` bytes; answers every frame they complete. bad_input naming what is wrong
  /// (not msgpack, not a frame of the spec, a limit passed): the stream cannot go on, and every
  /// later call answers the same error.
  caf::expected<std::vector<rpc_frame>> feed(const char* data, std::size_t n);

  /// Bytes taken since the last complete frame (about what an incomplete frame holds).
  std::size_t buffered() const;

private:
  struct state;
  std::unique_ptr<state> st_;
};

/// [1, msgid, nil, result].
payload encode_result(std::uint32_t msgid, const payload& result);

/// [1, msgid, error, nil]: error is a map {code, message[, plugin]}.
payload encode_error(std::uint32_t msgid, const std::string& code, const std::string& message,
                     const std::string& plugin = {});

/// [2, method, params] with each parameter given as msgpack bytes.
payload encode_notification(const std::string& method, const std::vector<payload>& params);

/// [0, msgid, method, params] (for clients and tests).
payload encode_request(std::uint32_t msgid, const std::string& method,
                       const std::vector<payload>& params);

} // namespace troupe::gateway
