#include "plugins/builtin/llm/llm_request.hpp"

#include <nlohmann/json.hpp>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe::builtin {

caf::expected<agent_request> take_agent(const payload& in, const std::string& plugin) {
  auto doc = payload_to_json(in, plugin);
  if (!doc)
    return std::move(doc.error());
  if (!doc->is_object())
    return make_error(errc::bad_input, plugin,
                      "expected a chat-completions request: a map with \"messages\"");
  agent_request out;
  auto a = doc->find("agent");
  if (a != doc->end()) {
    if (!a->is_string())
      return make_error(errc::bad_input, plugin, "\"agent\" must be a string");
    out.agent = a->get<std::string>();
    doc->erase(a);
    out.request = payload_from_json(*doc);
  } else {
    out.request = in;
  }
  return out;
}

caf::expected<std::string> request_body(const payload& request, const std::string& default_model,
                                        const std::string& plugin) {
  auto doc = payload_to_json(request, plugin);
  if (!doc)
    return std::move(doc.error());
  if (!doc->is_object())
    return make_error(errc::bad_input, plugin,
                      "expected a chat-completions request: a map with \"messages\"");
  doc->erase("agent");
  auto m = doc->find("messages");
  if (m == doc->end() || !m->is_array() || m->empty())
    return make_error(errc::bad_input, plugin, "\"messages\" must be a non-empty array");
  auto s = doc->find("stream");
  if (s != doc->end() && s->is_boolean() && s->get<bool>())
    return make_error(errc::bad_input, plugin, "\"stream\": true is not supported");
  auto model = doc->find("model");
  if (model == doc->end() || model->is_null()) {
    if (default_model.empty())
      return make_error(errc::bad_input, plugin,
                        "the request names no \"model\" and the setting 'model' is not set");
    (*doc)["model"] = default_model;
  } else if (!model->is_string()) {
    return make_error(errc::bad_input, plugin, "\"model\" must be a string");
  }
  return render_json(*doc);
}

token_usage usage_of(const payload& response) {
  token_usage u;
  auto handle = unpack(response);
  if (!handle || handle->get().type != msgpack::type::MAP)
    return u;
  const auto* usage = map_field(handle->get(), "usage");
  if (usage == nullptr || usage->type != msgpack::type::MAP)
    return u;
  auto count = [&](const char* name) -> std::int64_t {
    const auto* f = map_field(*usage, name);
    if (f == nullptr)
      return 0;
    if (f->type == msgpack::type::POSITIVE_INTEGER)
      return static_cast<std::int64_t>(f->via.u64);
    return 0;
  };
  u.prompt = count("prompt_tokens");
  u.completion = count("completion_tokens");
  u.total = count("total_tokens");
  return u;
}

} // namespace troupe::builtin
