// Error formatting (messages/errors.hpp) and the plain plugin types (messages/plugin_types.hpp).

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/sec.hpp>
#include <gtest/gtest.h>

#include "messages/errors.hpp"
#include "messages/plugin_types.hpp"

namespace troupe {
namespace {

// -- errors --------------------------------------------------------------------------------------

TEST(Errors, MakeErrorCarriesCategoryCodePluginAndDetail) {
  auto err = make_error(errc::invalid_state, "echo", "cannot execute while Paused");
  EXPECT_TRUE(static_cast<bool>(err));
  EXPECT_TRUE(is_troupe_error(err));
  EXPECT_EQ(err.category(), error_category);
  EXPECT_EQ(err.code(), static_cast<std::uint8_t>(errc::invalid_state));
  EXPECT_EQ(plugin_of(err), "echo");
  EXPECT_EQ(detail_of(err), "cannot execute while Paused");
  EXPECT_EQ(code_name(err), "invalid_state");
}

TEST(Errors, ArchitectureDocListsEveryErrorCodeInItsTable) {
  std::ifstream in{TROUPE_DOCS_DIR "/architecture.md"};
  ASSERT_TRUE(in) << "cannot read docs/architecture.md";
  std::stringstream doc;
  doc << in.rdbuf();
  for (auto code = static_cast<std::uint8_t>(errc::invalid_state);
       code <= static_cast<std::uint8_t>(errc::unauthorized); ++code) {
    auto name = to_string(static_cast<errc>(code));
    EXPECT_NE(doc.str().find("| `" + name + "` |"), std::string::npos)
      << "docs/architecture.md's error table lacks " << name;
  }
}

TEST(Errors, DescribeNamesCodePluginAndDetail) {
  EXPECT_EQ(describe(make_error(errc::invalid_state, "echo", "cannot execute while Paused")),
            "invalid_state: plugin 'echo': cannot execute while Paused");
}

TEST(Errors, DescribeLeavesOutAnEmptyPluginOrDetail) {
  EXPECT_EQ(describe(make_error(errc::config_error, "", "port must be positive")),
            "config_error: port must be positive");
  EXPECT_EQ(describe(make_error(errc::timeout, "slow", "")), "timeout: plugin 'slow'");
  EXPECT_EQ(describe(make_error(errc::unavailable, "", "")), "unavailable");
}

TEST(Errors, DescribeOfNoErrorSaysSo) {
  EXPECT_EQ(describe(caf::error{}), "no error");
  EXPECT_FALSE(is_troupe_error(caf::error{}));
  EXPECT_EQ(plugin_of(caf::error{}), "");
}

TEST(Errors, EveryCodeHasItsSnakeCaseName) {
  std::vector<std::string> names;
  for (int code = 1; code <= 12; ++code)
    names.push_back(to_string(static_cast<errc>(code)));
  EXPECT_EQ(names, (std::vector<std::string>{
                     "invalid_state", "not_found", "already_exists", "plugin_failed", "timeout",
                     "bad_input", "missing_dependency", "dependency_cycle", "load_failed",
                     "abi_mismatch", "config_error", "unavailable"}));
  EXPECT_EQ(to_string(static_cast<errc>(200)), "unknown_error");
}

TEST(Errors, CafSystemErrorsAreNotTroupeErrorsButStillDescribed) {
  caf::error err = caf::make_error(caf::sec::request_timeout);
  EXPECT_FALSE(is_troupe_error(err));
  EXPECT_EQ(plugin_of(err), "");
  EXPECT_EQ(code_name(err), "system:request_timeout");
  EXPECT_EQ(detail_of(err), caf::to_string(err));
  EXPECT_EQ(describe(err), caf::to_string(err));
}

TEST(Errors, OtherCategoriesRenderAsCategoryAndNumber) {
  caf::error err(7, caf::atom("other"));
  EXPECT_EQ(code_name(err), "other:7");
  EXPECT_FALSE(is_troupe_error(err));
}

TEST(Errors, TroupeErrorWithoutContextStillHasItsCodeName) {
  caf::error bare{static_cast<std::uint8_t>(errc::not_found), error_category};
  EXPECT_TRUE(is_troupe_error(bare));
  EXPECT_EQ(plugin_of(bare), "");
  EXPECT_EQ(code_name(bare), "not_found");
  EXPECT_EQ(describe(bare), "not_found");
}

TEST(Errors, RendererMatchesDescribe) {
  auto err = make_error(errc::plugin_failed, "kv", "SQLite: disk I/O error");
  EXPECT_EQ(render_error(err.code(), err.category(), err.context()), describe(err));
}

// -- plugin types --------------------------------------------------------------------------------

TEST(PluginType, KnownKindsRenderAndParseBack) {
  for (auto kind : {plugin_kind::llm, plugin_kind::tool, plugin_kind::storage, plugin_kind::memory,
                    plugin_kind::vector_db, plugin_kind::communication, plugin_kind::monitor,
                    plugin_kind::skill}) {
    plugin_type t{kind, {}};
    auto parsed = parse_plugin_type(to_string(t));
    ASSERT_TRUE(parsed) << to_string(t);
    EXPECT_EQ(*parsed, t) << to_string(t);
  }
}

TEST(PluginType, NamesAreTheDocumentedWords) {
  EXPECT_EQ(to_string(plugin_type{plugin_kind::llm, {}}), "llm");
  EXPECT_EQ(to_string(plugin_type{plugin_kind::vector_db, {}}), "vector_db");
  EXPECT_EQ(to_string(plugin_type{plugin_kind::custom, "translator"}), "custom:translator");
}

TEST(PluginType, ParsingIsCaseInsensitiveAndAcceptsVectordb) {
  EXPECT_EQ(*parse_plugin_type("LLM"), (plugin_type{plugin_kind::llm, {}}));
  EXPECT_EQ(*parse_plugin_type("Tool"), (plugin_type{plugin_kind::tool, {}}));
  EXPECT_EQ(*parse_plugin_type("vectordb"), (plugin_type{plugin_kind::vector_db, {}}));
  EXPECT_EQ(*parse_plugin_type("VectorDB"), (plugin_type{plugin_kind::vector_db, {}}));
  EXPECT_EQ(*parse_plugin_type("vector_db"), (plugin_type{plugin_kind::vector_db, {}}));
}

TEST(PluginType, CustomKeepsItsNameAndCase) {
  EXPECT_EQ(*parse_plugin_type("custom:Translator"),
            (plugin_type{plugin_kind::custom, "Translator"}));
  EXPECT_EQ(*parse_plugin_type("CUSTOM:x"), (plugin_type{plugin_kind::custom, "x"}));
  auto t = plugin_type{plugin_kind::custom, "translator"};
  EXPECT_EQ(*parse_plugin_type(to_string(t)), t);
}

TEST(PluginType, UnknownWordBecomesCustomAndEmptyIsNothing) {
  EXPECT_EQ(*parse_plugin_type("summarizer"), (plugin_type{plugin_kind::custom, "summarizer"}));
  EXPECT_FALSE(parse_plugin_type(""));
}

TEST(PluginType, CustomTypesCompareByNameKnownKindsIgnoreIt) {
  EXPECT_NE((plugin_type{plugin_kind::custom, "a"}), (plugin_type{plugin_kind::custom, "b"}));
  EXPECT_EQ((plugin_type{plugin_kind::tool, "a"}), (plugin_type{plugin_kind::tool, "b"}));
  EXPECT_NE((plugin_type{plugin_kind::tool, {}}), (plugin_type{plugin_kind::llm, {}}));
}

TEST(PluginState, RendersNamesAndErrorReason) {
  EXPECT_EQ(to_string(plugin_state{state_code::unloaded, {}}), "Unloaded");
  EXPECT_EQ(to_string(plugin_state{state_code::loading, {}}), "Loading");
  EXPECT_EQ(to_string(plugin_state{state_code::loaded, {}}), "Loaded");
  EXPECT_EQ(to_string(plugin_state{state_code::running, {}}), "Running");
  EXPECT_EQ(to_string(plugin_state{state_code::paused, {}}), "Paused");
  EXPECT_EQ(to_string(plugin_state{state_code::error, "disk full"}), "Error(disk full)");
}

TEST(PluginState, ComparesCodeAndReason) {
  EXPECT_EQ((plugin_state{state_code::error, "x"}), (plugin_state{state_code::error, "x"}));
  EXPECT_NE((plugin_state{state_code::error, "x"}), (plugin_state{state_code::error, "y"}));
  EXPECT_NE((plugin_state{state_code::loaded, {}}), (plugin_state{state_code::running, {}}));
}

} // namespace
} // namespace troupe
