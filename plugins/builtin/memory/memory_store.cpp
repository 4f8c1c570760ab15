#include "plugins/builtin/memory/memory_store.hpp"

#include <cctype>

#include <sqlite3.h>

#include "messages/errors.hpp"
#include "messages/runtime_event.hpp"

namespace troupe::builtin {

namespace {

/// Finalizes a statement when the scope ends, whatever path the code takes.
struct statement {
  sqlite3_stmt* stmt = nullptr;
  ~statement() { sqlite3_finalize(stmt); }
};

/// The schema: entries, an external-content FTS5 index over their content, and the triggers that
/// keep the index in step with the table.
constexpr const char* schema_sql = R"(
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS memory_entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  agent TEXT NOT NULL,
  session TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT '',
  content TEXT NOT NULL,
  time_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS memory_by_agent ON memory_entries (agent, session, id);
CREATE VIRTUAL TABLE IF NOT EXISTS memory_fts
  USING fts5(content, content='memory_entries', content_rowid='id');
CREATE TRIGGER IF NOT EXISTS memory_fts_insert AFTER INSERT ON memory_entries BEGIN
  INSERT INTO memory_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER IF NOT EXISTS memory_fts_delete AFTER DELETE ON memory_entries BEGIN
  INSERT INTO memory_fts (memory_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
)";

/// The WHERE clause every query shares: ?1 agent, ?2 session or NULL, ?3 kind or NULL.
constexpr const char* filter_sql =
  " e.agent = ?1 AND (?2 IS NULL OR e.session = ?2) AND (?3 IS NULL OR e.kind = ?3) ";

constexpr const char* entry_columns = "e.id, e.agent, e.session, e.kind, e.role, e.content, e.time_ms";

std::string column_text(sqlite3_stmt* s, int col) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
  return text == nullptr ? std::string{}
                         : std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(s, col)));
}

std::vector<std::optional<std::string>> filter_params(const memory_filter& f) {
  return {f.agent, f.session, f.kind};
}

} // namespace

std::string fts_query_for(const std::string& text, std::size_t max_words) {
  std::string out;
  std::size_t words = 0;
  std::size_t i = 0;
  while (i < text.size() && words < max_words) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    if (i == text.size())
      break;
    std::string word = "\"";
    for (; i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])); ++i)
      word += text[i] == '"' ? std::string("\"\"") : std::string(1, text[i]);
    out += (words++ == 0 ? "" : " OR ") + word + "\"";
  }
  return out;
}

memory_store::memory_store(sqlite3* db, std::string owner, std::function<std::int64_t()> clock)
  : db_(db), owner_(std::move(owner)), clock_(std::move(clock)) {
  if (!clock_)
    clock_ = [] { return now_ms(); };
}

memory_store::~memory_store() {
  sqlite3_close_v2(db_);
}

caf::expected<std::unique_ptr<memory_store>>
memory_store::open(const std::string& path, const std::string& owner,
                   std::function<std::int64_t()> clock) {
  sqlite3* db = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<memory_store> store{new memory_store(db, owner, std::move(clock))};
  if (rc != SQLITE_OK)
    return make_error(errc::load_failed, owner,
                      "cannot open SQLite database '" + path + "': " + sqlite3_errmsg(db));
  if (auto err = store->schema())
    return make_error(errc::load_failed, owner,
                      "cannot set up SQLite database '" + path + "': " + detail_of(err));
  return store;
}

caf::error memory_store::schema() {
  sqlite3_busy_timeout(db_, 5000);
  if (sqlite3_exec(db_, schema_sql, nullptr, nullptr, nullptr) != SQLITE_OK)
    return sql_error();
  return {};
}

caf::error memory_store::sql_error() const {
  return make_error(errc::plugin_failed, owner_, std::string("SQLite: ") + sqlite3_errmsg(db_));
}

caf::expected<memory_entry> memory_store::append(const memory_entry& e) {
  statement s;
  const char* sql = "INSERT INTO memory_entries (agent, session, kind, role, content, time_ms) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
  if (sqlite3_prepare_v2(db_, sql, -1, &s.stmt, nullptr) != SQLITE_OK)
    return sql_error();
  memory_entry out = e;
  out.time_ms = clock_();
  out.score = 0;
  int i = 1;
  for (const auto* text : {&e.agent, &e.session, &e.kind, &e.role, &e.content})
    sqlite3_bind_text(s.stmt, i++, text->data(), static_cast<int>(text->size()), SQLITE_STATIC);
  sqlite3_bind_int64(s.stmt, 6, out.time_ms);
  if (sqlite3_step(s.stmt) != SQLITE_DONE)
    return sql_error();
  out.id = sqlite3_last_insert_rowid(db_);
  return out;
}

