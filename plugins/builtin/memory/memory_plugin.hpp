#pragma once
// "memory": an agent's memory on SQLite with full-text search (FTS5). Messages (a role and their
// content) and facts are appended per agent and session, recalled by words (ranked by bm25) or by
// recency, and forgotten one by one, by session or all of an agent. The database file survives
// restarts. docs/builtin-plugins.md, "memory", documents the settings, ops, tools and limits.
//
// Settings (text): path (default "troupe-memory.db", relative to the working directory;
// ":memory:" keeps nothing), max_content_bytes (default 65536), max_results (default 100),
// default_limit (default 10).
// Requests (msgpack maps with "op"): append, recall, recent, forget, stats; tools memory_append,
// memory_recall, memory_recent, memory_forget. Bad input is a bad_input error naming the plugin.

#include <cstdint>
#include <memory>
#include <string>

#include <msgpack.hpp>

#include "plugins/api/plugin.hpp"

namespace troupe::builtin {

class memory_store;
class request_reader;

/// The limits a memory plugin enforces, from its settings.
struct memory_limits {
  std::size_t max_content_bytes = 65536; ///< Default 65536: larger content is bad_input.
  std::int64_t max_results = 100;        ///< Default 100: the largest `limit` a request may ask.
  std::int64_t default_limit = 10;       ///< Default 10: recall/recent without `limit`.
  static constexpr std::size_t max_name_bytes = 256;  ///< agent and session ids.
  static constexpr std::size_t max_role_bytes = 64;   ///< a message's role.
  static constexpr std::size_t max_query_bytes = 4096; ///< a recall's query.
};

/// The memory plugin. Opens its database at load and closes it at unload.
class memory_plugin final : public plugin {
public:
  memory_plugin();
  ~memory_plugin() override;

  plugin_metadata metadata() const override;
  caf::error load(plugin_context& ctx) override;
  caf::error unload(plugin_context& ctx) override;
  caf::expected<payload> execute(plugin_context& ctx, const payload& input) override;
  std::vector<tool_spec> tools() const override;
  caf::expected<payload> call_tool(plugin_context& ctx, const std::string& name,
                                   const payload& args) override;
  caf::expected<std::string> health_check(plugin_context& ctx) override;
  std::map<std::string, std::int64_t> counters() const override;

private:
  caf::expected<payload> run(const std::string& op, const request_reader& req);
  caf::expected<payload> append(const request_reader& req);
  caf::expected<payload> recall(const request_reader& req, bool by_words);
  caf::expected<payload> forget(const request_reader& req);
  caf::expected<payload> stats(const request_reader& req);
  caf::expected<std::int64_t> limit_of(const request_reader& req) const;

  std::string id_;
  memory_limits limits_;
  std::unique_ptr<memory_store> store_;
  std::int64_t entries_ = 0; ///< Entries in the database, kept current by append and forget.
  std::int64_t appends_ = 0;
  std::int64_t recalls_ = 0;
  std::int64_t forgotten_ = 0;
};

} // namespace troupe::builtin
