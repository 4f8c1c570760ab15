#pragma once
// Watches directories for files written or removed (Linux inotify). Plain code, no actors: the
// reload_watcher runs it on its own thread.

#include <chrono>
#include <string>
#include <vector>

#include <caf/error.hpp>

namespace troupe {

/// A file that changed in a watched directory.
struct file_change {
  enum class kind { written, removed };
  std::string path; ///< Directory as added + "/" + file name.
  kind what = kind::written;
};

/// A file is `written` when a writer closes it (IN_CLOSE_WRITE: "truncate and write" saves) or
/// it is renamed into place (IN_MOVED_TO: "write a temporary file and rename" saves); `removed`
/// when deleted or renamed away. Not thread-safe: one thread calls wait().
class directory_watcher {
public:
  directory_watcher();
  ~directory_watcher();
  directory_watcher(const directory_watcher&) = delete;
  directory_watcher& operator=(const directory_watcher&) = delete;

  /// Starts watching `dir` (not recursively). not_found if it is not a directory.
  caf::error add(const std::string& dir);

  /// The changes seen within `timeout` (empty if none); returns at the first batch.
  std::vector<file_change> wait(std::chrono::milliseconds timeout);

private:
  int fd_ = -1;
  std::vector<std::pair<int, std::string>> dirs_; ///< Watch descriptor, directory.
};

} // namespace troupe
