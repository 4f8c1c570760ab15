// The cluster's call router and the directory's view of other nodes, through real actors in one
// process: replicas of "other nodes" are actors entered in the directory as remote replicas, and
// a node going away is its replica actor ending (as CAF ends the proxies of a lost connection).

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actor_fixture.hpp"
#include "actors/plugin_directory.hpp"
#include "cluster/call_router.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe::test {
namespace {

/// A replica that answers execute with its node's name.
caf::behavior answering_replica(caf::event_based_actor*, std::string node) {
  return {[node](execute_atom, const payload&) { return pack(node); }};
}

/// A replica that takes calls and never answers them; it tells `seen` of each one.
caf::behavior silent_replica(caf::event_based_actor* self, caf::actor seen) {
  return {[self, seen](execute_atom, const payload&) {
    auto promise = self->make_response_promise(); // kept: the call stays open
    self->send(seen, execute_atom::value);
    return promise;
  }};
}

/// A replica that holds its first call until it gets `release_atom`-like (done_atom) and answers
/// every later call (one or a batch) with its input; it tells `seen` the size of each message.
caf::behavior gated_replica(caf::event_based_actor* self, caf::actor seen) {
  auto held = std::make_shared<caf::response_promise>();
  auto first = std::make_shared<payload>();
  return {
    [=](execute_atom, payload& in) -> caf::result<payload> {
      self->send(seen, std::size_t{1});
      if (held->pending())
        return in;
      *first = std::move(in);
      *held = self->make_response_promise();
      return *held;
    },
    [=](execute_atom, std::vector<payload>& batch) {
      self->send(seen, batch.size());
      std::vector<call_outcome> out;
      for (auto& p : batch)
        out.push_back(call_outcome{std::move(p), {}});
      return out;
    },
    [=](done_atom) { held->deliver(*first); },
  };
}

class CallRouter : public actor_fixture {
protected:
  plugin_actor replica_on(const std::string& node) {
    return caf::actor_cast<plugin_actor>(sys.spawn(answering_replica, node));
  }

  void enter(const std::string& node, const std::string& id, plugin_actor at, bool idempotent) {
    directory->set_remote(node, id, remote_replica{node, std::move(at), idempotent});
  }

  /// Sends a call from `self` and returns its request id, to be received later.
  caf::message_id call(caf::scoped_actor& self, const std::string& id) {
    return self->request(router, request_timeout, execute_atom::value, id, pack(1)).id();
  }

  caf::expected<std::string> answer(caf::scoped_actor& self, caf::message_id mid) {
    caf::expected<std::string> out{caf::error{}};
    caf::blocking_actor::accept_one_cond rc;
    self->varargs_receive(
      rc, mid, [&](payload& p) { out = *unpack_as<std::string>(p); },
      [&](caf::error& err) { out = std::move(err); });
    return out;
  }

  std::shared_ptr<plugin_directory> directory = std::make_shared<plugin_directory>();
  router_actor router = spawn_call_router(sys, "here", directory);
};

TEST_F(CallRouter, SpreadsCallsOverTheLiveReplicasInTurn) {
  enter("a", "p", replica_on("a"), false);
  enter("b", "p", replica_on("b"), false);
  std::map<std::string, int> served;
  for (int i = 0; i < 6; ++i) {
    auto out = ask<payload>(router, execute_atom::value, std::string{"p"}, pack(i));
    ASSERT_TRUE(out) << describe(out.error());
    ++served[*unpack_as<std::string>(*out)];
  }
  EXPECT_EQ(served, (std::map<std::string, int>{{"a", 3}, {"b", 3}}));
}

TEST_F(CallRouter, CallsWaitingForOneReplicaLeaveTogetherAsOneBatch) {
  caf::scoped_actor self{sys};
  auto gated = sys.spawn(gated_replica, caf::actor{self});
  enter("a", "p", caf::actor_cast<plugin_actor>(gated), false);
  auto send = [&](int i) {
    return self->request(router, request_timeout, execute_atom::value, std::string{"p"}, pack(i))
      .id();
  };
  std::vector<caf::message_id> calls{send(0)};
  self->receive([](std::size_t n) { EXPECT_EQ(n, 1u); }); // the first left alone, and waits
  for (int i = 1; i < 10; ++i)
    calls.push_back(send(i));
  // The router answers this at once: it has queued the nine calls before it (one mailbox, FIFO).
  auto probe = self->request(router, request_timeout, execute_atom::value, std::string{"none"},
                             pack(0)).id();
  caf::blocking_actor::accept_one_cond rc;
  self->varargs_receive(rc, probe, [](payload&) {}, [](caf::error&) {});
  caf::anon_send(gated, done_atom::value);
  self->receive([](std::size_t n) { EXPECT_EQ(n, 9u); }); // the other nine: one message
  for (int i = 0; i < 10; ++i) {
    caf::expected<int> out{caf::error{}};
    self->varargs_receive(rc, calls[i], [&](payload& p) { out = *unpack_as<int>(p); },
                          [&](caf::error& err) { out = std::move(err); });
    ASSERT_TRUE(out) << describe(out.error());
    EXPECT_EQ(*out, i); // each call gets its own answer
  }
  caf::anon_send_exit(gated, caf::exit_reason::user_shutdown);
}

TEST_F(CallRouter, AnIdempotentCallCutOffByItsNodeIsServedByAnotherReplica) {
  caf::scoped_actor self{sys};
  auto silent = sys.spawn(silent_replica, caf::actor{self});
  enter("a", "p", caf::actor_cast<plugin_actor>(silent), true);
  auto mid = call(self, "p");
  self->receive([](execute_atom) {}); // the call reached node a
  enter("b", "p", replica_on("b"), true);
  caf::anon_send_exit(silent, caf::exit_reason::remote_link_unreachable);
  auto out = answer(self, mid);
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*out, "b");
}

