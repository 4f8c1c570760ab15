#pragma once
// A thread-safe key/value store shared by the plugins of one runtime. Values are msgpack payloads,
// so they mean the same thing to compiled-in plugins, shared libraries and (later) Lua scripts.

#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "messages/payload.hpp"

namespace troupe {

/// Thread-safe: every member may be called from any thread at any time.
class shared_state {
public:
  /// Stores `value` under `key`, replacing any previous value.
  void put(const std::string& key, payload value);

  /// The value under `key`, or nullopt.
  std::optional<payload> get(const std::string& key) const;

  /// Removes `key`; returns whether it was there.
  bool erase(const std::string& key);

  /// Every key, sorted.
  std::vector<std::string> keys() const;

private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, payload> values_;
};

} // namespace troupe
