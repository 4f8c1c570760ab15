#pragma once
// A chat-completions server inside the test: cpp-httplib on 127.0.0.1, a port from the OS, its
// own thread. Each request to /v1/chat/completions is recorded and answered by the next scripted
// reply (the last one repeats). A reply may hold its request until release() (bounded, so that a
// test always ends).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace troupe::test {

/// Stops `server`, whose listen_after_bind runs on another thread and sets `done` when it
/// returns. stop() before the loop runs would be lost, so it waits for the loop to start.
inline void stop_listening(httplib::Server& server, const std::atomic<bool>& done) {
  while (!server.is_running() && !done)
    std::this_thread::yield();
  server.stop();
}

/// What the server received.
struct received_request {
  std::string path;
  std::string body;
  std::string authorization; ///< The Authorization header, "" if none.
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

/// A scripted OpenAI-compatible server. Thread-safe.
class chat_server {
public:
  using reply = std::function<void(const httplib::Request&, httplib::Response&)>;

  chat_server() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    server_.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      reply r;
      {
        std::lock_guard<std::mutex> guard{mtx_};
        received_.push_back({req.path, req.body, req.get_header_value("Authorization")});
        if (!replies_.empty()) {
          auto i = std::min(received_.size() - 1, replies_.size() - 1);
          r = replies_[i];
        }
      }
      if (r)
        r(req, res);
      else
        res.status = 500;
    });
    thread_ = std::thread{[this] {
      server_.listen_after_bind();
      listening_done_ = true;
    }};
  }

  ~chat_server() {
    release();
    stop_listening(server_, listening_done_);
    thread_.join();
  }

  chat_server(const chat_server&) = delete;
  chat_server& operator=(const chat_server&) = delete;

  /// http://127.0.0.1:PORT/v1
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

  /// The replies to the next requests, in order; the last one answers every later request.
  void script(std::vector<reply> replies) {
    std::lock_guard<std::mutex> guard{mtx_};
    replies_ = std::move(replies);
  }

  /// Every request so far.
  std::vector<received_request> received() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return received_;
  }

  /// Lets every held reply go on.
  void release() {
    std::lock_guard<std::mutex> guard{mtx_};
    released_ = true;
    cv_.notify_all();
  }

  /// Holds the current request until release(), at most `bound`.
  void hold(std::chrono::milliseconds bound) {
    std::unique_lock<std::mutex> lock{mtx_};
    cv_.wait_for(lock, bound, [this] { return released_; });
  }

private:
  httplib::Server server_;
  int port_ = 0;
  std::atomic<bool> listening_done_{false};
  std::thread thread_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  bool released_ = false;
  std::vector<reply> replies_;
  std::vector<received_request> received_;
};

/// A chat-completions answer saying `text`, with usage counts.
inline nlohmann::json completion(const std::string& text, int prompt = 7, int completion_tokens = 3) {
  return {{"id", "chatcmpl-1"},
          {"object", "chat.completion"},
          {"model", "test-model"},
          {"choices",
           {{{"index", 0},
             {"message", {{"role", "assistant"}, {"content", text}}},
             {"finish_reason", "stop"}}}},
          {"usage",
           {{"prompt_tokens", prompt},
            {"completion_tokens", completion_tokens},
            {"total_tokens", prompt + completion_tokens}}}};
}

/// A reply with `status` and `body` (JSON), and extra headers.
inline chat_server::reply answer(int status, const nlohmann::json& body,
                                 std::vector<std::pair<std::string, std::string>> headers = {}) {
  auto text = body.dump();
  return [status, text, headers](const httplib::Request&, httplib::Response& res) {
    res.status = status;
    for (const auto& [k, v] : headers)
      res.set_header(k, v);
    res.set_content(text, "application/json");
  };
}

/// A reply with a raw text body.
inline chat_server::reply raw_answer(int status, std::string body) {
  return [status, body](const httplib::Request&, httplib::Response& res) {
    res.status = status;
    res.set_content(body, "application/json");
  };
}

/// A port on 127.0.0.1 that nothing listens on: bound by the OS (never listened on), then
/// closed. 0 if no socket could be made.
inline int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0
      && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

} // namespace troupe::test
