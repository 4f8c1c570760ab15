#pragma once
// An llm plugin object driven directly (no actor): settings from a map, a context of its own, a
// sleeper that records the delays between retries instead of sleeping, and a test server.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "llm_test_server.hpp"
#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "plugins/api/plugin_context.hpp"
#include "plugins/builtin/llm/llm_plugin.hpp"

namespace troupe::test {

using nlohmann::json;
using settings_map = std::map<std::string, std::string>;

class llm_fixture : public ::testing::Test {
protected:
  /// Settings every test starts from: the test server, a default model, retries 2, backoff 100.
  settings_map base() const {
    return {{"base_url", server.base_url()}, {"model", "test-model"}, {"backoff_ms", "100"}};
  }

  /// Makes and loads the plugin with `settings`; load's error.
  caf::error load(settings_map settings) {
    plugin_config cfg;
    cfg.id = "llm";
    cfg.settings = std::move(settings);
    ctx = std::make_unique<plugin_context>(std::move(cfg), std::make_shared<shared_state>());
    llm = std::make_unique<builtin::llm_plugin>(
      [this](std::chrono::milliseconds d) { sleeps.push_back(d); });
    return llm->load(*ctx);
  }

  /// Loads with `settings` and fails the test if load fails.
  void ready(settings_map settings) {
    auto err = load(std::move(settings));
    ASSERT_FALSE(err) << describe(err);
  }

  /// The model call without hooks (execute), as JSON.
  caf::expected<json> chat(const json& request) {
    auto out = llm->execute(*ctx, payload_from_json(request));
    if (!out)
      return std::move(out.error());
    return payload_to_json(*out);
  }

  static json hello() { return {{"messages", {{{"role", "user"}, {"content", "hi"}}}}}; }

  chat_server server;
  std::vector<std::chrono::milliseconds> sleeps;
  std::unique_ptr<plugin_context> ctx;
  std::unique_ptr<builtin::llm_plugin> llm;
};

} // namespace troupe::test

/// Asserts that `ev` (a caf::expected) holds a Troupe error with code `wanted`.
#define EXPECT_LLM_ERROR(ev, wanted)                                                             \
  do {                                                                                           \
    const auto& llm_ev_ = (ev);                                                                  \
    ASSERT_FALSE(llm_ev_) << "expected " << ::troupe::to_string(wanted) << ", got a value";      \
    EXPECT_EQ(::troupe::code_name(llm_ev_.error()), ::troupe::to_string(wanted))                 \
      << ::troupe::describe(llm_ev_.error());                                                    \
  } while (false)
