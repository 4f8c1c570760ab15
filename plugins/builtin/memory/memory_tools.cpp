#include "plugins/builtin/memory/memory_tools.hpp"

namespace troupe::builtin {

namespace {

constexpr const char* append_schema = R"json({
  "type": "object",
  "properties": {
    "agent": {"type": "string", "minLength": 1, "description": "Whose memory"},
    "session": {"type": "string", "description": "The conversation; omit for none"},
    "kind": {"enum": ["message", "fact"], "description": "Default: message"},
    "role": {"type": "string", "description": "user, assistant, ... (required for a message)"},
    "content": {"type": "string", "minLength": 1}
  },
  "required": ["agent", "content"],
  "additionalProperties": false
})json";

constexpr const char* recall_schema = R"json({
  "type": "object",
  "properties": {
    "agent": {"type": "string", "minLength": 1},
    "query": {"type": "string", "minLength": 1, "description": "Plain words; any may match"},
    "session": {"type": "string"},
    "kind": {"enum": ["message", "fact"]},
    "limit": {"type": "integer", "minimum": 1}
  },
  "required": ["agent", "query"],
  "additionalProperties": false
})json";

constexpr const char* recent_schema = R"json({
  "type": "object",
  "properties": {
    "agent": {"type": "string", "minLength": 1},
    "session": {"type": "string"},
    "kind": {"enum": ["message", "fact"]},
    "limit": {"type": "integer", "minimum": 1}
  },
  "required": ["agent"],
  "additionalProperties": false
})json";

constexpr const char* forget_schema = R"json({
  "type": "object",
  "properties": {
    "agent": {"type": "string", "minLength": 1},
    "id": {"type": "integer", "minimum": 1, "description": "One entry"},
    "session": {"type": "string", "description": "Every entry of a session"},
    "all": {"const": true, "description": "Every entry of the agent"}
  },
  "required": ["agent"],
  "additionalProperties": false
})json";

} // namespace

std::vector<tool_spec> memory_tool_specs() {
  return {
    {"memory_append", "Remember a message (role and content) or a fact for an agent",
     append_schema},
    {"memory_recall", "Find an agent's remembered entries that contain any of the words, best first",
     recall_schema},
    {"memory_recent", "An agent's most recent entries, oldest first", recent_schema},
    {"memory_forget", "Forget one entry (id), a session, or everything (all) of an agent",
     forget_schema},
  };
}

std::optional<std::string> memory_tool_op(const std::string& name) {
  for (const char* op : {"append", "recall", "recent", "forget"})
    if (name == std::string("memory_") + op)
      return std::string(op);
  return std::nullopt;
}

} // namespace troupe::builtin
