#include "plugins/examples/kv_store_plugin.hpp"

#include <sqlite3.h>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe::examples {

/// The prepared statements, compiled once at load.
struct kv_store_plugin::statements {
  sqlite3_stmt* put = nullptr;
  sqlite3_stmt* get = nullptr;
  sqlite3_stmt* del = nullptr;
  sqlite3_stmt* keys = nullptr;
  sqlite3_stmt* count = nullptr;

  ~statements() {
    for (auto* s : {put, get, del, keys, count})
      sqlite3_finalize(s);
  }
};

namespace {

/// Resets a statement when the scope ends, whatever path the code takes.
struct statement_reset {
  sqlite3_stmt* stmt;
  ~statement_reset() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

std::string as_string(const msgpack::object* o) {
  return std::string(o->via.str.ptr, o->via.str.size);
}

} // namespace

kv_store_plugin::kv_store_plugin() = default;

kv_store_plugin::~kv_store_plugin() {
  close();
}

plugin_metadata kv_store_plugin::metadata() const {
  plugin_metadata m;
  m.id = "kv_store";
  m.name = "Key-value store";
  m.version = "1.0.0";
  m.description = "Persistent key/value storage on SQLite";
  m.type = {plugin_kind::storage, {}};
  m.capabilities = {"put", "get", "delete", "keys", "count"};
  return m;
}

caf::error kv_store_plugin::open(const std::string& path, const std::string& id) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr)
      != SQLITE_OK) {
    auto err = make_error(errc::load_failed, id,
                          "cannot open SQLite database '" + path + "': " + sqlite3_errmsg(db_));
    close();
    return err;
  }
  const char* schema = "PRAGMA journal_mode=WAL;"
                       "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL);";
  stmts_ = std::make_unique<statements>();
  auto prepare = [this](const char* sql, sqlite3_stmt** out) {
    return sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, out, nullptr) == SQLITE_OK;
  };
  if (sqlite3_exec(db_, schema, nullptr, nullptr, nullptr) != SQLITE_OK
      || !prepare("INSERT OR REPLACE INTO kv (key, value) VALUES (?1, ?2)", &stmts_->put)
      || !prepare("SELECT value FROM kv WHERE key = ?1", &stmts_->get)
      || !prepare("DELETE FROM kv WHERE key = ?1", &stmts_->del)
      || !prepare("SELECT key FROM kv ORDER BY key", &stmts_->keys)
      || !prepare("SELECT count(*) FROM kv", &stmts_->count)) {
    auto err = make_error(errc::load_failed, id,
                          "cannot prepare SQLite database '" + path + "': " + sqlite3_errmsg(db_));
    close();
    return err;
  }
  return {};
}

void kv_store_plugin::close() {
  stmts_.reset();
  if (db_ != nullptr) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

caf::error kv_store_plugin::load(plugin_context& ctx) {
  return open(ctx.setting_or("path", "troupe-kv.db"), ctx.plugin_id());
}

caf::error kv_store_plugin::unload(plugin_context&) {
  close();
  return {};
}

caf::expected<payload> kv_store_plugin::execute(plugin_context& ctx, const payload& input) {
  const auto& id = ctx.plugin_id();
  auto request = unpack(input, id);
  if (!request)
    return std::move(request.error());
  const auto& root = request->get();
  const auto* op = map_field(root, "op");
  if (op == nullptr || op->type != msgpack::type::STR)
    return make_error(errc::bad_input, id,
                      R"(expected a map with a string "op": put, get, delete, keys or count)");
  const auto name = as_string(op);
  const auto* key = map_field(root, "key");
  bool needs_key = name == "put" || name == "get" || name == "delete";
  if (needs_key && (key == nullptr || key->type != msgpack::type::STR))
    return make_error(errc::bad_input, id, "op '" + name + "' needs a string \"key\"");
  auto db_error = [&] {
    return make_error(errc::plugin_failed, id, std::string("SQLite: ") + sqlite3_errmsg(db_));
  };
  if (name == "put") {
    const auto* value = map_field(root, "value");
    if (value == nullptr)
      return make_error(errc::bad_input, id, "op 'put' needs a \"value\"");
    auto bytes = pack_object(*value);
    statement_reset guard{stmts_->put};
    sqlite3_bind_text(stmts_->put, 1, key->via.str.ptr, static_cast<int>(key->via.str.size),
                      SQLITE_TRANSIENT);
    sqlite3_bind_blob(stmts_->put, 2, bytes.bytes.data(), static_cast<int>(bytes.bytes.size()),
                      SQLITE_TRANSIENT);
    if (sqlite3_step(stmts_->put) != SQLITE_DONE)
      return db_error();
    ++puts_;
    return pack(std::map<std::string, bool>{{"ok", true}});
  }
  if (name == "get") {
    statement_reset guard{stmts_->get};
    sqlite3_bind_text(stmts_->get, 1, key->via.str.ptr, static_cast<int>(key->via.str.size),
                      SQLITE_TRANSIENT);
    ++gets_;
    auto rc = sqlite3_step(stmts_->get);
    if (rc == SQLITE_DONE)
      return nil_payload();
    if (rc != SQLITE_ROW)
      return db_error();
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmts_->get, 0));
    auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmts_->get, 0));
    return payload{std::vector<std::uint8_t>(data, data + size)};
  }
  if (name == "delete") {
    statement_reset guard{stmts_->del};
    sqlite3_bind_text(stmts_->del, 1, key->via.str.ptr, static_cast<int>(key->via.str.size),
                      SQLITE_TRANSIENT);
    if (sqlite3_step(stmts_->del) != SQLITE_DONE)
      return db_error();
    ++deletes_;
    return pack(std::map<std::string, bool>{{"deleted", sqlite3_changes(db_) > 0}});
  }
  if (name == "keys") {
    statement_reset guard{stmts_->keys};
    std::vector<std::string> keys;
    int rc;
    while ((rc = sqlite3_step(stmts_->keys)) == SQLITE_ROW)
      keys.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmts_->keys, 0)),
                        static_cast<std::size_t>(sqlite3_column_bytes(stmts_->keys, 0)));
    if (rc != SQLITE_DONE)
      return db_error();
    return pack(keys);
  }
  if (name == "count") {
    statement_reset guard{stmts_->count};
    if (sqlite3_step(stmts_->count) != SQLITE_ROW)
      return db_error();
    return pack(static_cast<std::int64_t>(sqlite3_column_int64(stmts_->count, 0)));
  }
  return make_error(errc::bad_input, id,
                    "unknown op '" + name + "': expected put, get, delete, keys or count");
}

caf::expected<std::string> kv_store_plugin::health_check(plugin_context& ctx) {
  if (db_ == nullptr)
    return make_error(errc::unavailable, ctx.plugin_id(), "database is not open");
  statement_reset guard{stmts_->count};
  if (sqlite3_step(stmts_->count) != SQLITE_ROW)
    return make_error(errc::plugin_failed, ctx.plugin_id(),
                      std::string("SQLite: ") + sqlite3_errmsg(db_));
  return std::to_string(sqlite3_column_int64(stmts_->count, 0)) + " keys";
}

std::map<std::string, std::int64_t> kv_store_plugin::counters() const {
  return {{"puts", puts_}, {"gets", gets_}, {"deletes", deletes_}};
}

} // namespace troupe::examples
