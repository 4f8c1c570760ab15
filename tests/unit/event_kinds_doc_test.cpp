// Every runtime event kind (messages/runtime_event.hpp) is documented in docs/supervision.md's
// table of events, by the name `troupe events` prints.

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "messages/runtime_event.hpp"

namespace troupe {
namespace {

TEST(RuntimeEvents, SupervisionDocListsEveryEventKindInItsTable) {
  std::ifstream in{TROUPE_DOCS_DIR "/supervision.md"};
  ASSERT_TRUE(in) << "cannot read docs/supervision.md";
  std::stringstream doc;
  doc << in.rdbuf();
  for (auto k = static_cast<std::uint8_t>(event_kind::crashed);
       k <= static_cast<std::uint8_t>(event_kind::alert); ++k) {
    auto name = to_string(static_cast<event_kind>(k));
    EXPECT_NE(name, "unknown") << "event kind " << int{k} << " has no name";
    EXPECT_NE(doc.str().find("| `" + name + "` |"), std::string::npos)
      << "docs/supervision.md's event table lacks " << name;
  }
}

} // namespace
} // namespace troupe
