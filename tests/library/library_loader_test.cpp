// The shared-library loader: a good library (libtroupe_word_count.so), and missing, broken and
// mismatched ones, which are refused with error values while the process stays up.

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "actor_fixture.hpp"
#include "actors/runtime.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/native/library_loader.hpp"

namespace troupe::test {
namespace {

const std::string word_count_lib = TROUPE_TEST_WORD_COUNT_LIB;
const std::string no_symbols_lib = TROUPE_TEST_NO_SYMBOLS_LIB;
const std::string abi_999_lib = TROUPE_TEST_ABI_999_LIB;
const std::string null_create_lib = TROUPE_TEST_NULL_CREATE_LIB;

using counts = std::map<std::string, std::int64_t>;

void expect_refused(const caf::expected<std::unique_ptr<plugin>>& loaded, errc code,
                    const std::string& detail_part) {
  ASSERT_FALSE(loaded) << "the library was accepted";
  const auto& err = loaded.error();
  EXPECT_TRUE(is_troupe_error(err)) << describe(err);
  EXPECT_EQ(err.code(), static_cast<std::uint8_t>(code)) << describe(err);
  EXPECT_EQ(plugin_of(err), "lib-plugin") << describe(err);
  EXPECT_NE(detail_of(err).find(detail_part), std::string::npos) << describe(err);
}

// -- load_library_plugin -------------------------------------------------------------------------

TEST(LibraryLoader, GoodLibraryGivesAPluginWithItsMetadata) {
  auto loaded = load_library_plugin(word_count_lib, "wc");
  ASSERT_TRUE(loaded) << describe(loaded.error());
  auto md = (*loaded)->metadata();
  EXPECT_EQ(md.id, "word_count");
  EXPECT_EQ(md.name, "Word count");
  EXPECT_EQ(md.type, (plugin_type{plugin_kind::tool, {}}));
}

TEST(LibraryLoader, GoodLibraryExecutesWithoutAnActor) {
  auto loaded = load_library_plugin(word_count_lib, "wc");
  ASSERT_TRUE(loaded) << describe(loaded.error());
  plugin_context ctx{config_for("wc"), std::make_shared<shared_state>()};
  auto out = (*loaded)->execute(ctx, pack(std::string("one two two")));
  ASSERT_TRUE(out) << describe(out.error());
  auto c = unpack_as<counts>(*out);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->at("words"), 3);
  EXPECT_EQ(c->at("unique_words"), 2);
  EXPECT_EQ((*loaded)->counters().at("texts"), 1);
}

TEST(LibraryLoader, FactoryMakesAFreshInstanceEachCall) {
  auto factory = library_plugin_factory(word_count_lib, "wc");
  auto a = factory();
  auto b = factory();
  ASSERT_TRUE(a) << describe(a.error());
  ASSERT_TRUE(b) << describe(b.error());
  EXPECT_NE(a->get(), b->get());
  plugin_context ctx{config_for("wc"), std::make_shared<shared_state>()};
  ASSERT_TRUE((*a)->execute(ctx, pack(std::string("x"))));
  EXPECT_EQ((*a)->counters().at("texts"), 1);
  EXPECT_EQ((*b)->counters().at("texts"), 0);
}

TEST(LibraryLoader, MissingPathIsNotFound) {
  temp_dir dir;
  auto path = dir.file("libnothing.so");
  expect_refused(load_library_plugin(path, "lib-plugin"), errc::not_found, path);
}

TEST(LibraryLoader, GarbageFileIsLoadFailed) {
  temp_dir dir;
  auto path = dir.file("libgarbage.so");
  {
    std::ofstream out{path, std::ios::binary};
    for (int i = 0; i < 4096; ++i)
      out.put(static_cast<char>((i * 131 + 7) % 256));
  }
  expect_refused(load_library_plugin(path, "lib-plugin"), errc::load_failed, "cannot load library");
}

TEST(LibraryLoader, TruncatedElfIsLoadFailed) {
  temp_dir dir;
  auto path = dir.file("libtruncated.so");
  {
    std::ifstream in{word_count_lib, std::ios::binary};
    std::string head(256, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    std::ofstream out{path, std::ios::binary};
    out.write(head.data(), in.gcount());
  }
  expect_refused(load_library_plugin(path, "lib-plugin"), errc::load_failed, "cannot load library");
}

TEST(LibraryLoader, DirectoryIsLoadFailed) {
  temp_dir dir;
  expect_refused(load_library_plugin(dir.path().string(), "lib-plugin"), errc::load_failed,
                 "cannot load library");
}

TEST(LibraryLoader, LibraryWithoutTroupeSymbolsIsLoadFailed) {
  expect_refused(load_library_plugin(no_symbols_lib, "lib-plugin"), errc::load_failed,
                 "exports no troupe_plugin_abi_version");
}

TEST(LibraryLoader, OtherAbiVersionIsAbiMismatchNamingBothVersions) {
  auto loaded = load_library_plugin(abi_999_lib, "lib-plugin");
  expect_refused(loaded, errc::abi_mismatch, "ABI 999");
  EXPECT_NE(detail_of(loaded.error()).find("speaks ABI 2"), std::string::npos)
    << describe(loaded.error());
}

TEST(LibraryLoader, CreateReturningNullIsLoadFailed) {
  expect_refused(load_library_plugin(null_create_lib, "lib-plugin"), errc::load_failed,
                 "returned no plugin");
}

TEST(LibraryLoader, RefusedLibrariesLeaveTheGoodOneUsable) {
  for (const auto& bad : {no_symbols_lib, abi_999_lib, null_create_lib})
    EXPECT_FALSE(load_library_plugin(bad, "lib-plugin"));
  auto good = load_library_plugin(word_count_lib, "wc");
  ASSERT_TRUE(good) << describe(good.error());
}

TEST(LibraryLoader, ErrorMadeInsideALibraryOutlivesTheUnloadedLibrary) {
  // The error's context was built by code in the library; it must stay usable (and destructible)
  // after the plugin and with it the library are gone.
  caf::error err;
  {
    auto loaded = load_library_plugin(word_count_lib, "wc");
    ASSERT_TRUE(loaded) << describe(loaded.error());
    plugin_context ctx{config_for("wc"), std::make_shared<shared_state>()};
    auto out = (*loaded)->execute(ctx, pack(42));
    ASSERT_FALSE(out);
    err = out.error();
  }
  EXPECT_EQ(describe(err),
            R"(bad_input: plugin 'wc': expected a string or a map with a string "text")");
  err = caf::error{};
  EXPECT_FALSE(err);
}

// -- through a runtime ---------------------------------------------------------------------------

class LibraryRuntime : public actor_fixture {
protected:
  static runtime_options options() {
    runtime_options opts;
    opts.call_timeout = std::chrono::milliseconds{10000};
    return opts;
  }

  counts count(const std::string& text) {
    auto out = rt.execute("wc", pack(text));
    if (!out) {
      ADD_FAILURE() << describe(out.error());
      return {};
    }
    auto c = unpack_as<counts>(*out);
    if (!c) {
      ADD_FAILURE() << describe(c.error());
      return {};
    }
    return *c;
  }

  runtime rt{sys, options()};
};

TEST_F(LibraryRuntime, WordCountLibraryCountsAKnownText) {
  auto md = rt.add(library_spec(config_for("wc"), word_count_lib));
  ASSERT_TRUE(md) << describe(md.error());
  EXPECT_EQ(md->id, "wc");
  EXPECT_EQ(md->name, "Word count");
  auto started = rt.start_all();
  ASSERT_TRUE(started) << describe(started.error());
  EXPECT_EQ(count("The cat and the hat.\nThe end\n"),
            (counts{{"words", 7}, {"lines", 2}, {"characters", 29}, {"unique_words", 5}}));
  EXPECT_EQ(count("don't stop_me now"),
            (counts{{"words", 3}, {"lines", 1}, {"characters", 17}, {"unique_words", 3}}));
  EXPECT_EQ(count(""), (counts{{"words", 0}, {"lines", 0}, {"characters", 0}, {"unique_words", 0}}));
  // The map form of the request.
  auto out = rt.execute("wc", pack(std::map<std::string, std::string>{{"text", "a b\nc"}}));
  ASSERT_TRUE(out) << describe(out.error());
  auto c = unpack_as<counts>(*out);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->at("words"), 3);
  EXPECT_EQ(c->at("lines"), 2);
  auto st = rt.stats("wc");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->counters.at("texts"), 4);
  EXPECT_EQ(st->calls, 4u);
}

