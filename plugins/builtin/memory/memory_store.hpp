#pragma once
// The storage behind the "memory" plugin: an agent's messages and facts in SQLite, with an FTS5
// index over their content. Plain C++ (no plugin, no actor), so that it is tested on its own.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

struct sqlite3;

namespace troupe::builtin {

/// One stored entry: a message of a conversation (kind "message", with a role) or a fact.
struct memory_entry {
  std::int64_t id = 0;   ///< Unique in its database, increasing with every append.
  std::string agent;
  std::string session;   ///< "" when the entry belongs to no session.
  std::string kind;      ///< "message" or "fact".
  std::string role;      ///< "user", "assistant", ... for messages; "" for facts.
  std::string content;
  std::int64_t time_ms = 0; ///< When it was appended (the store's clock).
  double score = 0;         ///< recall only: bm25 relevance, lower is better; 0 otherwise.
};

/// Which entries a recall, recent or stats looks at. Empty optionals match everything.
struct memory_filter {
  std::string agent;                  ///< REQUIRED: not empty.
  std::optional<std::string> session; ///< Only this session.
  std::optional<std::string> kind;    ///< Only "message" or only "fact".
};

/// Counts of a store, or of one agent in it.
struct memory_counts {
  std::int64_t entries = 0;
  std::int64_t messages = 0;
  std::int64_t facts = 0;
  std::int64_t agents = 0;
  std::int64_t sessions = 0; ///< Distinct (agent, session) pairs with a non-empty session.
};

/// Turns user text into an FTS5 query that matches any of its words: every whitespace-separated
/// word becomes a quoted string (inner quotes doubled), joined with OR, so that FTS5 operators,
/// column filters, prefixes and parentheses in the text are plain words. At most `max_words`
/// words are kept. Returns "" when the text has no word.
std::string fts_query_for(const std::string& text, std::size_t max_words = 32);

/// One SQLite connection with the memory schema. Not thread-safe: one caller at a time (the
/// plugin's host guarantees it). Errors are caf::errors of errc::plugin_failed (SQLite) or
/// errc::load_failed (open) naming `owner`.
class memory_store {
public:
  /// Opens (creating if needed) the database at `path` (":memory:" for one that lives only as
  /// long as the store). `clock` gives milliseconds since the epoch; default: the system clock.
  static caf::expected<std::unique_ptr<memory_store>>
  open(const std::string& path, const std::string& owner,
       std::function<std::int64_t()> clock = {});

  ~memory_store();
  memory_store(const memory_store&) = delete;
  memory_store& operator=(const memory_store&) = delete;

  /// Stores `e` (its id, time_ms and score are ignored); answers the stored entry.
  /// REQUIRES: e.agent is not empty; e.kind is "message" or "fact".
  caf::expected<memory_entry> append(const memory_entry& e);

  /// The at most `limit` entries of `f` whose content matches any word of `query`, best bm25
  /// first. No word in the query: no entries.
  caf::expected<std::vector<memory_entry>> recall(const memory_filter& f, const std::string& query,
                                                  std::int64_t limit);

  /// The last `limit` entries of `f`, oldest first (ready to be replayed as a conversation).
  caf::expected<std::vector<memory_entry>> recent(const memory_filter& f, std::int64_t limit);

  /// Deletes entry `id` if it belongs to `agent`; answers how many went (0 or 1).
  caf::expected<std::int64_t> forget_entry(const std::string& agent, std::int64_t id);

  /// Deletes every entry of `agent` in `session`; answers how many went.
  caf::expected<std::int64_t> forget_session(const std::string& agent, const std::string& session);

  /// Deletes every entry of `agent`; answers how many went.
  caf::expected<std::int64_t> forget_agent(const std::string& agent);

  /// Counts of the whole store (`agent` empty) or of one agent.
  caf::expected<memory_counts> counts(const std::string& agent = {});

private:
  memory_store(sqlite3* db, std::string owner, std::function<std::int64_t()> clock);
  caf::error schema();
  caf::error sql_error() const;
  /// Runs a SELECT of entry columns (plus a score with `scored`) with `texts` bound to ?1..?n
  /// (nullopt binds NULL) and `limit` to ?(n+1).
  caf::expected<std::vector<memory_entry>>
  rows(const char* sql, const std::vector<std::optional<std::string>>& texts, std::int64_t limit,
       bool scored);
  /// Runs a DELETE with `texts` bound to ?1..?n and `id`, when set, to ?(n+1); answers the rows
  /// deleted.
  caf::expected<std::int64_t> erase(const char* sql, const std::vector<std::string>& texts,
                                    std::optional<std::int64_t> id);

  sqlite3* db_;
  std::string owner_;
  std::function<std::int64_t()> clock_;
};

} // namespace troupe::builtin
