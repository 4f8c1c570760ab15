// The kv_store example plugin through a runtime: its request protocol, bad requests, counters,
// and persistence of its SQLite file across runtimes and actor systems.

#include <map>
#include <string>
#include <vector>

#include "actor_fixture.hpp"
#include "actors/runtime.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe::test {
namespace {

using nlohmann::json;

runtime_options test_options() {
  runtime_options opts;
  opts.call_timeout = std::chrono::milliseconds{10000};
  opts.natives = example_natives(); // "echo", "kv_store"
  return opts;
}

/// A runtime with one running kv_store plugin "kv" on `db_path`.
class kv_node {
public:
  explicit kv_node(caf::actor_system& sys, const std::string& db_path) : rt(sys, test_options()) {
    auto md = rt.add(native_spec(config_for("kv", {{"path", db_path}}), "kv_store"));
    EXPECT_TRUE(md) << describe(md.error());
    auto started = rt.start_all();
    EXPECT_TRUE(started) << describe(started.error());
  }

  /// Sends a JSON request and answers the JSON reply (or the error).
  caf::expected<json> call(const json& request) {
    auto out = rt.execute("kv", payload_from_json(request));
    if (!out)
      return std::move(out.error());
    return payload_to_json(*out);
  }

  /// As call, but a failed call fails the test and answers a marker string.
  json ok(const json& request) {
    auto reply = call(request);
    if (!reply) {
      ADD_FAILURE() << request.dump() << " failed: " << describe(reply.error());
      return json("<failed>");
    }
    return *reply;
  }

  caf::expected<payload> raw(const payload& request) { return rt.execute("kv", request); }

  runtime rt;
};

class KvStore : public actor_fixture {
protected:
  temp_dir dir;
  std::string db = dir.file("store.db");
};

TEST_F(KvStore, PutGetDeleteKeysAndCount) {
  kv_node node{sys, db};
  EXPECT_EQ(node.ok({{"op", "put"}, {"key", "b"}, {"value", 42}}), (json{{"ok", true}}));
  EXPECT_EQ(node.ok({{"op", "put"}, {"key", "a"}, {"value", {{"nested", {1, 2.5, "x"}}}}}),
            (json{{"ok", true}}));
  EXPECT_EQ(node.ok({{"op", "get"}, {"key", "b"}}), json(42));
  EXPECT_EQ(node.ok({{"op", "get"}, {"key", "a"}}), (json{{"nested", {1, 2.5, "x"}}}));
  EXPECT_EQ(node.ok({{"op", "get"}, {"key", "missing"}}), json(nullptr));
  EXPECT_EQ(node.ok({{"op", "keys"}}), (json{"a", "b"}));
  EXPECT_EQ(node.ok({{"op", "count"}}), json(2));
  EXPECT_EQ(node.ok({{"op", "delete"}, {"key", "b"}}), (json{{"deleted", true}}));
  EXPECT_EQ(node.ok({{"op", "delete"}, {"key", "b"}}), (json{{"deleted", false}}));
  EXPECT_EQ(node.ok({{"op", "count"}}), json(1));
  EXPECT_EQ(node.ok({{"op", "keys"}}), (json{"a"}));
}

TEST_F(KvStore, PutReplacesTheOldValue) {
  kv_node node{sys, db};
  ASSERT_TRUE(node.call({{"op", "put"}, {"key", "k"}, {"value", "old"}}));
  ASSERT_TRUE(node.call({{"op", "put"}, {"key", "k"}, {"value", "new"}}));
  EXPECT_EQ(node.ok({{"op", "get"}, {"key", "k"}}), json("new"));
  EXPECT_EQ(node.ok({{"op", "count"}}), json(1));
}

TEST_F(KvStore, ValuesKeepTheirExactMsgpackBytes) {
  kv_node node{sys, db};
  auto value = pack(std::map<std::string, double>{{"pi", 3.141592653589793}, {"neg", -0.5}});
  // {"op": "put", "key": "v", "value": <value>} built by hand to embed raw bytes.
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk{buffer};
  pk.pack_map(3);
  pk.pack(std::string("op"));
  pk.pack(std::string("put"));
  pk.pack(std::string("key"));
  pk.pack(std::string("v"));
  pk.pack(std::string("value"));
  buffer.write(reinterpret_cast<const char*>(value.bytes.data()), value.bytes.size());
  payload request{std::vector<std::uint8_t>(buffer.data(), buffer.data() + buffer.size())};
  ASSERT_TRUE(node.raw(request));
  auto got = node.raw(payload_from_json({{"op", "get"}, {"key", "v"}}));
  ASSERT_TRUE(got) << describe(got.error());
  EXPECT_EQ(*got, value);
}

TEST_F(KvStore, BadRequestsAreBadInputNamingThePluginAndItKeepsServing) {
  kv_node node{sys, db};
  std::vector<payload> bad{
    pack(5),                                                     // not a map
    payload_from_json({{"key", "k"}}),                          // no op
    payload_from_json({{"op", 7}}),                             // op is no string
    payload_from_json({{"op", "frobnicate"}}),                  // unknown op
    payload_from_json({{"op", "get"}}),                         // get without key
    payload_from_json({{"op", "put"}, {"key", 3}, {"value", 1}}), // key is no string
    payload_from_json({{"op", "put"}, {"key", "k"}}),           // put without value
    payload_from_json({{"op", "delete"}}),                      // delete without key
    payload{{0xc1}},                                            // malformed msgpack
    payload{},                                                  // empty
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    SCOPED_TRACE("bad request #" + std::to_string(i));
    auto out = node.raw(bad[i]);
    EXPECT_TROUPE_ERROR(out, errc::bad_input);
    EXPECT_EQ(plugin_of(out.error()), "kv");
  }
  EXPECT_EQ(node.ok({{"op", "count"}}), json(0));
  auto st = node.rt.stats("kv");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->failures, bad.size());
  EXPECT_EQ(st->state.code, state_code::running);
}

