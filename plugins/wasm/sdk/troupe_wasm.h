/* troupe_wasm.h: a freestanding C header for Troupe WebAssembly plugins (issue 15).
 *
 * Build a plugin with: clang --target=wasm32 -O2 -nostdlib -ffreestanding -Wl,--no-entry
 *                      -I plugins/wasm/sdk -o my_plugin.wasm my_plugin.c
 * No libc is needed. The plugin ABI (see docs/wasm-plugins.md):
 *   memory                      the linear memory, exported by wasm-ld
 *   alloc(len) -> ptr           TROUPE_DEFINE_ALLOC() defines it over the bump allocator below
 *   execute(ptr, len) -> i64    msgpack in, troupe_result(...) or troupe_error(...) out
 *   init/start/stop() -> i32    optional, 0 = ok
 *   metadata() -> i64           optional, troupe_result over UTF-8 JSON
 *   call_tool(ptr, len) -> i64  optional, input [tool_name, args], answers like execute
 *   snapshot() -> i64           optional (with restore): the plugin's state as bytes of its own
 *   restore(ptr, len) -> i32    optional (with snapshot): takes those bytes back, 0 = ok
 * Imports available from the host: troupe.log and troupe.now (nothing else is allowed).
 *
 * Memory model: one bump allocator over __heap_base. TROUPE_DEFINE_ALLOC() resets it at each
 * alloc call (the host calls alloc once per call, for the input), so the input and everything
 * allocated while handling it stay valid until the next call. Keep state across calls in static
 * variables, never in the heap.
 *
 * Every function is static inline; msgpack readers answer 1 on success (advancing the reader)
 * and 0 on failure (the reader is left unchanged). */
#ifndef TROUPE_WASM_H
#define TROUPE_WASM_H

#include <stddef.h>
#include <stdint.h>

/* ---- Imports and exports ------------------------------------------------------------------ */

#define TROUPE_LOG_DEBUG 0
#define TROUPE_LOG_INFO 1
#define TROUPE_LOG_WARN 2
#define TROUPE_LOG_ERROR 3

/* Host import troupe.log: writes the UTF-8 text ptr[0..len) to the plugin's log at `level`. */
__attribute__((import_module("troupe"), import_name("log"))) void troupe_log(int32_t level,
                                                                            const void *ptr,
                                                                            int32_t len);
/* Host import troupe.now: milliseconds since the Unix epoch. */
__attribute__((import_module("troupe"), import_name("now"))) int64_t troupe_now(void);

/* Marks a function as the module export `name` (e.g. TROUPE_EXPORT(execute) int64_t f(...)). */
#define TROUPE_EXPORT(name) __attribute__((export_name(#name)))

/* Length of the NUL-terminated string s. */
static inline uint32_t troupe_strlen(const char *s) {
  uint32_t n = 0;
  while (s[n]) ++n;
  return n;
}

/* Copies n bytes from src to dst (the ranges must not overlap); answers dst. */
static inline void *troupe_memcpy(void *dst, const void *src, uint32_t n) {
  uint8_t *d = (uint8_t *)dst;
  const uint8_t *s = (const uint8_t *)src;
  while (n--) *d++ = *s++;
  return dst;
}

/* 1 if a[0..an) equals the NUL-terminated string b, else 0. */
static inline int troupe_equals(const char *a, uint32_t an, const char *b) {
  uint32_t i = 0;
  for (; i < an; ++i)
    if (b[i] == 0 || a[i] != b[i]) return 0;
  return b[an] == 0;
}

#ifndef TROUPE_NO_MEM_SHIMS
/* The compiler may emit calls to memcpy/memmove/memset (struct copies, array initialisers)
 * even without libc: weak definitions (a linked libc wins; define TROUPE_NO_MEM_SHIMS to omit). */
