#pragma once
// The C ABI through which a shared library offers a native plugin. A library exports three
// functions with C linkage, most easily through TROUPE_EXPORT_PLUGIN(MyPlugin):
//   uint32_t        troupe_plugin_abi_version(void);  // must equal TROUPE_PLUGIN_ABI_VERSION
//   troupe::plugin* troupe_plugin_create(void);       // a fresh instance, or null on failure
//   void            troupe_plugin_destroy(troupe::plugin*);
// The loader checks the version before it calls anything else. Bump the version whenever
// troupe::plugin, its context or the message types change layout.

#include <cstdint>

#include "plugins/api/plugin.hpp"

/// The plugin ABI this build of Troupe speaks. 2: plugin gained keeps_state/checkpoint/restore.
#define TROUPE_PLUGIN_ABI_VERSION 2u

extern "C" {
using troupe_plugin_abi_version_fn = std::uint32_t (*)();
using troupe_plugin_create_fn = troupe::plugin* (*)();
using troupe_plugin_destroy_fn = void (*)(troupe::plugin*);
}

/// Exports `plugin_class` (default-constructible, derived from troupe::plugin) through the C ABI.
#define TROUPE_EXPORT_PLUGIN(plugin_class)                                                         \
  extern "C" __attribute__((visibility("default"))) std::uint32_t troupe_plugin_abi_version() {   \
    return TROUPE_PLUGIN_ABI_VERSION;                                                              \
  }                                                                                                \
  extern "C" __attribute__((visibility("default"))) troupe::plugin* troupe_plugin_create() {      \
    try {                                                                                          \
      return new plugin_class();                                                                   \
    } catch (...) {                                                                                \
      return nullptr;                                                                              \
    }                                                                                              \
  }                                                                                                \
  extern "C" __attribute__((visibility("default"))) void troupe_plugin_destroy(troupe::plugin* p) { \
    delete p;                                                                                      \
  }
