-- The second version of deployed_v1.lua.
plugin_name = "deployed"
plugin_version = "2.0.0"
function execute(input) return "v2:" .. tostring(input) end