/* Copies n bytes from s to d (no overlap); answers d. */
__attribute__((weak, no_builtin)) void *memcpy(void *d, const void *s, size_t n) {
  return troupe_memcpy(d, s, (uint32_t)n);
}
/* Copies n bytes from s to d (the ranges may overlap); answers d. */
__attribute__((weak, no_builtin)) void *memmove(void *d, const void *s, size_t n) {
  uint8_t *dd = (uint8_t *)d;
  const uint8_t *ss = (const uint8_t *)s;
  if (dd < ss) while (n--) *dd++ = *ss++;
  else while (n--) dd[n] = ss[n];
  return d;
}
/* Sets n bytes at d to (uint8_t)c; answers d. */
__attribute__((weak, no_builtin)) void *memset(void *d, int c, size_t n) {
  uint8_t *dd = (uint8_t *)d;
  while (n--) *dd++ = (uint8_t)c;
  return d;
}
#endif

/* Logs the NUL-terminated string text at `level`. */
static inline void troupe_log_str(int32_t level, const char *text) {
  troupe_log(level, text, (int32_t)troupe_strlen(text));
}

/* ---- Bump allocator ----------------------------------------------------------------------- */

extern unsigned char __heap_base; /* defined by wasm-ld: the first byte after data and stack */
static uintptr_t troupe_heap_top_;

/* Frees everything allocated with troupe_alloc (the next allocation starts at __heap_base). */
static inline void troupe_heap_reset(void) { troupe_heap_top_ = (uintptr_t)&__heap_base; }

/* len bytes aligned to 8, growing the memory as needed; 0 if the memory cannot grow. */
static inline void *troupe_alloc(uint32_t len) {
  if (troupe_heap_top_ == 0) troupe_heap_reset();
  uintptr_t at = (troupe_heap_top_ + 7u) & ~(uintptr_t)7u;
  if (at < troupe_heap_top_ || len > UINT32_MAX - at) return 0; /* past 4 GiB */
  uint64_t end = (uint64_t)at + len;
  uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) << 16;
  if (end > have) {
    uint64_t pages = (end - have + 65535u) >> 16;
    if (__builtin_wasm_memory_grow(0, (uintptr_t)pages) == (size_t)-1) return 0;
  }
  troupe_heap_top_ = (uintptr_t)end;
  return (void *)at;
}

/* Defines the `alloc` export: resets the heap, then answers troupe_alloc(len). */
#define TROUPE_DEFINE_ALLOC()                                                 \
  TROUPE_EXPORT(alloc) void *troupe_export_alloc_(int32_t len) {               \
    troupe_heap_reset();                                                       \
    return troupe_alloc((uint32_t)len);                                        \
  }

/* ---- Results ------------------------------------------------------------------------------ */

#define TROUPE_ERROR_BIT 0x80000000u

/* The packed result (ptr << 32) | len of a msgpack value at ptr[0..len) (len < 2^31). */
static inline int64_t troupe_result(const void *ptr, uint32_t len) {
  return (int64_t)(((uint64_t)(uintptr_t)ptr << 32) | (len & 0x7fffffffu));
}

/* The packed error result for the UTF-8 message msg[0..len): the call fails with that text. */
static inline int64_t troupe_error_n(const char *msg, uint32_t len) {
  return (int64_t)(((uint64_t)(uintptr_t)msg << 32) | (len & 0x7fffffffu) | TROUPE_ERROR_BIT);
}

/* The packed error result for the NUL-terminated message msg (which must outlive the call). */
static inline int64_t troupe_error(const char *msg) {
  return troupe_error_n(msg, troupe_strlen(msg));
}

/* ---- msgpack reader ----------------------------------------------------------------------- */

typedef struct {
  const uint8_t *p;   /* next byte */
  const uint8_t *end; /* one past the last byte */
} troupe_reader;

/* A reader over the bytes ptr[0..len). */
static inline troupe_reader troupe_reader_init(const void *ptr, uint32_t len) {
  troupe_reader r;
  r.p = (const uint8_t *)ptr;
  r.end = r.p + len;
  return r;
}

/* 1 if every byte has been read. */
static inline int troupe_at_end(const troupe_reader *r) { return r->p >= r->end; }

/* The next byte (the type of the next value) without reading it, or -1 at the end. */
static inline int troupe_peek(const troupe_reader *r) { return r->p < r->end ? *r->p : -1; }

