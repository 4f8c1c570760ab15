-- A plugin for the cluster tests: answers {"node": <its node's setting>, "echo": input}, fails
-- on the input "fail", and offers one tool.
plugin_name = "worker"
plugin_version = "1.0.0"
plugin_description = "Echoes its input with the name of the node it runs on"

local calls = 0

function execute(input)
  if input == "fail" then
    error("asked to fail")
  end
  calls = calls + 1
  return { echo = input, calls = calls }
end

function double(args) return args.x * 2 end

tools = {
  { name = "double", description = "Doubles a number",
    parameters = { type = "object", required = { "x" }, properties = { x = { type = "number" } } } },
}

function snapshot() return calls end
function restore(state) calls = state end
