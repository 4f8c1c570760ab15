#pragma once
// Shared test fixture: a CAF actor system with Troupe's types registered, blocking request helpers
// with finite timeouts, and a temporary directory that removes itself. No test waits by sleeping.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <gtest/gtest.h>

#include "actors/lifecycle.hpp"
#include "messages/errors.hpp"
#include "messages/plugin_protocol.hpp"
#include "messages/registration.hpp"
#include "plugin_specs.hpp"

namespace troupe::test {

/// Every blocking request in the tests gives up after this long: a hang becomes a failure.
constexpr std::chrono::seconds request_timeout{10};

/// An actor_system_config with Troupe's message types and error category registered.
struct registered_config : caf::actor_system_config {
  registered_config() { register_types(*this); }
};

/// Asks `done` (a predicate that makes a blocking request/response, never sleeps) until it holds
/// or request_timeout passed; whether it held.
template <class Pred>
bool eventually(Pred done) {
  auto until = std::chrono::steady_clock::now() + request_timeout;
  while (std::chrono::steady_clock::now() < until)
    if (done())
      return true;
  return false;
}

/// A plugin_config with only the fields a test cares about.
inline plugin_config config_for(std::string id, std::map<std::string, std::string> settings = {},
                                std::vector<std::string> dependencies = {}) {
  plugin_config cfg;
  cfg.id = std::move(id);
  cfg.settings = std::move(settings);
  cfg.dependencies = std::move(dependencies);
  return cfg;
}

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class temp_dir {
public:
  temp_dir() {
    auto pattern = (std::filesystem::temp_directory_path() / "troupe-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

/// A test with a running actor system. Members are built in order: config first, then the system.
class actor_fixture : public ::testing::Test {
protected:
  /// Sends `xs` to `dest` and waits (at most request_timeout) for a T or an error.
  template <class T, class Handle, class... Ts>
  caf::expected<T> ask(const Handle& dest, Ts&&... xs) {
    caf::expected<T> result{caf::error{}};
    caf::scoped_actor self{sys};
    self->request(dest, request_timeout, std::forward<Ts>(xs)...)
      .receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// One lifecycle step sent straight to a plugin actor; load carries `cfg`.
  caf::expected<plugin_state> step(const plugin_actor& host, lifecycle_op op,
                                   const plugin_config& cfg) {
    return with_lifecycle_atom(op, [&](auto atom) {
      if constexpr (std::is_same<decltype(atom), load_atom>::value)
        return ask<plugin_state>(host, atom, cfg);
      else
        return ask<plugin_state>(host, atom);
    });
  }

  /// The state a plugin actor reports through list_atom.
  plugin_state state_of(const plugin_actor& host) {
    auto info = ask<plugin_info>(host, list_atom::value);
    EXPECT_TRUE(info) << describe(info.error());
    return info ? info->state : plugin_state{state_code::error, "list failed"};
  }

  registered_config cfg;
  caf::actor_system sys{cfg};
};

} // namespace troupe::test

/// Asserts that `expected_value` (a caf::expected<T>) holds a Troupe error with `wanted_code`.
#define EXPECT_TROUPE_ERROR(expected_value, wanted_code)                                                  \
  do {                                                                                                    \
    const auto& troupe_ev_ = (expected_value);                                                            \
    ASSERT_FALSE(troupe_ev_) << "expected error " << ::troupe::to_string(wanted_code) << ", got a value"; \
    EXPECT_TRUE(::troupe::is_troupe_error(troupe_ev_.error()))                                            \
      << ::troupe::describe(troupe_ev_.error());                                                          \
    EXPECT_EQ(troupe_ev_.error().code(), static_cast<std::uint8_t>(wanted_code))                          \
      << ::troupe::describe(troupe_ev_.error());                                                          \
  } while (false)