/* Big-endian unsigned of n (1, 2, 4 or 8) bytes at p. */
static inline uint64_t troupe_be_(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

/* 1 if at least n bytes remain. */
static inline int troupe_has_(const troupe_reader *r, uint64_t n) {
  return (uint64_t)(r->end - r->p) >= n;
}

/* Reads nil. */
static inline int troupe_read_nil(troupe_reader *r) {
  if (troupe_peek(r) != 0xc0) return 0;
  r->p += 1;
  return 1;
}

/* Reads true/false into *out (1/0). */
static inline int troupe_read_bool(troupe_reader *r, int *out) {
  int t = troupe_peek(r);
  if (t != 0xc2 && t != 0xc3) return 0;
  *out = t == 0xc3;
  r->p += 1;
  return 1;
}

/* Reads any integer form into *neg (1 if negative) and *bits (the two's complement value). */
static inline int troupe_read_int_(troupe_reader *r, int *neg, uint64_t *bits) {
  int t = troupe_peek(r), n;
  if (t < 0) return 0;
  if (t <= 0x7f || t >= 0xe0) { /* positive / negative fixint */
    *bits = (uint64_t)(int64_t)(int8_t)t;
    *neg = t >= 0xe0;
    r->p += 1;
    return 1;
  }
  if (t >= 0xcc && t <= 0xcf) n = 1 << (t - 0xcc); /* uint8..uint64 */
  else if (t >= 0xd0 && t <= 0xd3) n = 1 << (t - 0xd0); /* int8..int64 */
  else return 0;
  if (!troupe_has_(r, 1u + n)) return 0;
  uint64_t v = troupe_be_(r->p + 1, n);
  *neg = 0;
  if (t >= 0xd0 && (v >> (8 * n - 1)) & 1) { /* sign-extend a negative intN */
    if (n < 8) v |= ~(uint64_t)0 << (8 * n);
    *neg = 1;
  }
  *bits = v;
  r->p += 1 + n;
  return 1;
}

/* Reads a non-negative integer (any integer form) into *out. */
static inline int troupe_read_uint(troupe_reader *r, uint64_t *out) {
  troupe_reader save = *r;
  int neg;
  uint64_t v;
  if (!troupe_read_int_(r, &neg, &v)) return 0;
  if (neg) { *r = save; return 0; }
  *out = v;
  return 1;
}

/* Reads an integer that fits int64 (any integer form) into *out. */
static inline int troupe_read_int(troupe_reader *r, int64_t *out) {
  troupe_reader save = *r;
  int neg;
  uint64_t v;
  if (!troupe_read_int_(r, &neg, &v)) return 0;
  if (!neg && v > (uint64_t)INT64_MAX) { *r = save; return 0; }
  *out = (int64_t)v;
  return 1;
}

/* Reads a header: fixed (t & fixmask when t in [fixlo, fixlo+fixmask]) or 1/2/4-byte length
 * after the type byte t8/t8+1/t8+2; answers the length and the header size (0 if no match). */
static inline int troupe_read_len_(const troupe_reader *r, int fixlo, int fixmask, int t8,
                                   int has8, uint32_t *len) {
  int t = troupe_peek(r), n;
  if (t < 0) return 0;
  if (fixmask && t >= fixlo && t <= fixlo + fixmask) { *len = (uint32_t)(t & fixmask); return 1; }
  if (has8 && t == t8) n = 1;
  else if (t == t8 + has8) n = 2;
  else if (t == t8 + has8 + 1) n = 4;
  else return 0;
  if (!troupe_has_(r, 1u + n)) return 0;
  *len = (uint32_t)troupe_be_(r->p + 1, n);
  return 1 + n;
}

/* Reads a str (fixstr, str8/16/32): *s points into the input, *len is its byte length. */
static inline int troupe_read_str(troupe_reader *r, const char **s, uint32_t *len) {
  uint32_t n;
  int h = troupe_read_len_(r, 0xa0, 0x1f, 0xd9, 1, &n);
  if (!h || !troupe_has_(r, (uint64_t)h + n)) return 0;
  *s = (const char *)r->p + h;
  *len = n;
  r->p += h + n;
  return 1;
}

/* Reads a bin (bin8/16/32): *b points into the input, *len is its length. */
static inline int troupe_read_bin(troupe_reader *r, const uint8_t **b, uint32_t *len) {
  uint32_t n;
  int h = troupe_read_len_(r, 0, 0, 0xc4, 1, &n);
  if (!h || !troupe_has_(r, (uint64_t)h + n)) return 0;
  *b = r->p + h;
  *len = n;
  r->p += h + n;
  return 1;
}

/* Reads an array header (fixarray, array16/32): *count elements follow. */
static inline int troupe_read_array(troupe_reader *r, uint32_t *count) {
  int h = troupe_read_len_(r, 0x90, 0x0f, 0xdc, 0, count);
  r->p += h;
  return h != 0;
}

/* Reads a map header (fixmap, map16/32): *count key/value pairs follow. */
static inline int troupe_read_map(troupe_reader *r, uint32_t *count) {
  int h = troupe_read_len_(r, 0x80, 0x0f, 0xde, 0, count);
  r->p += h;
  return h != 0;
}

/* Skips one complete value of any type (nested arrays/maps, floats and ext included). */
static inline int troupe_skip(troupe_reader *r) {
  troupe_reader save = *r;
  uint64_t pending = 1; /* values still to skip */
  while (pending) {
    int t = troupe_peek(r);
    uint32_t n;
    uint64_t size; /* header + payload bytes of a scalar */
    --pending;
    if (t < 0) goto fail;
    if (troupe_read_array(r, &n)) { pending += n; continue; }
    if (troupe_read_map(r, &n)) { pending += 2ull * n; continue; }
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) size = 1;
    else if (t >= 0xcc && t <= 0xcf) size = 1u + (1u << (t - 0xcc));
    else if (t >= 0xd0 && t <= 0xd3) size = 1u + (1u << (t - 0xd0));
    else if (t == 0xca) size = 5;
    else if (t == 0xcb) size = 9;
    else if (t >= 0xd4 && t <= 0xd8) size = 2u + (1u << (t - 0xd4)); /* fixext1..16 */
    else {
      int h;
      if ((h = troupe_read_len_(r, 0xa0, 0x1f, 0xd9, 1, &n))) size = (uint64_t)h + n; /* str */
      else if ((h = troupe_read_len_(r, 0, 0, 0xc4, 1, &n))) size = (uint64_t)h + n; /* bin */
      else if ((h = troupe_read_len_(r, 0, 0, 0xc7, 1, &n))) size = (uint64_t)h + 1 + n; /* ext */
      else goto fail;
    }
    if (!troupe_has_(r, size)) goto fail;
    r->p += size;
  }
  return 1;
fail:
  *r = save;
  return 0;
}

