-- An agent hook (docs/hooks.md): one line per tool call, with its duration and outcome, into the
-- kv store (the kv_store plugin; key "audit/<time ms>-<call id>"). A failing store is logged and
-- never fails the call.
--
-- Settings (all optional):
--   store   the kv_store plugin's id (default "kv")
plugin_name = "audit_log"
plugin_version = "1.0.0"
plugin_description = "Writes one line per tool call into the kv store"
plugin_type = "monitor"
plugin_priority = 90

local store = "kv"
written, store_failures = 0, 0

function init(settings)
  store = settings.store or store
end

function before_tool_call(tool, args, ctx)
  ctx.state.audit_started_ms = now()
end

function after_tool_call(tool, args, result, ctx)
  local started = ctx.state.audit_started_ms or now()
  local outcome = "ok"
  if ctx.error then outcome = ctx.error.code .. ": " .. ctx.error.message end
  local line = string.format("time_ms=%d call=%d agent=%s tool=%s duration_ms=%d outcome=%s",
                             now(), ctx.call_id, ctx.agent ~= "" and ctx.agent or "-", tool,
                             now() - started, outcome)
  local key = string.format("audit/%d-%d", now(), ctx.call_id)
  local ok, why = call_plugin(store, { op = "put", key = key, value = line })
  if ok then
    written = written + 1
  else
    store_failures = store_failures + 1
    warn("audit line not stored in '" .. store .. "': " .. tostring(why))
  end
end

function execute(input)
  return { written = written, store_failures = store_failures }
end
