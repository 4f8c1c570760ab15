/* transform: a string transform plugin with tools.
 * execute: a msgpack str -> the str upper-cased (ASCII letters only).
 * metadata: JSON naming the plugin "transform" (version 1.0.0, type "tool", capabilities
 *   ["text"]) and its tools "upper" and "reverse", each taking {"text": string}.
 * call_tool: [tool_name, {"text": str}] -> the transformed str (upper: ASCII upper-case;
 *   reverse: the code points in reverse order). An unknown tool answers an error naming it. */
#include "troupe_wasm.h"

static const char kMetadata[] =
    "{\"name\":\"transform\",\"version\":\"1.0.0\","
    "\"description\":\"String transforms: upper-case and reverse\","
    "\"type\":\"tool\",\"capabilities\":[\"text\"],\"tools\":["
    "{\"name\":\"upper\",\"description\":\"Upper-cases the ASCII letters of text\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},"
    "\"required\":[\"text\"]}},"
    "{\"name\":\"reverse\",\"description\":\"Reverses text (by code point)\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},"
    "\"required\":[\"text\"]}}]}";

TROUPE_DEFINE_ALLOC()

TROUPE_EXPORT(metadata) int64_t metadata(void) {
  return troupe_result(kMetadata, sizeof kMetadata - 1);
}

/* Writes s[0..n) as a msgpack str, the text transformed; answers the packed result. */
static int64_t answer(const char *s, uint32_t n, int reverse) {
  troupe_writer w = troupe_writer_init(troupe_alloc(n + 5), n + 5);
  troupe_write_str(&w, s, n);
  if (w.overflow) return troupe_error("transform: out of memory");
  char *t = (char *)w.buf + (w.len - n);
  if (!reverse) {
    for (uint32_t i = 0; i < n; ++i)
      if (t[i] >= 'a' && t[i] <= 'z') t[i] = (char)(t[i] - 'a' + 'A');
  } else {
    /* Copy the code points (a lead byte and its 10xxxxxx continuation bytes) back to front. */
    uint32_t out = 0, end = n;
    while (end > 0) {
      uint32_t begin = end - 1;
      while (begin > 0 && ((uint8_t)s[begin] & 0xc0) == 0x80) --begin;
      for (uint32_t i = begin; i < end; ++i) t[out++] = s[i];
      end = begin;
    }
  }
  return troupe_writer_result(&w);
}

TROUPE_EXPORT(execute) int64_t execute(const uint8_t *in, int32_t len) {
  troupe_reader r = troupe_reader_init(in, (uint32_t)len);
  const char *s;
  uint32_t n;
  if (!troupe_read_str(&r, &s, &n)) return troupe_error("transform: expected a str");
  return answer(s, n, 0);
}

TROUPE_EXPORT(call_tool) int64_t call_tool(const uint8_t *in, int32_t len) {
  troupe_reader r = troupe_reader_init(in, (uint32_t)len);
  const char *tool, *text = 0;
  uint32_t count, tool_len, text_len = 0;
  if (!troupe_read_array(&r, &count) || count != 2 || !troupe_read_str(&r, &tool, &tool_len) ||
      !troupe_read_map(&r, &count))
    return troupe_error("transform: expected [tool_name, {args}]");
  int reverse;
  if (troupe_equals(tool, tool_len, "upper")) reverse = 0;
  else if (troupe_equals(tool, tool_len, "reverse")) reverse = 1;
  else {
    static const char prefix[] = "transform: unknown tool: ";
    uint32_t p = sizeof prefix - 1;
    char *msg = (char *)troupe_alloc(p + tool_len);
    if (!msg) return troupe_error("transform: unknown tool");
    troupe_memcpy(msg, prefix, p);
    troupe_memcpy(msg + p, tool, tool_len);
    return troupe_error_n(msg, p + tool_len);
  }
  while (count--) {
    const char *key;
    uint32_t key_len;
    if (!troupe_read_str(&r, &key, &key_len)) {
      if (!troupe_skip(&r)) return troupe_error("transform: malformed args");
    } else if (troupe_equals(key, key_len, "text")) {
      if (!troupe_read_str(&r, &text, &text_len))
        return troupe_error("transform: \"text\" must be a string");
      continue;
    }
    if (!troupe_skip(&r)) return troupe_error("transform: malformed args");
  }
  if (!text) return troupe_error("transform: missing argument \"text\"");
  return answer(text, text_len, reverse);
}