TEST_F(KvStore, StatsIncludeThePluginsCounters) {
  kv_node node{sys, db};
  ASSERT_TRUE(node.call({{"op", "put"}, {"key", "a"}, {"value", 1}}));
  ASSERT_TRUE(node.call({{"op", "put"}, {"key", "b"}, {"value", 2}}));
  ASSERT_TRUE(node.call({{"op", "get"}, {"key", "a"}}));
  ASSERT_TRUE(node.call({{"op", "delete"}, {"key", "a"}}));
  auto st = node.rt.stats("kv");
  ASSERT_TRUE(st) << describe(st.error());
  EXPECT_EQ(st->calls, 4u);
  EXPECT_EQ(st->failures, 0u);
  EXPECT_GT(st->mean_us, 0.0);
  EXPECT_GT(st->p50_us, 0.0);
  EXPECT_GT(st->p99_us, 0.0);
  EXPECT_EQ(st->counters, (std::map<std::string, std::int64_t>{{"puts", 2}, {"gets", 1},
                                                                {"deletes", 1}}));
}

TEST_F(KvStore, HealthReportsTheKeyCount) {
  kv_node node{sys, db};
  ASSERT_TRUE(node.call({{"op", "put"}, {"key", "a"}, {"value", 1}}));
  auto h = node.rt.health("kv");
  ASSERT_TRUE(h) << describe(h.error());
  EXPECT_TRUE(h->healthy);
  EXPECT_EQ(h->detail, "1 keys");
}

TEST_F(KvStore, UnopenableDatabaseFailsLoadNamingThePluginAndFile) {
  runtime rt{sys, test_options()};
  auto path = dir.file("no/such/dir/store.db");
  ASSERT_TRUE(rt.add(native_spec(config_for("kv", {{"path", path}}), "kv_store")));
  auto loaded = rt.step(lifecycle_op::load, "kv");
  ASSERT_FALSE(loaded);
  EXPECT_TRUE(is_troupe_error(loaded.error()));
  EXPECT_EQ(plugin_of(loaded.error()), "kv");
  EXPECT_NE(detail_of(loaded.error()).find(path), std::string::npos) << describe(loaded.error());
  auto state = rt.health("kv");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->state.code, state_code::error);
  auto unloaded = rt.step(lifecycle_op::unload, "kv");
  ASSERT_TRUE(unloaded) << describe(unloaded.error());
}

// Known bug (see the test report): "keys" builds each key from sqlite3_column_text as a C
// string, so a key with an embedded NUL comes back cut at the NUL although put and get accept it.
TEST_F(KvStore, KeysWithAnEmbeddedNulAreListedWhole) {
  kv_node node{sys, db};
  const std::string key("a\0b", 3);
  ASSERT_EQ(node.ok({{"op", "put"}, {"key", key}, {"value", 1}}), (json{{"ok", true}}));
  EXPECT_EQ(node.ok({{"op", "get"}, {"key", key}}), json(1));
  EXPECT_EQ(node.ok({{"op", "keys"}}), (json{key}));
}

/// Runs `body` with a fresh actor system and runtime on `db`, then destroys both.
template <class F>
void with_fresh_node(const std::string& db, F body) {
  registered_config cfg;
  caf::actor_system sys{cfg};
  kv_node node{sys, db};
  body(node);
}

TEST(KvStorePersistence, ValueSurvivesAnOrderlyShutdownAndANewActorSystem) {
  temp_dir dir;
  auto db = dir.file("persist.db");
  with_fresh_node(db, [](kv_node& node) {
    ASSERT_TRUE(node.call({{"op", "put"}, {"key", "greeting"}, {"value", "hello"}}));
    ASSERT_TRUE(node.rt.shutdown_all());
  });
  with_fresh_node(db, [](kv_node& node) {
    auto got = node.call({{"op", "get"}, {"key", "greeting"}});
    ASSERT_TRUE(got) << describe(got.error());
    EXPECT_EQ(*got, json("hello"));
    EXPECT_EQ(node.ok({{"op", "count"}}), json(1));
  });
}

TEST(KvStorePersistence, ValueSurvivesDestroyingTheRuntimeWithoutShutdown) {
  temp_dir dir;
  auto db = dir.file("persist.db");
  with_fresh_node(db, [](kv_node& node) {
    ASSERT_TRUE(node.call({{"op", "put"}, {"key", "n"}, {"value", 7}}));
    ASSERT_TRUE(node.call({{"op", "put"}, {"key", "gone"}, {"value", 0}}));
    ASSERT_TRUE(node.call({{"op", "delete"}, {"key", "gone"}}));
  });
  with_fresh_node(db, [](kv_node& node) {
    EXPECT_EQ(node.ok({{"op", "get"}, {"key", "n"}}), json(7));
    EXPECT_EQ(node.ok({{"op", "keys"}}), (json{"n"}));
  });
}

} // namespace
} // namespace troupe::test
