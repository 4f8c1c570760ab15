// "word_count": a native plugin shipped as a shared library (libtroupe_word_count.so) and loaded
// at run time through the C ABI. Counts the words, lines and characters of a text.
//
// Request: a string, or a map {"text": "..."}. Reply: {"words": N, "lines": N, "characters": N,
// "unique_words": N}, words being maximal runs of letters, digits, '_' and '\''
// (ASCII, case-insensitive for unique_words).

#include <cctype>
#include <set>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/native/abi.hpp"

namespace {

class word_count_plugin final : public troupe::plugin {
public:
  troupe::plugin_metadata metadata() const override {
    troupe::plugin_metadata m;
    m.id = "word_count";
    m.name = "Word count";
    m.version = "1.0.0";
    m.description = "Counts words, lines and characters of a text";
    m.type = {troupe::plugin_kind::tool, {}};
    m.capabilities = {"text.count"};
    return m;
  }

  caf::expected<troupe::payload> execute(troupe::plugin_context& ctx,
                                         const troupe::payload& input) override {
    auto request = troupe::unpack(input, ctx.plugin_id());
    if (!request)
      return std::move(request.error());
    const msgpack::object* text = &request->get();
    if (text->type == msgpack::type::MAP)
      text = troupe::map_field(*text, "text");
    if (text == nullptr || text->type != msgpack::type::STR)
      return troupe::make_error(troupe::errc::bad_input, ctx.plugin_id(),
                                R"(expected a string or a map with a string "text")");
    ++texts_;
    return troupe::pack(count(std::string_view(text->via.str.ptr, text->via.str.size)));
  }

  std::map<std::string, std::int64_t> counters() const override { return {{"texts", texts_}}; }

private:
  static std::map<std::string, std::int64_t> count(std::string_view text) {
    std::int64_t words = 0;
    std::int64_t lines = text.empty() ? 0 : 1;
    std::set<std::string> unique;
    std::string word;
    auto flush = [&] {
      if (!word.empty()) {
        ++words;
        unique.insert(word);
        word.clear();
      }
    };
    for (char c : text) {
      auto u = static_cast<unsigned char>(c);
      if (std::isalnum(u) || c == '_' || c == '\'') {
        word.push_back(static_cast<char>(std::tolower(u)));
      } else {
        flush();
        if (c == '\n')
          ++lines;
      }
    }
    flush();
    if (!text.empty() && text.back() == '\n')
      --lines;
    return {{"words", words},
            {"lines", lines},
            {"characters", static_cast<std::int64_t>(text.size())},
            {"unique_words", static_cast<std::int64_t>(unique.size())}};
  }

  std::int64_t texts_ = 0;
};

} // namespace

TROUPE_EXPORT_PLUGIN(word_count_plugin)
