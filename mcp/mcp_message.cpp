#include "mcp/mcp_message.hpp"

#include "messages/json_codec.hpp"

namespace troupe::mcp {

namespace {

/// True if `text` nests arrays and objects deeper than `limit` (outside strings).
bool nested_deeper_than(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit)
        return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

bool valid_id(const nlohmann::json& id) {
  return id.is_string() || id.is_number_integer() || id.is_number_unsigned();
}

/// One message from one JSON value.
void read_one(const nlohmann::json& j, read_result& out) {
  auto refuse = [&out](rpc_code code, std::string what, nlohmann::json id = nullptr) {
    out.refusals.push_back(mcp_refusal{code, std::move(what), std::move(id)});
  };
  if (!j.is_object())
    return refuse(rpc_code::invalid_request, "a message must be a JSON object");
  auto id_it = j.find("id");
  nlohmann::json id = id_it != j.end() && valid_id(*id_it) ? *id_it : nlohmann::json();
  auto version = j.find("jsonrpc");
  if (version == j.end() || *version != "2.0")
    return refuse(rpc_code::invalid_request, "\"jsonrpc\" must be \"2.0\"", id);
  if (id_it != j.end() && !valid_id(*id_it))
    return refuse(rpc_code::invalid_request, "\"id\" must be a string or an integer");
  mcp_message m;
  m.id = id;
  auto method = j.find("method");
  if (method == j.end()) {
    if (id_it == j.end() || (!j.contains("result") && !j.contains("error")))
      return refuse(rpc_code::invalid_request, "a message needs \"method\" (or is a response)",
                    id);
    m.type = mcp_message::kind::response;
    out.messages.push_back(std::move(m));
    return;
  }
  if (!method->is_string())
    return refuse(rpc_code::invalid_request, "\"method\" must be a string", id);
  m.method = method->get<std::string>();
  m.type = id_it == j.end() ? mcp_message::kind::notification : mcp_message::kind::request;
  if (auto params = j.find("params"); params != j.end()) {
    if (!params->is_object() && !params->is_null())
      return refuse(rpc_code::invalid_params, "\"params\" must be an object", id);
    m.params = *params;
  }
  out.messages.push_back(std::move(m));
}

} // namespace

read_result read_messages(std::string_view text) {
  read_result out;
  if (nested_deeper_than(text, max_message_depth)) {
    out.refusals.push_back({rpc_code::parse_error,
                            "JSON nested deeper than " + std::to_string(max_message_depth),
                            nullptr});
    return out;
  }
  auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) {
    out.refusals.push_back({rpc_code::parse_error, "not JSON", nullptr});
    return out;
  }
  if (j.is_array()) {
    out.batch = !j.empty(); // an empty batch is answered with one error, not an array
    if (j.empty())
      out.refusals.push_back({rpc_code::invalid_request, "an empty batch", nullptr});
    for (const auto& item : j)
      read_one(item, out);
    return out;
  }
  read_one(j, out);
  return out;
}

std::string result_text(const nlohmann::json& id, const nlohmann::json& result) {
  return render_json({{"jsonrpc", "2.0"}, {"id", id}, {"result", result}});
}

std::string error_text(const nlohmann::json& id, rpc_code code, const std::string& message) {
  return render_json({{"jsonrpc", "2.0"},
                      {"id", id},
                      {"error", {{"code", static_cast<int>(code)}, {"message", message}}}});
}

} // namespace troupe::mcp