TEST_F(LibraryRuntime, WordCountRejectsANonTextRequestAsBadInput) {
  ASSERT_TRUE(rt.add(library_spec(config_for("wc"), word_count_lib)));
  ASSERT_TRUE(rt.start_all());
  auto out = rt.execute("wc", pack(42));
  EXPECT_TROUPE_ERROR(out, errc::bad_input);
  EXPECT_EQ(plugin_of(out.error()), "wc");
  EXPECT_EQ(count("still works").at("words"), 2);
}

TEST_F(LibraryRuntime, AddLibraryRefusalsNameThePluginAndAddNothing) {
  temp_dir dir;
  auto missing = rt.add(library_spec(config_for("missing"), dir.file("libnope.so")));
  EXPECT_TROUPE_ERROR(missing, errc::not_found);
  EXPECT_EQ(plugin_of(missing.error()), "missing");
  auto mismatched = rt.add(library_spec(config_for("old"), abi_999_lib));
  EXPECT_TROUPE_ERROR(mismatched, errc::abi_mismatch);
  EXPECT_EQ(plugin_of(mismatched.error()), "old");
  auto broken = rt.add(library_spec(config_for("broken"), no_symbols_lib));
  EXPECT_TROUPE_ERROR(broken, errc::load_failed);
  EXPECT_EQ(plugin_of(broken.error()), "broken");
  auto all = rt.list();
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
  // The process is up and a good library still loads and serves.
  ASSERT_TRUE(rt.add(library_spec(config_for("wc"), word_count_lib)));
  ASSERT_TRUE(rt.start_all());
  EXPECT_EQ(count("one").at("words"), 1);
}

