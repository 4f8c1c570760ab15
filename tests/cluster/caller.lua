-- A plugin for the cluster tests: calls the plugin named in its input ({"target", "value"})
-- with call_plugin, wherever that plugin runs, and answers its result or its error.
plugin_name = "caller"
plugin_version = "1.0.0"

function execute(input)
  local out, message, code = call_plugin(input.target, input.value)
  if out == nil then
    return { error = message, code = code }
  end
  return { result = out }
end
