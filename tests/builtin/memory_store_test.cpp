// The memory plugin's store without actors: append, recall by words (FTS5, bm25), recent,
// forget, counts, FTS5 syntax in queries taken as plain words, persistence across reopening.

#include <gtest/gtest.h>

#include "actor_fixture.hpp"
#include "plugins/builtin/memory/memory_store.hpp"

namespace troupe::builtin {
namespace {

using test::temp_dir;

/// A store on `path` whose clock advances 1 ms per read, starting at 1000.
std::unique_ptr<memory_store> open_store(const std::string& path = ":memory:") {
  auto t = std::make_shared<std::int64_t>(1000);
  auto store = memory_store::open(path, "mem", [t] { return (*t)++; });
  EXPECT_TRUE(store) << describe(store.error());
  return store ? std::move(*store) : nullptr;
}

memory_entry message(std::string agent, std::string session, std::string role,
                     std::string content) {
  memory_entry e;
  e.agent = std::move(agent);
  e.session = std::move(session);
  e.kind = "message";
  e.role = std::move(role);
  e.content = std::move(content);
  return e;
}

memory_entry fact(std::string agent, std::string content) {
  memory_entry e;
  e.agent = std::move(agent);
  e.kind = "fact";
  e.content = std::move(content);
  return e;
}

std::vector<std::string> contents(const caf::expected<std::vector<memory_entry>>& entries) {
  std::vector<std::string> out;
  EXPECT_TRUE(entries) << describe(entries.error());
  if (entries)
    for (const auto& e : *entries)
      out.push_back(e.content);
  return out;
}

TEST(MemoryQuery, EveryWordIsQuotedAndJoinedWithOr) {
  EXPECT_EQ(fts_query_for("red  apples"), R"("red" OR "apples")");
  EXPECT_EQ(fts_query_for(R"(say "hi)"), R"("say" OR """hi")");
  EXPECT_EQ(fts_query_for("a AND b*"), R"("a" OR "AND" OR "b*")");
  EXPECT_EQ(fts_query_for("   \t\n"), "");
  EXPECT_EQ(fts_query_for("one two three", 2), R"("one" OR "two")");
}

TEST(MemoryStore, AppendAnswersIncreasingIdsAndTheClocksTime) {
  auto store = open_store();
  auto a = store->append(message("ann", "s1", "user", "hello"));
  auto b = store->append(fact("ann", "likes tea"));
  ASSERT_TRUE(a && b);
  EXPECT_LT(a->id, b->id);
  EXPECT_EQ(a->time_ms, 1000);
  EXPECT_EQ(b->time_ms, 1001);
  EXPECT_EQ(b->kind, "fact");
}

TEST(MemoryStore, RecentAnswersTheLastEntriesOldestFirst) {
  auto store = open_store();
  for (auto text : {"one", "two", "three", "four"})
    ASSERT_TRUE(store->append(message("ann", "s1", "user", text)));
  ASSERT_TRUE(store->append(message("ann", "s2", "user", "other session")));
  ASSERT_TRUE(store->append(message("bob", "s1", "user", "other agent")));
  EXPECT_EQ(contents(store->recent({"ann", std::string("s1"), {}}, 3)),
            (std::vector<std::string>{"two", "three", "four"}));
  EXPECT_EQ(contents(store->recent({"ann", {}, {}}, 2)),
            (std::vector<std::string>{"four", "other session"}));
}

TEST(MemoryStore, RecallRanksEntriesMatchingMoreWordsFirstAndFiltersByAgentSessionAndKind) {
  auto store = open_store();
  ASSERT_TRUE(store->append(message("ann", "s1", "user", "the weather is rainy today")));
  ASSERT_TRUE(store->append(fact("ann", "ann prefers green tea when the weather is rainy")));
  ASSERT_TRUE(store->append(message("ann", "s1", "assistant", "nothing relevant here")));
  ASSERT_TRUE(store->append(fact("bob", "bob prefers green tea")));
  auto found = store->recall({"ann", {}, {}}, "green tea", 10);
  EXPECT_EQ(contents(found), (std::vector<std::string>{"ann prefers green tea when the weather is rainy"}));
  auto both = store->recall({"ann", {}, {}}, "rainy tea", 10);
  ASSERT_EQ(contents(both).size(), 2u);
  EXPECT_EQ((*both)[0].kind, "fact"); // matches both words
  EXPECT_LT((*both)[0].score, (*both)[1].score);
  EXPECT_EQ(contents(store->recall({"ann", {}, std::string("message")}, "rainy tea", 10)),
            (std::vector<std::string>{"the weather is rainy today"}));
  EXPECT_EQ(contents(store->recall({"ann", std::string("s2"), {}}, "rainy", 10)).size(), 0u);
  EXPECT_EQ(contents(store->recall({"ann", {}, {}}, "rainy", 1)).size(), 1u);
}

TEST(MemoryStore, Fts5SyntaxInAQueryIsTakenAsPlainWordsAndNeverFails) {
  auto store = open_store();
  ASSERT_TRUE(store->append(fact("ann", "cats AND dogs (NOT birds) near the content: column")));
  for (std::string q : {"\"unbalanced", "AND", "OR OR", "NOT", "content:cats", "cat*", "(dogs",
                        "NEAR(cats dogs)", "^cats", "-dogs", "!!!", "'", "\"\"", "{content}: x",
                        "a\"b\"c", "*", "+", "cats AND", "\xe2\x82\xac"}) {
    auto found = store->recall({"ann", {}, {}}, q, 10);
    EXPECT_TRUE(found) << "query [" << q << "]: " << describe(found.error());
  }
  // The operator words are words: the entry contains "and", "not", "near".
  EXPECT_EQ(contents(store->recall({"ann", {}, {}}, "AND", 10)).size(), 1u);
  EXPECT_EQ(contents(store->recall({"ann", {}, {}}, "NEAR(", 10)).size(), 1u);
  EXPECT_EQ(contents(store->recall({"ann", {}, {}}, "cat*", 10)).size(), 0u); // no prefix search
  EXPECT_EQ(contents(store->recall({"ann", {}, {}}, "", 10)).size(), 0u);
}

TEST(MemoryStore, ForgetsOneEntryASessionOrAllOfAnAgentAndNothingOfOthers) {
  auto store = open_store();
  auto first = store->append(message("ann", "s1", "user", "alpha"));
  ASSERT_TRUE(store->append(message("ann", "s1", "user", "beta")));
  ASSERT_TRUE(store->append(message("ann", "s2", "user", "gamma")));
  ASSERT_TRUE(store->append(fact("ann", "delta")));
  ASSERT_TRUE(store->append(message("bob", "s1", "user", "alpha")));
  EXPECT_EQ(*store->forget_entry("bob", first->id), 0); // not bob's
  EXPECT_EQ(*store->forget_entry("ann", first->id), 1);
  EXPECT_EQ(contents(store->recall({"ann", {}, {}}, "alpha", 10)).size(), 0u);
  EXPECT_EQ(contents(store->recall({"bob", {}, {}}, "alpha", 10)).size(), 1u);
  EXPECT_EQ(*store->forget_session("ann", "s1"), 1);
  EXPECT_EQ(contents(store->recent({"ann", {}, {}}, 10)),
            (std::vector<std::string>{"gamma", "delta"}));
  EXPECT_EQ(*store->forget_agent("ann"), 2);
  EXPECT_EQ(store->counts("ann")->entries, 0);
  EXPECT_EQ(store->counts()->entries, 1);
  EXPECT_EQ(contents(store->recall({"ann", {}, {}}, "gamma delta", 10)).size(), 0u);
}

TEST(MemoryStore, CountsEntriesMessagesFactsAgentsAndSessions) {
  auto store = open_store();
  ASSERT_TRUE(store->append(message("ann", "s1", "user", "a")));
  ASSERT_TRUE(store->append(message("ann", "s2", "user", "b")));
  ASSERT_TRUE(store->append(fact("ann", "c")));
  ASSERT_TRUE(store->append(message("bob", "s1", "user", "d")));
  auto all = store->counts();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->entries, 4);
  EXPECT_EQ(all->messages, 3);
  EXPECT_EQ(all->facts, 1);
  EXPECT_EQ(all->agents, 2);
  EXPECT_EQ(all->sessions, 3);
  auto ann = store->counts("ann");
  EXPECT_EQ(ann->entries, 3);
  EXPECT_EQ(ann->sessions, 2);
  EXPECT_EQ(ann->agents, 1);
}

TEST(MemoryStore, EntriesAndTheirIndexSurviveReopeningTheFile) {
  temp_dir dir;
  auto path = dir.file("memory.db");
  std::int64_t kept = 0;
  {
    auto store = open_store(path);
    kept = store->append(fact("ann", "the launch code is penguin"))->id;
    ASSERT_TRUE(store->append(fact("ann", "forgotten soon")));
    ASSERT_EQ(*store->forget_entry("ann", kept + 1), 1);
  }
  auto again = open_store(path);
  auto found = again->recall({"ann", {}, {}}, "penguin", 10);
  ASSERT_EQ(contents(found), (std::vector<std::string>{"the launch code is penguin"}));
  EXPECT_EQ((*found)[0].id, kept);
  EXPECT_EQ(contents(again->recall({"ann", {}, {}}, "forgotten", 10)).size(), 0u);
  EXPECT_GT(again->append(fact("ann", "new"))->id, kept + 1); // ids are never reused
}

TEST(MemoryStore, OpeningAnUnwritablePathIsALoadFailedErrorNamingThePlugin) {
  auto store = memory_store::open("/nonexistent-dir/x/memory.db", "mem");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), static_cast<std::uint8_t>(errc::load_failed));
  EXPECT_EQ(plugin_of(store.error()), "mem");
}

} // namespace
} // namespace troupe::builtin
