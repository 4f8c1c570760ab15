// The pure lifecycle state machine (actors/lifecycle.hpp), checked exhaustively against a table
// written independently from the diagram in the header.

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <caf/atom.hpp>
#include <gtest/gtest.h>

#include "actors/lifecycle.hpp"

namespace troupe {
namespace {

const std::vector<state_code> all_states{state_code::unloaded, state_code::loading,
                                         state_code::loaded,   state_code::running,
                                         state_code::paused,   state_code::error};
const std::vector<lifecycle_op> all_ops{lifecycle_op::load,  lifecycle_op::init,
                                        lifecycle_op::start, lifecycle_op::pause,
                                        lifecycle_op::resume, lifecycle_op::stop,
                                        lifecycle_op::unload};

/// The diagram of actors/lifecycle.hpp as a table:
///   Unloaded --load--> Loaded --init--> Loaded(initialized) --start--> Running
///   Running --pause--> Paused --resume--> Running
///   Running | Paused --stop--> Loaded(initialized)
///   Loaded | Error --unload--> Unloaded
std::optional<lifecycle_position> expected_next(lifecycle_position from, lifecycle_op op) {
  using sc = state_code;
  switch (op) {
    case lifecycle_op::load:
      if (from.code == sc::unloaded)
        return lifecycle_position{sc::loaded, false};
      break;
    case lifecycle_op::init:
      if (from.code == sc::loaded && !from.initialized)
        return lifecycle_position{sc::loaded, true};
      break;
    case lifecycle_op::start:
      if (from.code == sc::loaded && from.initialized)
        return lifecycle_position{sc::running, true};
      break;
    case lifecycle_op::pause:
      if (from.code == sc::running)
        return lifecycle_position{sc::paused, true};
      break;
    case lifecycle_op::resume:
      if (from.code == sc::paused)
        return lifecycle_position{sc::running, true};
      break;
    case lifecycle_op::stop:
      if (from.code == sc::running || from.code == sc::paused)
        return lifecycle_position{sc::loaded, true};
      break;
    case lifecycle_op::unload:
      if (from.code == sc::loaded || from.code == sc::error)
        return lifecycle_position{sc::unloaded, false};
      break;
  }
  return std::nullopt;
}

std::string label(lifecycle_position p, lifecycle_op op) {
  return to_string(op) + std::string(" from ") + to_string(p.code)
         + (p.initialized ? "(initialized)" : "");
}

TEST(LifecycleTable, EveryStateInitializedAndOpMatchesTheDiagram) {
  int legal = 0;
  int checked = 0;
  for (auto code : all_states) {
    for (bool initialized : {false, true}) {
      for (auto op : all_ops) {
        lifecycle_position from{code, initialized};
        std::string why = "untouched";
        auto got = next_position(from, op, &why);
        auto want = expected_next(from, op);
        ++checked;
        ASSERT_EQ(got.has_value(), want.has_value()) << label(from, op) << ": " << why;
        if (!want) {
          EXPECT_EQ(why.rfind(std::string("cannot ") + to_string(op), 0), 0u)
            << label(from, op) << " gave reason '" << why << "'";
          continue;
        }
        ++legal;
        EXPECT_EQ(got->code, want->code) << label(from, op);
        EXPECT_EQ(got->initialized, want->initialized) << label(from, op);
      }
    }
  }
  EXPECT_EQ(checked, 6 * 2 * 7);
  // load x2 (initialized flag ignored), init, start, pause x2, resume x2, stop x4, unload x4.
  EXPECT_EQ(legal, 2 + 1 + 1 + 2 + 2 + 4 + 4);
}

TEST(LifecycleTable, IllegalStepWithoutReasonPointerDoesNotCrash) {
  EXPECT_FALSE(next_position({state_code::running, true}, lifecycle_op::unload, nullptr));
  EXPECT_FALSE(next_position({state_code::running, true}, lifecycle_op::unload));
}

TEST(LifecycleTable, IllegalReasonsNameTheCurrentState) {
  std::string why;
  EXPECT_FALSE(next_position({state_code::paused, true}, lifecycle_op::start, &why));
  EXPECT_EQ(why, "cannot start while Paused");
  EXPECT_FALSE(next_position({state_code::running, true}, lifecycle_op::unload, &why));
  EXPECT_NE(why.find("while Running"), std::string::npos) << why;
  EXPECT_NE(why.find("stop it first"), std::string::npos) << why;
  EXPECT_FALSE(next_position({state_code::error, false}, lifecycle_op::start, &why));
  EXPECT_NE(why.find("while Error"), std::string::npos) << why;
}

TEST(LifecycleTable, InitTwiceSinceLoadIsIllegal) {
  std::string why;
  auto once = next_position({state_code::loaded, false}, lifecycle_op::init, &why);
  ASSERT_TRUE(once);
  EXPECT_FALSE(next_position(*once, lifecycle_op::init, &why));
  EXPECT_NE(why.find("already initialized"), std::string::npos) << why;
}

TEST(LifecycleTable, StartWithoutInitIsIllegalAndSaysSendInit) {
  std::string why;
  EXPECT_FALSE(next_position({state_code::loaded, false}, lifecycle_op::start, &why));
  EXPECT_NE(why.find("send init first"), std::string::npos) << why;
}

TEST(LifecycleTable, StopKeepsInitializedSoStartNeedsNoSecondInit) {
  auto stopped = next_position({state_code::running, true}, lifecycle_op::stop);
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->code, state_code::loaded);
  EXPECT_TRUE(next_position(*stopped, lifecycle_op::start));
  EXPECT_FALSE(next_position(*stopped, lifecycle_op::init));
}

TEST(LifecycleTable, UnloadForgetsInitializationSoTheNextLoadNeedsInitAgain) {
  auto unloaded = next_position({state_code::loaded, true}, lifecycle_op::unload);
  ASSERT_TRUE(unloaded);
  auto loaded = next_position(*unloaded, lifecycle_op::load);
  ASSERT_TRUE(loaded);
  EXPECT_FALSE(loaded->initialized);
  EXPECT_FALSE(next_position(*loaded, lifecycle_op::start));
}

TEST(LifecycleOps, NamesAreTheStepNames) {
  std::vector<std::string> names;
  for (auto op : all_ops)
    names.emplace_back(to_string(op));
  EXPECT_EQ(names, (std::vector<std::string>{"load", "init", "start", "pause", "resume", "stop",
                                             "unload"}));
}

TEST(LifecycleOps, EachOpMapsToItsOwnAtom) {
  std::vector<std::string> atoms;
  for (auto op : all_ops)
    atoms.push_back(with_lifecycle_atom(
      op, [](auto atom) { return caf::to_string(static_cast<caf::atom_value>(atom)); }));
  EXPECT_EQ(atoms, (std::vector<std::string>{"t_load", "t_init", "t_start", "t_pause", "t_resume",
                                             "t_stop", "t_unload"}));
}

} // namespace
} // namespace troupe