/* ---- msgpack writer ----------------------------------------------------------------------- */

typedef struct {
  uint8_t *buf;  /* the output */
  uint32_t len;  /* bytes written */
  uint32_t cap;  /* size of buf */
  int overflow;  /* 1 once a write did not fit (it and later writes are dropped) */
} troupe_writer;

/* A writer into buf[0..cap) (e.g. from troupe_alloc). */
static inline troupe_writer troupe_writer_init(void *buf, uint32_t cap) {
  troupe_writer w;
  w.buf = (uint8_t *)buf;
  w.len = 0;
  w.cap = buf ? cap : 0;
  w.overflow = 0;
  return w;
}

/* Appends the raw bytes p[0..n) (an already encoded value, or a payload). */
static inline void troupe_write_raw(troupe_writer *w, const void *p, uint32_t n) {
  if (w->overflow || n > w->cap - w->len) { w->overflow = 1; return; }
  troupe_memcpy(w->buf + w->len, p, n);
  w->len += n;
}

/* Appends the type byte t then v as n (0, 1, 2, 4 or 8) big-endian bytes. */
static inline void troupe_write_head_(troupe_writer *w, uint8_t t, uint64_t v, int n) {
  uint8_t b[9];
  b[0] = t;
  for (int i = 0; i < n; ++i) b[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
  troupe_write_raw(w, b, 1u + n);
}

/* Appends a length header: fixed (fix | n) when n <= fixmax, else t16 + 2 bytes or t16+1 + 4;
 * t8 (if nonzero) + 1 byte when n <= 0xff. */
static inline void troupe_write_len_(troupe_writer *w, uint32_t n, int fix, uint32_t fixmax,
                                     int t8, int t16) {
  if (fix >= 0 && n <= fixmax) troupe_write_head_(w, (uint8_t)(fix | n), 0, 0);
  else if (t8 && n <= 0xff) troupe_write_head_(w, (uint8_t)t8, n, 1);
  else if (n <= 0xffff) troupe_write_head_(w, (uint8_t)t16, n, 2);
  else troupe_write_head_(w, (uint8_t)(t16 + 1), n, 4);
}

/* Appends nil. */
static inline void troupe_write_nil(troupe_writer *w) { troupe_write_head_(w, 0xc0, 0, 0); }

/* Appends true (b != 0) or false. */
static inline void troupe_write_bool(troupe_writer *w, int b) {
  troupe_write_head_(w, b ? 0xc3 : 0xc2, 0, 0);
}

/* Appends v in the smallest unsigned form (positive fixint, uint8/16/32/64). */
static inline void troupe_write_uint(troupe_writer *w, uint64_t v) {
  if (v <= 0x7f) troupe_write_head_(w, (uint8_t)v, 0, 0);
  else if (v <= 0xff) troupe_write_head_(w, 0xcc, v, 1);
  else if (v <= 0xffff) troupe_write_head_(w, 0xcd, v, 2);
  else if (v <= 0xffffffffu) troupe_write_head_(w, 0xce, v, 4);
  else troupe_write_head_(w, 0xcf, v, 8);
}

/* Appends v in the smallest form (unsigned forms if v >= 0, else negative fixint, int8..64). */
static inline void troupe_write_int(troupe_writer *w, int64_t v) {
  if (v >= 0) troupe_write_uint(w, (uint64_t)v);
  else if (v >= -32) troupe_write_head_(w, (uint8_t)v, 0, 0);
  else if (v >= -128) troupe_write_head_(w, 0xd0, (uint64_t)v, 1);
  else if (v >= -32768) troupe_write_head_(w, 0xd1, (uint64_t)v, 2);
  else if (v >= -2147483647 - 1) troupe_write_head_(w, 0xd2, (uint64_t)v, 4);
  else troupe_write_head_(w, 0xd3, (uint64_t)v, 8);
}

/* Appends the str s[0..n) (fixstr, str8/16/32). */
static inline void troupe_write_str(troupe_writer *w, const char *s, uint32_t n) {
  troupe_write_len_(w, n, 0xa0, 31, 0xd9, 0xda);
  troupe_write_raw(w, s, n);
}

/* Appends the NUL-terminated string s as a str. */
static inline void troupe_write_cstr(troupe_writer *w, const char *s) {
  troupe_write_str(w, s, troupe_strlen(s));
}

/* Appends the bin b[0..n) (bin8/16/32). */
static inline void troupe_write_bin(troupe_writer *w, const void *b, uint32_t n) {
  troupe_write_len_(w, n, -1, 0, 0xc4, 0xc5);
  troupe_write_raw(w, b, n);
}

/* Appends an array header for count elements (fixarray, array16/32); write them next. */
static inline void troupe_write_array(troupe_writer *w, uint32_t count) {
  troupe_write_len_(w, count, 0x90, 15, 0, 0xdc);
}

/* Appends a map header for count key/value pairs (fixmap, map16/32); write them next. */
static inline void troupe_write_map(troupe_writer *w, uint32_t count) {
  troupe_write_len_(w, count, 0x80, 15, 0, 0xde);
}

/* The packed result of what w wrote, or an error result if it overflowed. */
static inline int64_t troupe_writer_result(const troupe_writer *w) {
  if (w->overflow) return troupe_error("troupe_writer: output buffer too small");
  return troupe_result(w->buf, w->len);
}

#endif /* TROUPE_WASM_H */
