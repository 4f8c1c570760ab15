#pragma once
// What both doors (the msgpack-RPC gateway, the HTTP door) share about tokens and addresses.

#include <string>

namespace troupe {

/// True if `given` equals `secret`, compared in time that does not depend on where they differ
/// (a token guessed byte by byte learns nothing from the timing).
inline bool same_secret(const std::string& given, const std::string& secret) {
  unsigned char diff = given.size() == secret.size() ? 0 : 1;
  for (std::size_t i = 0; i < secret.size(); ++i)
    diff |= static_cast<unsigned char>((i < given.size() ? given[i] : 0) ^ secret[i]);
  return diff == 0;
}

/// True for loopback names ("127.0.0.1", "localhost", "::1"): a door listening elsewhere without
/// a token is open to every host that reaches it.
inline bool loopback_host(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

} // namespace troupe
