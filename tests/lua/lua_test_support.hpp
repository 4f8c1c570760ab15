#pragma once
// Shared helpers of the Lua plugin tests (troupe_lua_tests): scripts written to a temporary
// directory of their own per test, lua_plugin instances driven directly (load, init and start
// called without an actor), JSON in and out, raw msgpack payloads and error assertions.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/api/plugin_context.hpp"
#include "plugins/api/shared_state.hpp"
#include "plugins/lua/lua_plugin.hpp"
#include "plugins/lua/sandbox_limits.hpp"

namespace troupe::lua::test {

/// Limits small enough that every stopped call of a test ends within milliseconds.
inline sandbox_limits small_limits() {
  sandbox_limits l;
  l.wall_time = std::chrono::milliseconds(1000); // a backstop; instructions stop loops first
  l.instructions = 1'000'000;
  l.memory = std::size_t{8} << 20;
  l.call_depth = 200;
  l.string_size = std::size_t{1} << 20;
  l.call_timeout = std::chrono::milliseconds(1000);
  return l;
}

/// "describe(err)" or "(no error)".
inline std::string text_of(const caf::error& err) {
  return err ? describe(err) : std::string("(no error)");
}

/// True if `err` describes itself with `part` in its text.
inline bool mentions(const caf::error& err, const std::string& part) {
  return text_of(err).find(part) != std::string::npos;
}

/// load, init and start in order; the first error.
inline caf::error bring_up(plugin& p, plugin_context& ctx) {
  if (auto err = p.load(ctx))
    return err;
  if (auto err = p.init(ctx))
    return err;
  return p.start(ctx);
}

/// JSON of a payload result (keeps the error).
inline caf::expected<nlohmann::json> as_json(caf::expected<payload> out) {
  if (!out)
    return std::move(out.error());
  return payload_to_json(*out);
}

/// A lua_plugin and its context, driven directly (no actor).
struct hosted_script {
  std::unique_ptr<plugin_context> ctx;
  std::unique_ptr<lua_plugin> plugin;
  caf::error error; ///< What load, init or start said, if one of them failed.

  caf::expected<payload> execute(const payload& in) { return plugin->execute(*ctx, in); }

  caf::expected<payload> call(const std::string& fn, const payload& args = nil_payload()) {
    return plugin->call_function(*ctx, fn, args);
  }

  std::map<std::string, std::int64_t> counters() const { return plugin->counters(); }
};

/// Runs JSON text through the plugin's execute; the answer as JSON.
inline caf::expected<nlohmann::json> run(hosted_script& h, const std::string& json_text) {
  auto in = payload_from_json_text(json_text);
  if (!in)
    return std::move(in.error());
  return as_json(h.execute(*in));
}

/// Calls global function `fn` with the JSON array `json_args` spread as its arguments.
inline caf::expected<nlohmann::json> call(hosted_script& h, const std::string& fn,
                                          const std::string& json_args = "null") {
  auto in = payload_from_json_text(json_args);
  if (!in)
    return std::move(in.error());
  return as_json(h.call(fn, *in));
}

/// A payload of raw msgpack bytes.
inline payload raw_payload(std::vector<std::uint8_t> bytes) {
  return payload{std::move(bytes)};
}

/// A msgpack float64 (msgpack-c's pack would write an integral double as an integer).
inline payload float64_payload(double value) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  std::vector<std::uint8_t> bytes{0xcb};
  for (int i = 0; i < 8; ++i)
    bytes.push_back(static_cast<std::uint8_t>((bits >> (56 - 8 * i)) & 0xff));
  return payload{std::move(bytes)};
}

/// `depth` one-element arrays nested in each other around a nil.
inline payload nested_arrays(std::size_t depth) {
  std::vector<std::uint8_t> bytes(depth, 0x91);
  bytes.push_back(0xc0);
  return payload{std::move(bytes)};
}

/// The msgpack type of a payload's value (nil type if it does not decode).
inline msgpack::type::object_type type_of(const payload& p) {
  auto h = unpack(p);
  return h ? h->get().type : msgpack::type::NIL;
}