TEST_F(LibraryRuntime, TwoInstancesOfOneLibraryKeepSeparateCounters) {
  ASSERT_TRUE(rt.add(library_spec(config_for("wc"), word_count_lib)));
  ASSERT_TRUE(rt.add(library_spec(config_for("wc2"), word_count_lib)));
  ASSERT_TRUE(rt.start_all());
  count("a");
  count("b");
  ASSERT_TRUE(rt.execute("wc2", pack(std::string("c"))));
  auto one = rt.stats("wc");
  auto two = rt.stats("wc2");
  ASSERT_TRUE(one && two);
  EXPECT_EQ(one->counters.at("texts"), 2);
  EXPECT_EQ(two->counters.at("texts"), 1);
  ASSERT_TRUE(rt.shutdown_all());
}

// -- reload ---------------------------------------------------------------------------------------

class LibraryReload : public actor_fixture {
protected:
  runtime rt{sys};
};

TEST_F(LibraryReload, ReloadLoadsTheLibraryFileAsItIsNowNotTheCachedCode) {
  temp_dir dir;
  auto path = dir.file("libplugin.so");
  std::filesystem::copy_file(word_count_lib, path);
  ASSERT_TRUE(rt.add(library_spec(config_for("wc"), path)));
  ASSERT_TRUE(rt.start_all());
  ASSERT_TRUE(rt.execute("wc", pack(std::string("a b"))));
  // Same file, same code: the reload builds, swaps and serves.
  auto same = rt.reload("wc");
  ASSERT_TRUE(same) << describe(same.error());
  EXPECT_TRUE(rt.execute("wc", pack(std::string("a b c"))));
  // The file now holds other code (a library whose create returns null). Were the loader's cache
  // handing back the old code, this reload would succeed; it must fail, and the old one serve.
  std::filesystem::copy_file(null_create_lib, path, std::filesystem::copy_options::overwrite_existing);
  auto other = rt.reload("wc");
  ASSERT_FALSE(other);
  EXPECT_NE(describe(other.error()).find("returned no plugin"), std::string::npos)
    << describe(other.error());
  auto out = rt.execute("wc", pack(std::string("still counting")));
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(unpack_as<counts>(*out)->at("words"), 2);
}

} // namespace
} // namespace troupe::test

