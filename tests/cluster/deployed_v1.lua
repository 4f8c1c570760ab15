-- A script the cluster tests deploy, then replace with deployed_v2.lua.
plugin_name = "deployed"
plugin_version = "1.0.0"
function execute(input) return "v1:" .. tostring(input) end
