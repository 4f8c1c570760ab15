#pragma once
// The "lua" plugin kind: a Lua 5.4 script in a sandbox (docs/lua-plugins.md).

#include "plugins/api/kind_definition.hpp"

namespace troupe::lua {

/// kind = "lua". Keys: `script` (required; selects the kind; a path relative to the config
/// file) and the [plugins.limits] table, whose entries become the settings "limit.<name>"
/// (checked at config time, applied at load). Watches "*.lua"; a new script file gets the id
/// script_plugin_id(path). Validator: validate_script.
kind_definition lua_kind();

} // namespace troupe::lua
