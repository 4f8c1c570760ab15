#include "messages/utf8.hpp"

#include <cstdint>
#include <cstring>

#include <utf8.h>

namespace troupe {

namespace {

/// Index of the first byte of `s` that is not ASCII, or n. Eight bytes at a time: most payload
/// strings are ASCII, and utfcpp decodes one code point per step.
std::size_t ascii_prefix(const char* s, std::size_t n) noexcept {
  constexpr std::uint64_t high_bits = 0x8080808080808080ULL;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t chunk;
    std::memcpy(&chunk, s + i, 8);
    if ((chunk & high_bits) != 0)
      break;
  }
  while (i < n && static_cast<unsigned char>(s[i]) < 0x80)
    ++i;
  return i;
}

} // namespace

bool is_valid_utf8(const char* s, std::size_t n) noexcept {
  std::size_t ascii = ascii_prefix(s, n);
  if (ascii == n)
    return true;
  // utfcpp's find_invalid does not throw: it reports the first invalid position.
  return utf8::find_invalid(s + ascii, s + n) == s + n;
}

} // namespace troupe