caf::expected<std::vector<memory_entry>>
memory_store::rows(const char* sql, const std::vector<std::optional<std::string>>& texts,
                   std::int64_t limit, bool scored) {
  statement s;
  if (sqlite3_prepare_v2(db_, sql, -1, &s.stmt, nullptr) != SQLITE_OK)
    return sql_error();
  int i = 1;
  for (const auto& text : texts) {
    if (text)
      sqlite3_bind_text(s.stmt, i, text->data(), static_cast<int>(text->size()), SQLITE_STATIC);
    else
      sqlite3_bind_null(s.stmt, i);
    ++i;
  }
  sqlite3_bind_int64(s.stmt, i, limit);
  std::vector<memory_entry> out;
  int rc;
  while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) {
    memory_entry e;
    e.id = sqlite3_column_int64(s.stmt, 0);
    e.agent = column_text(s.stmt, 1);
    e.session = column_text(s.stmt, 2);
    e.kind = column_text(s.stmt, 3);
    e.role = column_text(s.stmt, 4);
    e.content = column_text(s.stmt, 5);
    e.time_ms = sqlite3_column_int64(s.stmt, 6);
    e.score = scored ? sqlite3_column_double(s.stmt, 7) : 0.0;
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE)
    return sql_error();
  return out;
}

caf::expected<std::vector<memory_entry>>
memory_store::recall(const memory_filter& f, const std::string& query, std::int64_t limit) {
  auto match = fts_query_for(query);
  if (match.empty())
    return std::vector<memory_entry>{};
  static const std::string sql = std::string("SELECT ") + entry_columns
                                 + ", bm25(memory_fts) FROM memory_fts JOIN memory_entries e"
                                   " ON e.id = memory_fts.rowid WHERE memory_fts MATCH ?4 AND"
                                 + filter_sql + "ORDER BY bm25(memory_fts), e.id DESC"
                                                          " LIMIT ?5";
  auto params = filter_params(f);
  params.emplace_back(match);
  return rows(sql.c_str(), params, limit, true);
}

caf::expected<std::vector<memory_entry>> memory_store::recent(const memory_filter& f,
                                                              std::int64_t limit) {
  static const std::string sql = std::string("SELECT * FROM (SELECT ") + entry_columns
                                 + " FROM memory_entries e WHERE" + filter_sql
                                 + "ORDER BY e.id DESC LIMIT ?4) ORDER BY id ASC";
  return rows(sql.c_str(), filter_params(f), limit, false);
}

caf::expected<std::int64_t> memory_store::erase(const char* sql,
                                                const std::vector<std::string>& texts,
                                                std::optional<std::int64_t> id) {
  statement s;
  if (sqlite3_prepare_v2(db_, sql, -1, &s.stmt, nullptr) != SQLITE_OK)
    return sql_error();
  int i = 1;
  for (const auto& text : texts)
    sqlite3_bind_text(s.stmt, i++, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  if (id)
    sqlite3_bind_int64(s.stmt, i, *id);
  if (sqlite3_step(s.stmt) != SQLITE_DONE)
    return sql_error();
  return static_cast<std::int64_t>(sqlite3_changes(db_));
}

caf::expected<std::int64_t> memory_store::forget_entry(const std::string& agent, std::int64_t id) {
  return erase("DELETE FROM memory_entries WHERE agent = ?1 AND id = ?2", {agent}, id);
}

caf::expected<std::int64_t> memory_store::forget_session(const std::string& agent,
                                                         const std::string& session) {
  return erase("DELETE FROM memory_entries WHERE agent = ?1 AND session = ?2", {agent, session},
               std::nullopt);
}

caf::expected<std::int64_t> memory_store::forget_agent(const std::string& agent) {
  return erase("DELETE FROM memory_entries WHERE agent = ?1", {agent}, std::nullopt);
}

caf::expected<memory_counts> memory_store::counts(const std::string& agent) {
  statement s;
  const char* sql = "SELECT count(*), coalesce(sum(kind = 'message'), 0), "
                    "coalesce(sum(kind = 'fact'), 0), count(DISTINCT agent), "
                    "(SELECT count(*) FROM (SELECT DISTINCT agent, session FROM memory_entries "
                    " WHERE session <> '' AND (?1 = '' OR agent = ?1))) "
                    "FROM memory_entries WHERE ?1 = '' OR agent = ?1";
  if (sqlite3_prepare_v2(db_, sql, -1, &s.stmt, nullptr) != SQLITE_OK)
    return sql_error();
  sqlite3_bind_text(s.stmt, 1, agent.data(), static_cast<int>(agent.size()), SQLITE_STATIC);
  if (sqlite3_step(s.stmt) != SQLITE_ROW)
    return sql_error();
  memory_counts c;
  c.entries = sqlite3_column_int64(s.stmt, 0);
  c.messages = sqlite3_column_int64(s.stmt, 1);
  c.facts = sqlite3_column_int64(s.stmt, 2);
  c.agents = sqlite3_column_int64(s.stmt, 3);
  c.sessions = sqlite3_column_int64(s.stmt, 4);
  return c;
}

} // namespace troupe::builtin
