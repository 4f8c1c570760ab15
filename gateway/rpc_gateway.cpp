#include "gateway/rpc_gateway.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "gateway/rpc_connection.hpp"
#include "messages/errors.hpp"

namespace troupe {

namespace {

using gateway::rpc_connection;
using gateway::session_settings;

constexpr auto sweep_interval = std::chrono::milliseconds(20);

/// A listening, non-blocking socket on host:port and the port bound, or why not.
caf::expected<std::pair<int, std::uint16_t>> listen_on(const std::string& host,
                                                       std::uint16_t port) {
  auto refuse = [&](const std::string& why) {
    return make_error(errc::unavailable, "",
                      "the gateway cannot listen on " + host + ":" + std::to_string(port) + ": "
                        + why);
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    return refuse(::gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard{found, &::freeaddrinfo};
  int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return refuse(std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
    auto why = std::string(std::strerror(errno));
    ::close(fd);
    return refuse(why);
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  auto bound_port = bound.ss_family == AF_INET6
                      ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                      : reinterpret_cast<sockaddr_in*>(&bound)->sin_port;
  return std::make_pair(fd, ntohs(bound_port));
}

std::string peer_of(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  std::uint16_t port = 0;
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  } else {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

} // namespace

/// The I/O thread: accepts, reads and runs requests, sweeps deadlines; answers are written by
/// the threads that make them.
struct rpc_gateway::loop {
  std::shared_ptr<const session_settings> settings;
  int listen_fd = -1;
  int epoll_fd = -1;
  int wake_fd = -1;
  std::atomic<bool> stopping{false};
  std::thread thread;
  std::unordered_map<int, std::shared_ptr<rpc_connection>> connections;

  ~loop() {
    for (int fd : {listen_fd, epoll_fd, wake_fd})
      if (fd >= 0)
        ::close(fd);
  }

  void watch(int fd, std::uint32_t events, int op) const {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_fd, op, fd, &ev);
  }

  void accept_all() {
    for (;;) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0)
        return; // EAGAIN, or a connection that went away before we took it
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      int ep = epoll_fd;
      auto conn = std::make_shared<rpc_connection>(
        fd, peer_of(addr), settings, [ep](int cfd, bool output) {
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLRDHUP | (output ? EPOLLOUT : 0u);
          ev.data.fd = cfd;
          ::epoll_ctl(ep, EPOLL_CTL_MOD, cfd, &ev);
        });
      conn->start();
      connections[fd] = conn;
      watch(fd, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
    }
  }

  void drop(int fd) {
    auto it = connections.find(fd);
    if (it == connections.end())
      return;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    it->second->close();
    connections.erase(it);
  }

  /// True if it read.
  bool on_event(const epoll_event& ev) {
    auto it = connections.find(ev.data.fd);
    if (it == connections.end())
      return false;
    auto conn = it->second;
    if (ev.events & EPOLLOUT)
      conn->on_writable();
    if (!(ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
      return false;
    switch (conn->on_readable()) {
      case rpc_connection::next::read_on:
        break;
      case rpc_connection::next::answer_then_close: // the sweep closes it when answered
        watch(conn->fd(), 0, EPOLL_CTL_MOD);
        break;
      case rpc_connection::next::close_now:
        drop(conn->fd());
        break;
    }
    return true;
  }

  void sweep() {
    auto now = rpc_connection::clock::now();
    std::vector<int> done;
    for (auto& [fd, conn] : connections)
      if (!conn->on_sweep(now))
        done.push_back(fd);
    for (int fd : done)
      drop(fd);
  }

  void run() {
    using std::chrono::steady_clock;
    epoll_event events[64];
    auto next_sweep = steady_clock::now() + sweep_interval;
    auto poll_for = std::chrono::microseconds(settings->config.poll_us);
    auto poll_until = steady_clock::now();
    while (!stopping) {
      auto now = steady_clock::now();
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_sweep - now);
      bool polling = now < poll_until;
      int n = ::epoll_wait(epoll_fd, events, 64,
                           polling ? 0 : static_cast<int>(std::max<long>(0, wait.count())));
      if (n == 0 && polling)
        std::this_thread::yield(); // a worker on this CPU may be making the answer
      bool read = false;
      for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == wake_fd)
          continue; // stopping
        if (events[i].data.fd == listen_fd)
          accept_all();
        else
          read = on_event(events[i]) || read;
      }
      if (read && poll_for.count() > 0)
        poll_until = steady_clock::now() + poll_for;
      if (std::chrono::steady_clock::now() >= next_sweep) {
        sweep();
        next_sweep = std::chrono::steady_clock::now() + sweep_interval;
      }
    }
    while (!connections.empty())
      drop(connections.begin()->first);
  }
};

rpc_gateway::rpc_gateway() = default;

caf::expected<std::unique_ptr<rpc_gateway>>
rpc_gateway::start(caf::actor_system& sys, const gateway_config& config,
                   gateway_context context) {
  auto bound = listen_on(config.host, config.port);
  if (!bound)
    return std::move(bound.error());
  std::unique_ptr<rpc_gateway> g{new rpc_gateway};
  g->loop_ = std::make_unique<loop>();
  auto& l = *g->loop_;
  l.listen_fd = bound->first;
  g->port_ = bound->second;
  l.settings = std::make_shared<const session_settings>(
    session_settings{config, std::move(context), &sys});
  l.epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  l.wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (l.epoll_fd < 0 || l.wake_fd < 0)
    return make_error(errc::unavailable, "", std::string("the gateway: ") + std::strerror(errno));
  l.watch(l.listen_fd, EPOLLIN, EPOLL_CTL_ADD);
  l.watch(l.wake_fd, EPOLLIN, EPOLL_CTL_ADD);
  l.thread = std::thread([&l] { l.run(); });
  return g;
}

rpc_gateway::~rpc_gateway() {
  if (!loop_)
    return;
  loop_->stopping = true;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(loop_->wake_fd, &one, sizeof one);
  if (loop_->thread.joinable())
    loop_->thread.join();
}

} // namespace troupe
