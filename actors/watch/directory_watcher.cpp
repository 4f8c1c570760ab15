#include "actors/watch/directory_watcher.hpp"

#include <cerrno>
#include <cstring>

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "messages/errors.hpp"

namespace troupe {

directory_watcher::directory_watcher() : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
}

directory_watcher::~directory_watcher() {
  if (fd_ >= 0)
    ::close(fd_);
}

caf::error directory_watcher::add(const std::string& dir) {
  if (fd_ < 0)
    return make_error(errc::unavailable, "", std::string("inotify: ") + std::strerror(errno));
  auto mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR;
  int wd = inotify_add_watch(fd_, dir.c_str(), mask);
  if (wd < 0)
    return make_error(errc::not_found, "",
                      "cannot watch directory '" + dir + "': " + std::strerror(errno));
  dirs_.emplace_back(wd, dir);
  return {};
}

std::vector<file_change> directory_watcher::wait(std::chrono::milliseconds timeout) {
  std::vector<file_change> changes;
  if (fd_ < 0)
    return changes;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
    return changes;
  alignas(inotify_event) char buf[16 * 1024];
  for (;;) {
    auto n = ::read(fd_, buf, sizeof(buf));
    if (n <= 0)
      break;
    for (char* at = buf; at < buf + n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(at);
      at += sizeof(inotify_event) + ev->len;
      if (ev->len == 0)
        continue;
      for (const auto& [wd, dir] : dirs_) {
        if (wd != ev->wd)
          continue;
        file_change c;
        c.path = dir + "/" + ev->name;
        c.what = (ev->mask & (IN_DELETE | IN_MOVED_FROM)) != 0 ? file_change::kind::removed
                                                                : file_change::kind::written;
        changes.push_back(std::move(c));
      }
    }
  }
  return changes;
}

} // namespace troupe
