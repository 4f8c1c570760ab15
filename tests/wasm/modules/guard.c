/* guard: an agent hook written in C (docs/wasm-plugins.md, "Agent hooks").
 * metadata: hooks before_tool_call and after_tool_call, hook_priority 10.
 * hook([point, args]):
 *   before_tool_call, args = [tool, tool_args, ctx]: a tool named "delete_all" is stopped with
 *     the result "denied by the wasm guard" (["short_circuit", value]); a tool named "trap"
 *     makes the module trap; every other call continues unchanged ([nil, nil]).
 *   after_tool_call, args = [tool, tool_args, result, ctx]: a str result becomes
 *     "[guarded] " + result (["continue", value]); any other result is kept.
 * The answers have two elements: the host keeps ctx.state as it came.
 * execute: answers the number of hook calls so far. */
#include "troupe_wasm.h"

static const char kMetadata[] =
    "{\"name\":\"guard\",\"version\":\"1.0.0\",\"type\":\"monitor\","
    "\"description\":\"Denies dangerous tools and marks results\","
    "\"hooks\":[\"before_tool_call\",\"after_tool_call\"],\"hook_priority\":10}";

static uint64_t hook_calls;

TROUPE_DEFINE_ALLOC()

TROUPE_EXPORT(metadata) int64_t metadata(void) {
  return troupe_result(kMetadata, sizeof kMetadata - 1);
}

TROUPE_EXPORT(execute) int64_t execute(const uint8_t *in, int32_t len) {
  (void)in;
  (void)len;
  troupe_writer w = troupe_writer_init(troupe_alloc(16), 16);
  troupe_write_uint(&w, hook_calls);
  return troupe_writer_result(&w);
}

/* [nil, nil]: continue unchanged. */
static int64_t keep(void) {
  troupe_writer w = troupe_writer_init(troupe_alloc(4), 4);
  troupe_write_array(&w, 2);
  troupe_write_nil(&w);
  troupe_write_nil(&w);
  return troupe_writer_result(&w);
}

/* [action, prefix + text]. */
static int64_t answer(const char *action, const char *prefix, const char *text, uint32_t n) {
  uint32_t p = troupe_strlen(prefix), cap = p + n + 32;
  troupe_writer w = troupe_writer_init(troupe_alloc(cap), cap);
  troupe_write_array(&w, 2);
  troupe_write_cstr(&w, action);
  char *joined = (char *)troupe_alloc(p + n);
  if (!joined) return troupe_error("guard: out of memory");
  troupe_memcpy(joined, prefix, p);
  troupe_memcpy(joined + p, text, n);
  troupe_write_str(&w, joined, p + n);
  return troupe_writer_result(&w);
}

TROUPE_EXPORT(hook) int64_t hook(const uint8_t *in, int32_t len) {
  troupe_reader r = troupe_reader_init(in, (uint32_t)len);
  const char *point, *tool;
  uint32_t count, point_len, args_count, tool_len;
  ++hook_calls;
  if (!troupe_read_array(&r, &count) || count != 2 || !troupe_read_str(&r, &point, &point_len) ||
      !troupe_read_array(&r, &args_count) || !troupe_read_str(&r, &tool, &tool_len))
    return troupe_error("guard: expected [point, [tool, ...]]");
  if (troupe_equals(point, point_len, "before_tool_call")) {
    if (troupe_equals(tool, tool_len, "delete_all"))
      return answer("short_circuit", "denied by the wasm guard", "", 0);
    if (troupe_equals(tool, tool_len, "trap")) __builtin_trap();
    return keep();
  }
  const char *text;
  uint32_t text_len;
  if (!troupe_skip(&r) || !troupe_read_str(&r, &text, &text_len)) return keep();
  return answer("continue", "[guarded] ", text, text_len);
}
