#pragma once
// A blocking msgpack-RPC client over a real TCP socket, for the gateway's tests: sends frames,
// reads the server's frames (with gateway::rpc_reader) with a deadline, and tells when the
// server closed the connection. Every wait is bounded.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "gateway/rpc_frames.hpp"

namespace troupe::test {

class rpc_test_client {
public:
  /// Connects to 127.0.0.1:port; connected() says whether it worked.
  explicit rpc_test_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~rpc_test_client() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  rpc_test_client(const rpc_test_client&) = delete;
  rpc_test_client& operator=(const rpc_test_client&) = delete;

  bool connected() const { return fd_ >= 0; }

  /// Writes raw bytes (frames, or garbage); false if the connection is gone.
  bool send_bytes(const std::vector<std::uint8_t>& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      auto n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  bool request(std::uint32_t msgid, const std::string& method,
               const std::vector<payload>& params) {
    return send_bytes(gateway::encode_request(msgid, method, params).bytes);
  }

  /// The next frame from the server, waiting at most `deadline`; nullopt on timeout or when
  /// the server closed the connection (closed() then says so).
  std::optional<gateway::rpc_frame> next(std::chrono::milliseconds deadline
                                         = std::chrono::seconds(10)) {
    auto until = std::chrono::steady_clock::now() + deadline;
    while (frames_.empty() && !closed_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        continue;
      char buf[65536];
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      auto got = reader_.feed(buf, static_cast<std::size_t>(n));
      if (!got)
        return std::nullopt;
      for (auto& f : *got)
        frames_.push_back(std::move(f));
    }
    if (frames_.empty())
      return std::nullopt;
    auto f = std::move(frames_.front());
    frames_.pop_front();
    return f;
  }

  /// True once the server closed the connection (seen by next()).
  bool closed() const { return closed_; }

private:
  int fd_ = -1;
  bool closed_ = false;
  gateway::rpc_reader reader_;
  std::deque<gateway::rpc_frame> frames_;
};

} // namespace troupe::test
