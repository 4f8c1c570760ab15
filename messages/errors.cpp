#include "messages/errors.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace troupe {

std::string to_string(errc x) {
  switch (x) {
    case errc::invalid_state: return "invalid_state";
    case errc::not_found: return "not_found";
    case errc::already_exists: return "already_exists";
    case errc::plugin_failed: return "plugin_failed";
    case errc::timeout: return "timeout";
    case errc::bad_input: return "bad_input";
    case errc::missing_dependency: return "missing_dependency";
    case errc::dependency_cycle: return "dependency_cycle";
    case errc::load_failed: return "load_failed";
    case errc::abi_mismatch: return "abi_mismatch";
    case errc::config_error: return "config_error";
    case errc::unavailable: return "unavailable";
    case errc::limit_exceeded: return "limit_exceeded";
    case errc::fatal: return "fatal";
    case errc::crashed: return "crashed";
    case errc::unauthorized: return "unauthorized";
  }
  return "unknown_error";
}

caf::error make_error(errc code, std::string plugin, std::string detail) {
  return caf::error(static_cast<std::uint8_t>(code), error_category,
                    caf::make_message(std::move(plugin), std::move(detail)));
}

bool is_troupe_error(const caf::error& err) {
  return err && err.category() == error_category;
}

namespace {

bool has_troupe_context(const caf::message& ctx) {
  return ctx.match_elements<std::string, std::string>();
}

std::string render_troupe(std::uint8_t code, const caf::message& ctx) {
  auto result = to_string(static_cast<errc>(code));
  if (!has_troupe_context(ctx))
    return result;
  const auto& plugin = ctx.get_as<std::string>(0);
  const auto& detail = ctx.get_as<std::string>(1);
  if (!plugin.empty())
    result += ": plugin '" + plugin + "'";
  if (!detail.empty())
    result += ": " + detail;
  return result;
}

} // namespace

std::string plugin_of(const caf::error& err) {
  if (!is_troupe_error(err) || !has_troupe_context(err.context()))
    return {};
  return err.context().get_as<std::string>(0);
}

std::string detail_of(const caf::error& err) {
  if (is_troupe_error(err) && has_troupe_context(err.context()))
    return err.context().get_as<std::string>(1);
  return caf::to_string(err);
}

std::string code_name(const caf::error& err) {
  if (is_troupe_error(err))
    return to_string(static_cast<errc>(err.code()));
  if (err.category() == caf::atom("system"))
    return "system:" + caf::to_string(static_cast<caf::sec>(err.code()));
  return caf::to_string(err.category()) + ":" + std::to_string(err.code());
}

std::string describe(const caf::error& err) {
  if (!err)
    return "no error";
  if (is_troupe_error(err))
    return render_troupe(err.code(), err.context());
  return caf::to_string(err);
}

std::string render_error(std::uint8_t code, caf::atom_value, const caf::message& ctx) {
  return render_troupe(code, ctx);
}

caf::error with_node(const caf::error& err, const std::string& plugin, const std::string& node) {
  auto suffix = " [node '" + node + "']";
  if (!is_troupe_error(err))
    return make_error(errc::unavailable, plugin, describe(err) + suffix);
  auto named = plugin_of(err).empty() ? plugin : plugin_of(err);
  return make_error(static_cast<errc>(err.code()), named, detail_of(err) + suffix);
}

} // namespace troupe
