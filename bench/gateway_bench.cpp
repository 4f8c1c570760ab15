// The msgpack-RPC gateway from a client's side (docs/performance.md, "Gateway"): a client on
// one TCP connection calls `execute(PLUGIN, "hello")`,
//   gateway_rt_us                  one request in flight (request, wait, repeat), median of reps
//   gateway_pipelined_ops_per_s    16 in flight the way redis-benchmark -P 16 does it (write 16,
//                                  read 16 answers, repeat), median of reps
// Usage: gateway_bench HOST PORT PLUGIN N REPS. Every answer is checked ("ok:hello").

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "gateway/rpc_frames.hpp"
#include "messages/msgpack_codec.hpp"

namespace {

using namespace troupe;
using clock_type = std::chrono::steady_clock;

int connect_to(const char* host, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, host, &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/// Sends `depth` requests at once, then reads until all `depth` answers are in; `rounds` times.
/// Returns the seconds it took.
double run(int fd, const std::string& plugin, std::size_t rounds, std::size_t depth) {
  gateway::rpc_reader reader;
  std::vector<std::uint8_t> batch;
  for (std::size_t i = 0; i < depth; ++i) {
    auto f = gateway::encode_request(static_cast<std::uint32_t>(i), "execute",
                                     {pack(plugin), pack(std::string("hello"))});
    batch.insert(batch.end(), f.bytes.begin(), f.bytes.end());
  }
  const auto expected = pack(std::string("ok:hello"));
  char buf[65536];
  auto start = clock_type::now();
  for (std::size_t r = 0; r < rounds; ++r) {
    if (::send(fd, batch.data(), batch.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(batch.size())) {
      std::perror("send");
      std::exit(1);
    }
    std::size_t answered = 0;
    while (answered < depth) {
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        std::fprintf(stderr, "the gateway closed the connection\n");
        std::exit(1);
      }
      auto frames = reader.feed(buf, static_cast<std::size_t>(n));
      if (!frames) {
        std::fprintf(stderr, "bad answer: %s\n", describe(frames.error()).c_str());
        std::exit(1);
      }
      for (const auto& f : *frames)
        if (f.type != gateway::rpc_frame::kind::response || f.result != expected) {
          std::fprintf(stderr, "unexpected answer to %u\n", f.msgid);
          std::exit(1);
        }
      answered += frames->size();
    }
  }
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: gateway_bench HOST PORT PLUGIN N REPS\n");
    return 2;
  }
  int fd = connect_to(argv[1], std::atoi(argv[2]));
  std::string plugin = argv[3];
  auto n = static_cast<std::size_t>(std::atol(argv[4]));
  int reps = std::atoi(argv[5]);
  run(fd, plugin, n / 10, 1);  // warm-up
  run(fd, plugin, n / 10, 16);
  std::vector<double> rt, piped;
  for (int i = 0; i < reps; ++i) {
    rt.push_back(run(fd, plugin, n, 1) / static_cast<double>(n) * 1e6);
    piped.push_back(static_cast<double>(n * 6) / run(fd, plugin, n * 6 / 16, 16));
  }
  std::printf("gateway_rt_us %.1f\n", median(rt));
  std::printf("gateway_pipelined_ops_per_s %.0f\n", median(piped));
  std::fprintf(stderr, "gateway: rt us per rep:");
  for (auto x : rt)
    std::fprintf(stderr, " %.1f", x);
  std::fprintf(stderr, "; pipelined ops/s per rep:");
  for (auto x : piped)
    std::fprintf(stderr, " %.0f", x);
  std::fprintf(stderr, "\n");
  ::close(fd);
  return 0;
}
