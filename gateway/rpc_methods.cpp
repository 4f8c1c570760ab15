// The methods a gateway connection serves (see rpc_gateway.hpp): each checks its parameters and
// sends a request from the connection's companion to the plugin or the manager; the answer is
// written by whoever answers (rpc_connection.cpp).

#include <algorithm>
#include <map>

#include <caf/all.hpp>

#include "actors/plugin_directory.hpp"
#include "gateway/door_secrets.hpp"
#include "gateway/rpc_connection.hpp"
#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/result_json.hpp"

namespace troupe::gateway {

namespace {

caf::error bad_call(const std::string& signature, const std::string& what) {
  return make_error(errc::bad_input, "", signature + ": " + what);
}

/// Parameter `i` as a string, or why not.
caf::expected<std::string> string_param(const rpc_frame& f, std::size_t i,
                                        const std::string& signature, const char* name) {
  auto s = unpack_as<std::string>(f.params[i]);
  if (!s)
    return bad_call(signature, std::string(name) + " must be a string");
  return s;
}

/// bad_input unless f has from..to parameters.
caf::error arity(const rpc_frame& f, std::size_t from, std::size_t to,
                 const std::string& signature) {
  if (f.params.size() >= from && f.params.size() <= to)
    return {};
  auto want = from == to ? std::to_string(from) : std::to_string(from) + " or " + std::to_string(to);
  return bad_call(signature, "takes " + want + " parameter" + (to == 1 ? "" : "s") + ", not "
                               + std::to_string(f.params.size()));
}

template <class Row>
payload render_rows(const std::vector<Row>& rows) {
  auto out = nlohmann::json::array();
  for (const auto& row : rows)
    out.push_back(to_json(row));
  return payload_from_json(out);
}

template <class Row>
payload render_one(const Row& row) {
  return payload_from_json(to_json(row));
}

payload pass_through(const payload& p) {
  return p;
}

payload yes(const bool&) {
  return pack(true);
}

caf::error error_in(caf::message& m) {
  if (m.match_elements<caf::error>())
    return m.get_as<caf::error>(0);
  return make_error(errc::plugin_failed, "", "an answer of an unexpected type: " + to_string(m));
}

/// One answer of type T, rendered.
template <class T>
answer_renderer one_answer(payload (*render)(const T&)) {
  return [render](caf::message& m) -> std::vector<caf::expected<payload>> {
    if (m.match_elements<T>())
      return {render(m.get_as<T>(0))};
    return {error_in(m)};
  };
}

/// A batch's answers (or its one error for every call of it).
answer_renderer batch_answers(std::size_t n) {
  return [n](caf::message& m) -> std::vector<caf::expected<payload>> {
    std::vector<caf::expected<payload>> out;
    if (m.match_elements<std::vector<call_outcome>>()) {
      for (auto& o : m.get_mutable_as<std::vector<call_outcome>>(0))
        out.push_back(o.error ? caf::expected<payload>{std::move(o.error)}
                              : caf::expected<payload>{std::move(o.output)});
      return out;
    }
    return std::vector<caf::expected<payload>>(n, error_in(m));
  };
}

} // namespace

template <class Handle, class... Ts>
void rpc_connection::ask(const Handle& dest, std::vector<std::uint32_t> msgids,
                         const std::string& plugin, answer_renderer render, Ts&&... xs) {
  std::uint64_t id = 0;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (closed_)
      return;
    id = next_request_++;
    auto deadline = clock::now() + std::chrono::milliseconds(settings_->config.call_timeout_ms);
    pending_.emplace(id, pending_call{std::move(msgids), plugin, deadline, std::move(render)});
  }
  auto* receiver = caf::actor_cast<caf::abstract_actor*>(dest);
  // A request to an actor that has ended is answered request_receiver_down by CAF.
  receiver->enqueue(caf::make_mailbox_element(companion_ptr_, caf::make_message_id(id), {},
                                              std::forward<Ts>(xs)...),
                    nullptr);
}

template <class T, class... Ts>
void rpc_connection::ask_manager(std::uint32_t msgid, const std::string& about,
                                 payload (*render)(const T&), Ts&&... xs) {
  ask(settings_->context.manager, {msgid}, about, one_answer<T>(render), std::forward<Ts>(xs)...);
}

void rpc_connection::on_request(rpc_frame& f, std::vector<pending_execute>& batch) {
  caf::error refused;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!authed_ && f.method != "auth") {
      ++in_flight_;
      reply_locked(f.msgid,
                   make_error(errc::unauthorized, "",
                              "this gateway needs auth(token) as the first request"),
                   "");
      refused = make_error(errc::unauthorized, "", "a request came before auth(token)");
    } else if (in_flight_ >= settings_->config.max_in_flight) {
      refused = make_error(errc::limit_exceeded, "",
                           "more than " + std::to_string(settings_->config.max_in_flight)
                             + " requests in flight on one connection (gateway.max_in_flight)");
    } else {
      ++in_flight_;
    }
  }
  if (refused)
    return close_with(refused);
  dispatch(f, batch);
}

