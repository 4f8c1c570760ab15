#pragma once
// UTF-8 validation for every place that must tell text from bytes: Lua strings become msgpack
// `str` only when they are UTF-8 (else `bin`), and JSON output renders a `str` that is not UTF-8
// as bytes. Strict RFC 3629 (utfcpp): overlong forms, UTF-16 surrogates (U+D800..U+DFFF), code
// points above U+10FFFF and truncated sequences are all invalid.

#include <cstddef>
#include <string_view>

namespace troupe {

/// Whether the n bytes at `s` are well-formed UTF-8 (the empty string is). Never throws.
bool is_valid_utf8(const char* s, std::size_t n) noexcept;

/// Whether `text` is well-formed UTF-8. Never throws.
inline bool is_valid_utf8(std::string_view text) noexcept {
  return is_valid_utf8(text.data(), text.size());
}

} // namespace troupe
