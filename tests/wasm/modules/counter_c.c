/* counter_c: a static counter in memory. execute adds the input (a msgpack uint, or 1 if the
 * input is nil) and answers the total as a msgpack uint (smallest form); other inputs answer
 * an error. init/start/stop answer 0 and log a line each (info) via troupe.log. */
#include "troupe_wasm.h"

static uint64_t total;

TROUPE_DEFINE_ALLOC()

TROUPE_EXPORT(init) int32_t init(void) {
  troupe_log_str(TROUPE_LOG_INFO, "counter_c: init");
  return 0;
}

TROUPE_EXPORT(start) int32_t start(void) {
  troupe_log_str(TROUPE_LOG_INFO, "counter_c: start");
  return 0;
}

TROUPE_EXPORT(stop) int32_t stop(void) {
  troupe_log_str(TROUPE_LOG_INFO, "counter_c: stop");
  return 0;
}

TROUPE_EXPORT(execute) int64_t execute(const uint8_t *in, int32_t len) {
  troupe_reader r = troupe_reader_init(in, (uint32_t)len);
  uint64_t add;
  if (troupe_read_nil(&r)) add = 1;
  else if (!troupe_read_uint(&r, &add)) return troupe_error("counter_c: expected a uint or nil");
  total += add;
  troupe_writer w = troupe_writer_init(troupe_alloc(9), 9);
  troupe_write_uint(&w, total);
  return troupe_writer_result(&w);
}