void rpc_connection::dispatch(rpc_frame& f, std::vector<pending_execute>& batch) {
  auto fail = [this, &f](const caf::error& err) {
    std::lock_guard<std::mutex> guard{mtx_};
    reply_locked(f.msgid, err, "");
  };
  const auto& m = f.method;
  if (m == "execute")
    return execute(f, batch);
  if (m == "auth")
    return auth(f);
  if (m == "call_tool") {
    if (auto err = arity(f, 1, 2, "call_tool(name, args)"))
      return fail(err);
    auto name = string_param(f, 0, "call_tool(name, args)", "name");
    if (!name)
      return fail(name.error());
    auto args = f.params.size() == 2 ? f.params[1] : pack(std::map<std::string, int>{});
    return ask_manager<payload>(f.msgid, "", &pass_through, call_tool_atom::value, *name, args);
  }
  if (m == "tools" || m == "list" || m == "health" || m == "subscribe") {
    if (auto err = arity(f, 0, 0, m + "()"))
      return fail(err);
    if (m == "tools")
      return ask_manager<std::vector<tool_info>>(f.msgid, "", &render_rows<tool_info>,
                                                 tools_atom::value);
    if (m == "list")
      return ask_manager<std::vector<plugin_info>>(f.msgid, "", &render_rows<plugin_info>,
                                                   list_atom::value);
    if (m == "health")
      return ask_manager<std::vector<plugin_health>>(f.msgid, "", &render_rows<plugin_health>,
                                                     health_atom::value);
    {
      std::lock_guard<std::mutex> guard{mtx_};
      subscribed_ = true; // events come after the manager has the subscription
    }
    return ask_manager<bool>(f.msgid, "", &yes, subscribe_atom::value, companion_);
  }
  if (m == "stats") {
    if (auto err = arity(f, 0, 1, "stats([id])"))
      return fail(err);
    if (f.params.empty())
      return ask_manager<std::vector<plugin_stats>>(f.msgid, "", &render_rows<plugin_stats>,
                                                    stats_atom::value);
    auto id = string_param(f, 0, "stats([id])", "id");
    if (!id)
      return fail(id.error());
    return ask_manager<plugin_stats>(f.msgid, *id, &render_one<plugin_stats>, stats_atom::value,
                                     *id);
  }
  if (m == "reload") {
    if (auto err = arity(f, 1, 1, "reload(id)"))
      return fail(err);
    auto id = string_param(f, 0, "reload(id)", "id");
    if (!id)
      return fail(id.error());
    return ask_manager<plugin_metadata>(f.msgid, *id, &render_one<plugin_metadata>,
                                        reload_atom::value, *id);
  }
  fail(make_error(errc::not_found, "",
                  "no method '" + m
                    + "' (methods: execute, call_tool, tools, list, stats, health, reload, "
                      "subscribe, auth)"));
}

void rpc_connection::execute(rpc_frame& f, std::vector<pending_execute>& batch) {
  const std::string signature = "execute(id, value)";
  auto fail = [this, &f](const caf::error& err) {
    std::lock_guard<std::mutex> guard{mtx_};
    reply_locked(f.msgid, err, "");
  };
  if (auto err = arity(f, 2, 2, signature))
    return fail(err);
  auto id = string_param(f, 0, signature, "id");
  if (!id)
    return fail(id.error());
  const auto& directory = settings_->context.directory;
  plugin_actor target = directory ? directory->find(*id) : plugin_actor{};
  if (!target) // on another node, or unknown: the manager knows which
    return ask_manager<payload>(f.msgid, *id, &pass_through, execute_atom::value, *id,
                                std::move(f.params[1]));
  auto same = [&](const pending_execute& g) { return g.plugin == target; };
  auto group = std::find_if(batch.begin(), batch.end(), same);
  if (group == batch.end())
    group = batch.insert(batch.end(), pending_execute{target, *id, {}, {}});
  group->msgids.push_back(f.msgid);
  group->inputs.push_back(std::move(f.params[1]));
}

void rpc_connection::send_batch(pending_execute& group) {
  if (group.inputs.size() == 1)
    return ask(group.plugin, std::move(group.msgids), group.id, one_answer<payload>(&pass_through),
               execute_atom::value, std::move(group.inputs[0]));
  auto n = group.msgids.size();
  ask(group.plugin, std::move(group.msgids), group.id, batch_answers(n), execute_atom::value,
      std::move(group.inputs));
}

void rpc_connection::auth(const rpc_frame& f) {
  const std::string signature = "auth(token)";
  auto token = f.params.size() == 1 ? string_param(f, 0, signature, "token")
                                    : caf::expected<std::string>{arity(f, 1, 1, signature)};
  const auto& expected = settings_->config.token;
  bool ok = expected.empty() || (token && same_secret(*token, expected));
  {
    std::lock_guard<std::mutex> guard{mtx_};
    authed_ = authed_ || ok;
    reply_locked(f.msgid,
                 ok ? caf::expected<payload>{pack(true)}
                    : caf::expected<payload>{make_error(errc::unauthorized, "", "wrong token")},
                 "");
  }
  if (!ok)
    close_with(make_error(errc::unauthorized, "", "auth(token) with a wrong token"));
}

} // namespace troupe::gateway
