// The methods a gateway connection serves (see rpc_gateway.hpp): each checks its parameters,
// asks the plugin or the manager, and answers its msgid when the answer comes.

#include <algorithm>
#include <functional>
#include <map>

#include <caf/all.hpp>

#include "actors/plugin_directory.hpp"
#include "gateway/rpc_session.hpp"
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

} // namespace

template <class T, class... Ts>
void rpc_session::ask_manager(std::uint32_t msgid, const std::string& about,
                              payload (*render)(const T&), Ts&&... xs) {
  auto me = shared_from_this();
  self_->request(settings_->context.manager, call_timeout(), std::forward<Ts>(xs)...)
    .then([me, msgid, render](T& answer) { me->finish(msgid, render(answer)); },
          [me, msgid, about](caf::error& err) { me->finish_error(msgid, err, about); });
}

void rpc_session::dispatch(rpc_frame& f, std::vector<pending_execute>& batch) {
  const auto& m = f.method;
  if (m == "execute")
    return execute(f, batch);
  if (m == "auth")
    return auth(f);
  if (m == "call_tool") {
    if (auto err = arity(f, 1, 2, "call_tool(name, args)"))
      return reply_error(f.msgid, err);
    auto name = string_param(f, 0, "call_tool(name, args)", "name");
    if (!name)
      return reply_error(f.msgid, name.error());
    auto args = f.params.size() == 2 ? f.params[1] : pack(std::map<std::string, int>{});
    return ask_manager<payload>(f.msgid, "", &pass_through, call_tool_atom::value, *name, args);
  }
  if (m == "tools" || m == "list" || m == "health" || m == "subscribe") {
    if (auto err = arity(f, 0, 0, m + "()"))
      return reply_error(f.msgid, err);
    if (m == "tools")
      return ask_manager<std::vector<tool_info>>(f.msgid, "", &render_rows<tool_info>,
                                                 tools_atom::value);
    if (m == "list")
      return ask_manager<std::vector<plugin_info>>(f.msgid, "", &render_rows<plugin_info>,
                                                   list_atom::value);
    if (m == "health")
      return ask_manager<std::vector<plugin_health>>(f.msgid, "", &render_rows<plugin_health>,
                                                     health_atom::value);
    return subscribe(f.msgid);
  }
  if (m == "stats") {
    if (auto err = arity(f, 0, 1, "stats([id])"))
      return reply_error(f.msgid, err);
    if (f.params.empty())
      return ask_manager<std::vector<plugin_stats>>(f.msgid, "", &render_rows<plugin_stats>,
                                                    stats_atom::value);
    auto id = string_param(f, 0, "stats([id])", "id");
    if (!id)
      return reply_error(f.msgid, id.error());
    return ask_manager<plugin_stats>(f.msgid, *id, &render_one<plugin_stats>, stats_atom::value,
                                     *id);
  }
  if (m == "reload") {
    if (auto err = arity(f, 1, 1, "reload(id)"))
      return reply_error(f.msgid, err);
    auto id = string_param(f, 0, "reload(id)", "id");
    if (!id)
      return reply_error(f.msgid, id.error());
    return ask_manager<plugin_metadata>(f.msgid, *id, &render_one<plugin_metadata>,
                                        reload_atom::value, *id);
  }
  reply_error(f.msgid, make_error(errc::not_found, "",
                                  "no method '" + m
                                    + "' (methods: execute, call_tool, tools, list, stats, "
                                      "health, reload, subscribe, auth)"));
}

void rpc_session::execute(rpc_frame& f, std::vector<pending_execute>& batch) {
  const std::string signature = "execute(id, value)";
  if (auto err = arity(f, 2, 2, signature))
    return reply_error(f.msgid, err);
  auto id = string_param(f, 0, signature, "id");
  if (!id)
    return reply_error(f.msgid, id.error());
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

void rpc_session::send_batch(pending_execute& group) {
  auto me = shared_from_this();
  auto id = group.id;
  if (group.inputs.size() == 1) {
    auto msgid = group.msgids.front();
    self_->request(group.plugin, call_timeout(), execute_atom::value, std::move(group.inputs[0]))
      .then([me, msgid](payload& out) { me->finish(msgid, out); },
            [me, msgid, id](caf::error& err) { me->finish_error(msgid, err, id); });
    return;
  }
  auto msgids = std::move(group.msgids);
  self_->request(group.plugin, call_timeout(), execute_atom::value, std::move(group.inputs))
    .then(
      [me, msgids, id](std::vector<call_outcome>& outcomes) {
        for (std::size_t i = 0; i < msgids.size(); ++i) {
          if (i >= outcomes.size())
            me->reply_error(msgids[i], make_error(errc::plugin_failed, id, "no answer in its batch"));
          else if (outcomes[i].error)
            me->reply_error(msgids[i], outcomes[i].error, id);
          else
            me->reply(msgids[i], outcomes[i].output);
        }
        me->flush();
      },
      [me, msgids, id](caf::error& err) {
        for (auto msgid : msgids)
          me->reply_error(msgid, err, id);
        me->flush();
      });
}

void rpc_session::auth(const rpc_frame& f) {
  const std::string signature = "auth(token)";
  if (auto err = arity(f, 1, 1, signature))
    return reply_error(f.msgid, err);
  auto token = string_param(f, 0, signature, "token");
  const auto& expected = settings_->config.token;
  // Compared in time independent of where the strings differ.
  bool same = token && token->size() == expected.size();
  unsigned char diff = 0;
  for (std::size_t i = 0; same && i < expected.size(); ++i)
    diff |= static_cast<unsigned char>((*token)[i] ^ expected[i]);
  if (!same || diff != 0) {
    reply_error(f.msgid, make_error(errc::unauthorized, "", "wrong token"));
    return close_with(make_error(errc::unauthorized, "", "auth(token) with a wrong token"));
  }
  authed_ = true;
  reply(f.msgid, pack(true));
}

void rpc_session::subscribe(std::uint32_t msgid) {
  auto me = shared_from_this();
  self_->request(settings_->context.manager, call_timeout(), subscribe_atom::value,
                 caf::actor_cast<caf::actor>(self_))
    .then(
      [me, msgid](bool) {
        me->subscribed_ = true;
        me->finish(msgid, pack(true));
      },
      [me, msgid](caf::error& err) { me->finish_error(msgid, err, ""); });
}

} // namespace troupe::gateway