/// A test with a temporary directory of its own, removed in TearDown, and plugins made from
/// script text written there.
class lua_fixture : public ::testing::Test {
protected:
  void SetUp() override {
    auto pattern = (std::filesystem::temp_directory_path() / "troupe-lua-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed for " + pattern);
    dir_ = pattern;
  }

  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  /// Writes `text` to `name` in the test's directory; its path.
  std::string write_script(const std::string& name, const std::string& text) {
    auto path = (dir_ / name).string();
    std::ofstream out(path, std::ios::binary);
    out << text;
    return path;
  }

  /// A plugin context for `id` with `settings`.
  static std::unique_ptr<plugin_context> context_for(const std::string& id,
                                                     std::map<std::string, std::string> settings) {
    plugin_config cfg;
    cfg.id = id;
    cfg.settings = std::move(settings);
    return std::make_unique<plugin_context>(std::move(cfg), std::make_shared<shared_state>());
  }

  /// Writes `text` to "<id>.lua" and makes a plugin of it, not loaded yet.
  hosted_script make(const std::string& text, std::map<std::string, std::string> settings = {},
                     sandbox_limits limits = small_limits(), const std::string& id = "script") {
    hosted_script h;
    auto path = write_script(id + ".lua", text);
    h.ctx = context_for(id, std::move(settings));
    h.plugin = std::make_unique<lua_plugin>(script_source{path, {}}, limits);
    return h;
  }

  /// As make, then load, init and start; `error` says what failed, if anything did.
  hosted_script host(const std::string& text, std::map<std::string, std::string> settings = {},
                     sandbox_limits limits = small_limits(), const std::string& id = "script") {
    auto h = make(text, std::move(settings), limits, id);
    h.error = bring_up(*h.plugin, *h.ctx);
    return h;
  }

  /// As host, and a test failure if the plugin did not start.
  hosted_script host_ok(const std::string& text, std::map<std::string, std::string> settings = {},
                        sandbox_limits limits = small_limits(), const std::string& id = "script") {
    auto h = host(text, std::move(settings), limits, id);
    EXPECT_FALSE(h.error) << "plugin '" << id << "' did not start: " << text_of(h.error);
    return h;
  }

  const std::filesystem::path& dir() const { return dir_; }

private:
  std::filesystem::path dir_;
};

} // namespace troupe::lua::test

/// Asserts that `expected_value` (a caf::expected<T>) holds a Troupe error with `wanted_code`
/// whose description contains `wanted_text`.
#define EXPECT_LUA_ERROR(expected_value, wanted_code, wanted_text)                               \
  do {                                                                                           \
    const auto& lua_ev_ = (expected_value);                                                      \
    ASSERT_FALSE(lua_ev_) << "expected error " << ::troupe::to_string(wanted_code)               \
                          << ", got a value";                                                    \
    EXPECT_EQ(lua_ev_.error().code(), static_cast<std::uint8_t>(wanted_code))                    \
      << ::troupe::lua::test::text_of(lua_ev_.error());                                          \
    EXPECT_TRUE(::troupe::lua::test::mentions(lua_ev_.error(), wanted_text))                     \
      << "'" << (wanted_text) << "' not in: " << ::troupe::lua::test::text_of(lua_ev_.error());  \
  } while (false)

/// As EXPECT_LUA_ERROR for a caf::error (empty means no error).
#define EXPECT_LUA_FAILURE(error_value, wanted_code, wanted_text)                                \
  do {                                                                                           \
    const caf::error& lua_err_ = (error_value);                                                  \
    ASSERT_TRUE(lua_err_) << "expected error " << ::troupe::to_string(wanted_code)               \
                          << ", got none";                                                       \
    EXPECT_EQ(lua_err_.code(), static_cast<std::uint8_t>(wanted_code))                           \
      << ::troupe::lua::test::text_of(lua_err_);                                                 \
    EXPECT_TRUE(::troupe::lua::test::mentions(lua_err_, wanted_text))                            \
      << "'" << (wanted_text) << "' not in: " << ::troupe::lua::test::text_of(lua_err_);         \
  } while (false)
