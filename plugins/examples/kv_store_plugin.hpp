#pragma once
// "kv_store": a persistent key/value store on SQLite. Values are any msgpack value, stored as
// their msgpack bytes; keys are strings. The database file survives restarts of the process.
//
// Settings: path (default "troupe-kv.db", relative to the working directory).
// Requests (msgpack maps):
//   {"op": "put", "key": K, "value": V}  -> {"ok": true}
//   {"op": "get", "key": K}              -> V, or nil if K is absent
//   {"op": "delete", "key": K}           -> {"deleted": true|false}
//   {"op": "keys"}                       -> [K, ...] sorted
//   {"op": "count"}                      -> N
// Anything else is a bad_input error naming the plugin.

#include <cstdint>
#include <memory>
#include <string>

#include "plugins/api/plugin.hpp"

struct sqlite3;

namespace troupe::examples {

/// SQLite-backed key/value storage plugin. One connection per instance, opened at load.
class kv_store_plugin final : public plugin {
public:
  kv_store_plugin();
  ~kv_store_plugin() override;

  plugin_metadata metadata() const override;
  caf::error load(plugin_context& ctx) override;
  caf::error unload(plugin_context& ctx) override;
  caf::expected<payload> execute(plugin_context& ctx, const payload& input) override;
  caf::expected<std::string> health_check(plugin_context& ctx) override;
  std::map<std::string, std::int64_t> counters() const override;

private:
  struct statements;
  caf::error open(const std::string& path, const std::string& id);
  void close();

  sqlite3* db_ = nullptr;
  std::unique_ptr<statements> stmts_;
  std::int64_t puts_ = 0;
  std::int64_t gets_ = 0;
  std::int64_t deletes_ = 0;
};

} // namespace troupe::examples
