#pragma once
// The two native plugin kinds: "native" (a class compiled into the program and registered by
// name in the runtime's native_registry) and "library" (a shared library loaded at run time
// through the C ABI of plugins/native/abi.hpp).

#include "plugins/api/kind_definition.hpp"

namespace troupe {

/// kind = "native". Key `class` (default: the plugin id) names a class of
/// kind_context::natives; not_found listing the known classes otherwise. The default kind.
kind_definition native_kind();

/// kind = "library". Key `library` (required; selects the kind): a path or a bare name, see
/// resolve_library. Not watched: a library reloads by command (`troupe reload`, SIGHUP).
kind_definition library_kind();

} // namespace troupe
