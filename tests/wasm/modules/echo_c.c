/* echo_c: answers its input unchanged (built from C with plugins/wasm/sdk/troupe_wasm.h). */
#include "troupe_wasm.h"

TROUPE_DEFINE_ALLOC()

TROUPE_EXPORT(execute) int64_t execute(const uint8_t *in, int32_t len) {
  return troupe_result(in, (uint32_t)len);
}
