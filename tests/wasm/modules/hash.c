/* hash: execute takes a msgpack bin or str and answers the FNV-1a 64-bit hash of its bytes as
 * a msgpack uint64 (always the 9-byte form 0xcf + 8 bytes big-endian). Other inputs answer an
 * error. Inputs of 1 MB and more are fine: alloc grows the memory as needed. */
#include "troupe_wasm.h"

TROUPE_DEFINE_ALLOC()

TROUPE_EXPORT(execute) int64_t execute(const uint8_t *in, int32_t len) {
  troupe_reader r = troupe_reader_init(in, (uint32_t)len);
  const uint8_t *bytes;
  uint32_t n;
  if (!troupe_read_bin(&r, &bytes, &n) && !troupe_read_str(&r, (const char **)&bytes, &n))
    return troupe_error("hash: expected a bin or a str");
  uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 offset basis */
  for (uint32_t i = 0; i < n; ++i) {
    h ^= bytes[i];
    h *= 0x100000001b3ull; /* FNV-1a 64 prime */
  }
  uint8_t *out = (uint8_t *)troupe_alloc(9);
  if (!out) return troupe_error("hash: out of memory");
  out[0] = 0xcf;
  for (int i = 0; i < 8; ++i) out[1 + i] = (uint8_t)(h >> (56 - 8 * i));
  return troupe_result(out, 9);
}
