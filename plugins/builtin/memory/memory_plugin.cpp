#include "plugins/builtin/memory/memory_plugin.hpp"

#include <algorithm>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/builtin/memory/memory_store.hpp"
#include "plugins/builtin/memory/memory_tools.hpp"
#include "plugins/builtin/request_reader.hpp"

namespace troupe::builtin {

namespace {

using packer = msgpack::packer<msgpack::sbuffer>;

payload to_payload(const msgpack::sbuffer& buffer) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(buffer.data());
  return payload{std::vector<std::uint8_t>(data, data + buffer.size())};
}

void pack_entry(packer& pk, const memory_entry& e, bool scored) {
  pk.pack_map(scored ? 8 : 7);
  pk.pack("id"), pk.pack(e.id);
  pk.pack("agent"), pk.pack(e.agent);
  pk.pack("session"), pk.pack(e.session);
  pk.pack("kind"), pk.pack(e.kind);
  pk.pack("role"), pk.pack(e.role);
  pk.pack("content"), pk.pack(e.content);
  pk.pack("time_ms"), pk.pack(e.time_ms);
  if (scored)
    pk.pack("score"), pk.pack(e.score);
}

payload entries_payload(const std::vector<memory_entry>& entries, bool scored) {
  msgpack::sbuffer buffer;
  packer pk{buffer};
  pk.pack_map(1);
  pk.pack("entries");
  pk.pack_array(static_cast<std::uint32_t>(entries.size()));
  for (const auto& e : entries)
    pack_entry(pk, e, scored);
  return to_payload(buffer);
}

/// A positive integer setting, or `fallback` when unset; config_error when it is no such number.
caf::expected<std::int64_t> positive_setting(plugin_context& ctx, const char* key,
                                             std::int64_t fallback) {
  if (!ctx.setting(key))
    return fallback;
  auto value = ctx.int_setting(key);
  if (!value || *value <= 0)
    return make_error(errc::config_error, ctx.plugin_id(),
                      std::string("setting '") + key + "' must be a positive integer, not '"
                        + *ctx.setting(key) + "'");
  return *value;
}

} // namespace

memory_plugin::memory_plugin() = default;
memory_plugin::~memory_plugin() = default;

plugin_metadata memory_plugin::metadata() const {
  plugin_metadata m;
  m.id = "memory";
  m.name = "Agent memory";
  m.version = "1.0.0";
  m.description = "An agent's messages and facts on SQLite, recalled by words (FTS5) or recency";
  m.type = {plugin_kind::memory, {}};
  m.capabilities = {"append", "recall", "recent", "forget", "stats"};
  return m;
}

caf::error memory_plugin::load(plugin_context& ctx) {
  id_ = ctx.plugin_id();
  auto content = positive_setting(ctx, "max_content_bytes", 65536);
  auto results = positive_setting(ctx, "max_results", 100);
  auto fallback = positive_setting(ctx, "default_limit", 10);
  for (auto* v : {&content, &results, &fallback})
    if (!*v)
      return std::move(v->error());
  limits_.max_content_bytes = static_cast<std::size_t>(*content);
  limits_.max_results = *results;
  limits_.default_limit = std::min(*fallback, *results);
  auto store = memory_store::open(ctx.setting_or("path", "troupe-memory.db"), id_);
  if (!store)
    return std::move(store.error());
  auto counts = (*store)->counts();
  if (!counts)
    return std::move(counts.error());
  entries_ = counts->entries;
  store_ = std::move(*store);
  return {};
}

caf::error memory_plugin::unload(plugin_context&) {
  store_.reset();
  return {};
}

caf::expected<payload> memory_plugin::execute(plugin_context& ctx, const payload& input) {
  auto request = unpack(input, ctx.plugin_id());
  if (!request)
    return std::move(request.error());
  request_reader req{request->get(), ctx.plugin_id()};
  if (!req.is_map())
    return req.bad(R"(expected a map with a string "op": append, recall, recent, forget or stats)");
  auto op = req.text("op", 32);
  if (!op)
    return std::move(op.error());
  return run(*op, req);
}

std::vector<tool_spec> memory_plugin::tools() const {
  return memory_tool_specs();
}

caf::expected<payload> memory_plugin::call_tool(plugin_context& ctx, const std::string& name,
                                                const payload& args) {
  auto op = memory_tool_op(name);
  if (!op)
    return make_error(errc::not_found, ctx.plugin_id(), "no tool named '" + name + "'");
  auto request = unpack(args, ctx.plugin_id());
  if (!request)
    return std::move(request.error());
  request_reader req{request->get(), ctx.plugin_id()};
  if (!req.is_map())
    return req.bad("tool '" + name + "' expects an object of arguments");
  return run(*op, req);
}

caf::expected<payload> memory_plugin::run(const std::string& op, const request_reader& req) {
  if (!store_)
    return make_error(errc::invalid_state, id_, "the database is not open");
  if (op == "append")
    return append(req);
  if (op == "recall" || op == "recent")
    return recall(req, op == "recall");
  if (op == "forget")
    return forget(req);
  if (op == "stats")
    return stats(req);
  return req.bad("unknown op '" + op + "': expected append, recall, recent, forget or stats");
}

