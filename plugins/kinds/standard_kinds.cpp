#include "plugins/kinds/standard_kinds.hpp"

#include "plugins/lua/lua_kind.hpp"
#include "plugins/native/native_kinds.hpp"
#include "plugins/wasm/wasm_kind.hpp"

namespace troupe {

kind_registry standard_kinds() {
  kind_registry kinds;
  kinds.add(native_kind());
  kinds.add(lua::lua_kind());
  kinds.add(library_kind());
  kinds.add(wasm::wasm_kind());
  kinds.set_default("native");
  return kinds;
}

} // namespace troupe
