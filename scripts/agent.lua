-- The demo agent (README, docs/hooks.md): one agent turn per execute.
--   1. recall what the memory plugin knows that matches the question,
--   2. ask the llm plugin (model hooks run around the call), offering every tool of the node,
--   3. if the model names a tool, call it (through the hook pipeline) and ask the model again
--      with the tool's answer (at most `max_tool_rounds` times),
--   4. store the question and the answer in memory.
-- Runs against any OpenAI-compatible server: set the llm plugin's base_url.
--
-- Input:  "question" or {question = "...", session = "s1"}
-- Output: {answer = "...", tool_calls = {{tool, args, result | error}}, recalled = N}
-- Settings (all optional):
--   llm              the llm plugin's id (default "llm")
--   memory           the memory plugin's id (default "memory"; "" for none)
--   agent            the agent's name in memory and in the hooks' ctx (default "demo-agent")
--   system           the system prompt
--   max_tool_rounds  tool calls the model may ask for in one turn (default 3)
plugin_name = "agent"
plugin_version = "1.0.0"
plugin_description = "One agent turn: recall, ask the model, call the tool it names, remember"
plugin_type = "skill"

local llm, memory, agent = "llm", "memory", "demo-agent"
local system = "You are a helpful assistant. Use a tool when it helps; answer briefly."
local max_tool_rounds = 3
turns = 0

function init(settings)
  llm = settings.llm or llm
  memory = settings.memory or memory
  agent = settings.agent or agent
  system = settings.system or system
  max_tool_rounds = tonumber(settings.max_tool_rounds or max_tool_rounds)
    or error("max_tool_rounds must be a number")
end

-- The value of a call_plugin, or an error naming `what` with the call's message and code.
local function must(what, value, why, code)
  if value == nil then error(what .. " failed: " .. tostring(why) .. " (" .. tostring(code) .. ")", 0) end
  return value
end

-- What memory recalls for the question, as one system message (nil when nothing).
local function recall(question, session)
  if memory == "" then return nil, 0 end
  local found = must("recall", call_plugin(memory, { op = "recall", agent = agent,
                                                    query = question, limit = 5 }))
  local entries = found.entries or found
  if type(entries) ~= "table" or #entries == 0 then return nil, 0 end
  local lines = {}
  for _, e in ipairs(entries) do lines[#lines + 1] = "- " .. tostring(e.content) end
  return { role = "system", content = "You remember:\n" .. table.concat(lines, "\n") }, #entries
end

-- Every tool of the node in the chat-completions "tools" shape.
local function offered_tools()
  local listed = call_plugin("troupe.tools", nil)
  local out = {}
  for _, t in ipairs(listed or {}) do
    if t.plugin ~= llm and t.plugin ~= memory then
      out[#out + 1] = { type = "function",
                        ["function"] = { name = t.name, description = t.description,
                                         parameters = t.parameters } }
    end
  end
  return out
end

local function remember(session, role, content)
  if memory == "" or content == nil or content == "" then return end
  local ok, why = call_plugin(memory, { op = "append", agent = agent, session = session,
                                        role = role, content = content })
  if not ok then warn("not remembered: " .. tostring(why)) end
end

-- Runs the tool calls of one model message; appends the tool messages to `messages`.
local function run_tools(calls, messages, record)
  for _, call in ipairs(calls) do
    local fn = call["function"] or {}
    local args = json_parse(fn.arguments or "{}") or {}
    local result, why, code = call_tool(fn.name, args)
    local entry = { tool = fn.name, args = args }
    local content
    if result == nil then
      entry.error = tostring(code) .. ": " .. tostring(why)
      content = "error: " .. entry.error
    else
      entry.result = result
      content = type(result) == "string" and result or json_encode(result)
    end
    record[#record + 1] = entry
    messages[#messages + 1] = { role = "tool", tool_call_id = call.id, content = content }
  end
end

function execute(input)
  local question = type(input) == "table" and input.question or input
  if type(question) ~= "string" or question == "" then
    error("give a question: \"text\" or {question = \"text\", session = \"s1\"}", 0)
  end
  local session = type(input) == "table" and input.session or "default"
  local messages = { { role = "system", content = system } }
  local memories, recalled = recall(question, session)
  if memories then messages[#messages + 1] = memories end
  messages[#messages + 1] = { role = "user", content = question }
  local tools, record = offered_tools(), {}
  local answer
  for round = 0, max_tool_rounds do
    local request = { messages = messages, agent = agent }
    if #tools > 0 and round < max_tool_rounds then request.tools = tools end
    local response = must("the model call", call_plugin(llm, request, 120000))
    local message = response.choices and response.choices[1] and response.choices[1].message
    if message == nil then error("the model answered no message", 0) end
    if message.tool_calls == nil or #message.tool_calls == 0 then
      answer = message.content
      break
    end
    messages[#messages + 1] = message
    run_tools(message.tool_calls, messages, record)
  end
  remember(session, "user", question)
  remember(session, "assistant", answer)
  turns = turns + 1
  return { answer = answer, tool_calls = record, recalled = recalled }
end