caf::expected<payload> memory_plugin::append(const request_reader& req) {
  memory_entry e;
  auto agent = req.text("agent", memory_limits::max_name_bytes);
  auto session = req.optional_text("session", memory_limits::max_name_bytes);
  auto kind = req.optional_text("kind", 16);
  auto content = req.text("content", limits_.max_content_bytes);
  if (!agent || !session || !kind || !content)
    return !agent ? agent.error() : !session ? session.error() : !kind ? kind.error() : content.error();
  e.kind = kind->value_or("message");
  if (e.kind != "message" && e.kind != "fact")
    return req.bad("\"kind\" must be \"message\" or \"fact\", not '" + e.kind + "'");
  if (e.kind == "message") {
    auto role = req.text("role", memory_limits::max_role_bytes);
    if (!role)
      return req.bad("a message needs its \"role\" (" + detail_of(role.error()) + ")");
    e.role = std::move(*role);
  } else if (auto role = req.optional_text("role", memory_limits::max_role_bytes); !role) {
    return std::move(role.error());
  } else {
    e.role = role->value_or("");
  }
  e.agent = std::move(*agent);
  e.session = session->value_or("");
  e.content = std::move(*content);
  auto stored = store_->append(e);
  if (!stored)
    return std::move(stored.error());
  ++appends_;
  ++entries_;
  return pack(std::map<std::string, std::int64_t>{{"id", stored->id}, {"time_ms", stored->time_ms}});
}

caf::expected<std::int64_t> memory_plugin::limit_of(const request_reader& req) const {
  auto limit = req.optional_int("limit", 1, limits_.max_results);
  if (!limit)
    return std::move(limit.error());
  return limit->value_or(limits_.default_limit);
}

caf::expected<payload> memory_plugin::recall(const request_reader& req, bool by_words) {
  memory_filter f;
  auto agent = req.text("agent", memory_limits::max_name_bytes);
  auto session = req.optional_text("session", memory_limits::max_name_bytes);
  auto kind = req.optional_text("kind", 16);
  auto limit = limit_of(req);
  if (!agent || !session || !kind || !limit)
    return !agent ? agent.error() : !session ? session.error() : !kind ? kind.error() : limit.error();
  if (*kind && **kind != "message" && **kind != "fact")
    return req.bad("\"kind\" must be \"message\" or \"fact\", not '" + **kind + "'");
  f.agent = std::move(*agent);
  f.session = std::move(*session);
  f.kind = std::move(*kind);
  if (!by_words) {
    auto found = store_->recent(f, *limit);
    return found ? entries_payload(*found, false) : caf::expected<payload>{found.error()};
  }
  auto query = req.text("query", memory_limits::max_query_bytes);
  if (!query)
    return std::move(query.error());
  ++recalls_;
  auto found = store_->recall(f, *query, *limit);
  return found ? entries_payload(*found, true) : caf::expected<payload>{found.error()};
}

caf::expected<payload> memory_plugin::forget(const request_reader& req) {
  auto agent = req.text("agent", memory_limits::max_name_bytes);
  auto id = req.optional_int("id", 1, INT64_MAX);
  auto session = req.optional_text("session", memory_limits::max_name_bytes);
  auto all = req.optional_bool("all");
  if (!agent || !id || !session || !all)
    return !agent ? agent.error() : !id ? id.error() : !session ? session.error() : all.error();
  int chosen = (*id ? 1 : 0) + (*session ? 1 : 0) + (all->value_or(false) ? 1 : 0);
  if (chosen != 1)
    return req.bad(R"(forget needs exactly one of "id", "session" or "all": true)");
  auto gone = *id ? store_->forget_entry(*agent, **id)
                  : *session ? store_->forget_session(*agent, **session)
                             : store_->forget_agent(*agent);
  if (!gone)
    return std::move(gone.error());
  entries_ -= *gone;
  forgotten_ += *gone;
  return pack(std::map<std::string, std::int64_t>{{"forgotten", *gone}});
}

caf::expected<payload> memory_plugin::stats(const request_reader& req) {
  auto agent = req.optional_text("agent", memory_limits::max_name_bytes);
  if (!agent)
    return std::move(agent.error());
  auto c = store_->counts(agent->value_or(""));
  if (!c)
    return std::move(c.error());
  return pack(std::map<std::string, std::int64_t>{{"entries", c->entries},
                                                  {"messages", c->messages},
                                                  {"facts", c->facts},
                                                  {"agents", c->agents},
                                                  {"sessions", c->sessions}});
}

caf::expected<std::string> memory_plugin::health_check(plugin_context& ctx) {
  if (!store_)
    return make_error(errc::unavailable, ctx.plugin_id(), "the database is not open");
  auto c = store_->counts();
  if (!c)
    return std::move(c.error());
  return std::to_string(c->entries) + " entries of " + std::to_string(c->agents) + " agents";
}

std::map<std::string, std::int64_t> memory_plugin::counters() const {
  return {{"entries", entries_}, {"appends", appends_}, {"recalls", recalls_},
          {"forgotten", forgotten_}};
}

} // namespace troupe::builtin