TEST_F(CallRouter, ANonIdempotentCallCutOffByItsNodeFailsNamingPluginAndNode) {
  caf::scoped_actor self{sys};
  auto silent = sys.spawn(silent_replica, caf::actor{self});
  enter("a", "p", caf::actor_cast<plugin_actor>(silent), false);
  auto mid = call(self, "p");
  self->receive([](execute_atom) {}); // the call reached node a
  enter("b", "p", replica_on("b"), false);
  caf::anon_send_exit(silent, caf::exit_reason::remote_link_unreachable);
  auto out = answer(self, mid);
  EXPECT_TROUPE_ERROR(out, errc::unavailable);
  auto text = describe(out.error());
  EXPECT_EQ(plugin_of(out.error()), "p");
  EXPECT_NE(text.find("node 'a'"), std::string::npos) << text;
  EXPECT_NE(text.find("not marked idempotent"), std::string::npos) << text;
}

TEST_F(CallRouter, AReplicaWhoseNodeIsKnownGoneIsSkippedEvenForANonIdempotentCall) {
  auto gone = replica_on("a");
  caf::scoped_actor self{sys};
  self->monitor(gone);
  caf::anon_send_exit(gone, caf::exit_reason::remote_link_unreachable);
  self->receive([](caf::down_msg&) {});
  enter("a", "p", gone, false);
  enter("b", "p", replica_on("b"), false);
  for (int i = 0; i < 4; ++i) { // never sent to a: it could not have run there
    auto out = ask<payload>(router, execute_atom::value, std::string{"p"}, pack(i));
    ASSERT_TRUE(out) << describe(out.error());
    EXPECT_EQ(*unpack_as<std::string>(*out), "b");
  }
}

TEST_F(CallRouter, APluginWhoseOnlyNodeWentAwayIsUnavailableNamingTheNode) {
  enter("a", "p", replica_on("a"), false);
  directory->erase_node("a");
  auto out = ask<payload>(router, execute_atom::value, std::string{"p"}, pack(1));
  EXPECT_TROUPE_ERROR(out, errc::unavailable);
  EXPECT_NE(describe(out.error()).find("node 'a'"), std::string::npos);
  auto unknown = ask<payload>(router, execute_atom::value, std::string{"q"}, pack(1));
  EXPECT_TROUPE_ERROR(unknown, errc::not_found);
}

TEST_F(CallRouter, ARemoteErrorComesBackNamingItsNode) {
  auto failing = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](execute_atom, const payload&) -> caf::result<payload> {
      return make_error(errc::plugin_failed, "p", "it broke");
    }};
  });
  enter("a", "p", caf::actor_cast<plugin_actor>(failing), false);
  auto out = ask<payload>(router, execute_atom::value, std::string{"p"}, pack(1));
  EXPECT_TROUPE_ERROR(out, errc::plugin_failed);
  EXPECT_EQ(detail_of(out.error()), "it broke [node 'a']");
}

TEST(PluginDirectory, OtherNodesReplicasComeAndGoWithTheirNode) {
  plugin_directory d;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto at = caf::actor_cast<plugin_actor>(sys.spawn([] { return caf::behavior{}; }));
  d.set_remote("a", "p", {"a", at, false});
  d.set_remote("a", "r#1", {"a", at, false});
  d.set_remote("b", "r#2", {"b", at, true});
  EXPECT_TRUE(d.hosted_elsewhere("p"));
  EXPECT_EQ(d.remote_replicas("r").size(), 2u);
  ASSERT_EQ(d.remote_replicas("r#2").size(), 1u);
  EXPECT_EQ(d.remote_replicas("r#2").front().node, "b");
  EXPECT_EQ(d.count_on("a"), 2u);
  d.erase_node("a");
  EXPECT_FALSE(d.hosted_elsewhere("p"));
  EXPECT_EQ(d.lost_with("p"), "a");
  EXPECT_EQ(d.lost_with("r"), ""); // b still hosts one
  d.set_remote("c", "p", {"c", at, false});
  EXPECT_EQ(d.lost_with("p"), "");
  caf::anon_send_exit(at, caf::exit_reason::user_shutdown);
}

TEST(PluginDirectory, LocalReplicasTakeTurnsUnderTheirPluginsId) {
  plugin_directory d;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto one = caf::actor_cast<plugin_actor>(sys.spawn([] { return caf::behavior{}; }));
  auto two = caf::actor_cast<plugin_actor>(sys.spawn([] { return caf::behavior{}; }));
  std::vector<std::string> told;
  d.observe([&](const std::string& id, const plugin_actor&, bool) { told.push_back(id); });
  d.set("w#1", one);
  d.set("w#2", two);
  std::set<caf::actor_addr> seen;
  for (int i = 0; i < 4; ++i)
    seen.insert(d.find("w").address());
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_EQ(d.find("w#2"), two);
  d.erase("w#1");
  EXPECT_EQ(d.find("w"), two);
  EXPECT_EQ(told, (std::vector<std::string>{"w#1", "w#2", "w#1"}));
  EXPECT_EQ(plugin_directory::base_of("w#2"), "w");
  EXPECT_EQ(plugin_directory::base_of("w"), "w");
  caf::anon_send_exit(one, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(two, caf::exit_reason::user_shutdown);
}

} // namespace
} // namespace troupe::test
