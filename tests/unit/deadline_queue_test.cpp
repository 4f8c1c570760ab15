// The manager's request deadlines: an entry expires once its due time has passed unless its
// answer settled it first; expiries run in due order, each at most once.

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "actors/deadline_queue.hpp"

namespace troupe::detail {
namespace {

using std::chrono::milliseconds;
using time_point = deadline_queue::time_point;

TEST(DeadlineQueue, AnEntryExpiresOnlyOnceItsDueTimeHasPassed) {
  deadline_queue q;
  time_point t0{};
  int expired = 0;
  q.add(t0 + milliseconds{10}, [&] { ++expired; });
  q.expire(t0 + milliseconds{9});
  EXPECT_EQ(expired, 0);
  q.expire(t0 + milliseconds{10});
  EXPECT_EQ(expired, 1);
  q.expire(t0 + milliseconds{20});
  EXPECT_EQ(expired, 1) << "an entry expires once";
  EXPECT_EQ(q.size(), 0u);
}

TEST(DeadlineQueue, AnEntrySettledByItsAnswerNeverExpires) {
  deadline_queue q;
  time_point t0{};
  int expired = 0;
  auto ticket = q.add(t0 + milliseconds{10}, [&] { ++expired; });
  EXPECT_TRUE(q.settle(ticket)); // the answer came
  EXPECT_EQ(q.size(), 0u) << "a settled entry is forgotten at once";
  q.expire(t0 + milliseconds{50});
  EXPECT_EQ(expired, 0);
  EXPECT_FALSE(q.settle(ticket)) << "settled once";
}

TEST(DeadlineQueue, ExpiriesRunInDueOrderAndSettleTheirEntries) {
  deadline_queue q;
  time_point t0{};
  std::vector<std::string> order;
  auto late = q.add(t0 + milliseconds{30}, [&] { order.push_back("late"); });
  auto early = q.add(t0 + milliseconds{10}, [&] { order.push_back("early"); });
  q.expire(t0 + milliseconds{40});
  EXPECT_EQ(order, (std::vector<std::string>{"early", "late"}));
  EXPECT_FALSE(q.settle(early));
  EXPECT_FALSE(q.settle(late)) << "a late answer then finds its entry settled";
}

TEST(DeadlineQueue, AnExpiryMayAddANewEntry) {
  deadline_queue q;
  time_point t0{};
  int second = 0;
  q.add(t0 + milliseconds{10}, [&] { q.add(t0 + milliseconds{20}, [&] { ++second; }); });
  q.expire(t0 + milliseconds{15});
  EXPECT_EQ(q.size(), 1u);
  q.expire(t0 + milliseconds{25});
  EXPECT_EQ(second, 1);
}

} // namespace
} // namespace troupe::detail
