#include "plugins/wasm/wasm_plugin.hpp"

#include <algorithm>
#include <cstdio>

#include <msgpack.hpp>

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "messages/errors.hpp"
#include "messages/hooks.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/wasm/metering.hpp"
#include "plugins/wasm/module_metadata.hpp"
#include "plugins/wasm/wasm_limits.hpp"

namespace troupe::wasm {

namespace {

std::string file_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// The module's bytes, refused without reading when the file is over `max_bytes` (0: no cap).
caf::expected<std::vector<std::uint8_t>> read_module(const std::string& path,
                                                     const std::string& plugin,
                                                     std::size_t max_bytes) {
  auto cannot = [&] {
    return make_error(errc::not_found, plugin, "cannot read module '" + path + "'");
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return cannot();
  auto size = static_cast<std::size_t>(st.st_size);
  if (max_bytes != 0 && size > max_bytes)
    return make_error(errc::limit_exceeded, plugin,
                      path + ": module size limit exceeded (" + std::to_string(size) + " > "
                        + std::to_string(max_bytes) + " bytes)");
  std::vector<std::uint8_t> bytes(size);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr)
    return cannot();
  auto got = std::fread(bytes.data(), 1, size, f);
  std::fclose(f);
  if (got != size)
    return cannot();
  return bytes;
}

/// A module's hook answer as the pipeline takes it: [action, value, state]; a two-element
/// answer keeps the state the call came with (read from `args`, the hook's argument array).
caf::expected<payload> hook_answer(const std::string& id, const std::string& point,
                                   const payload& args, payload answer) {
  auto handle = unpack(answer, id);
  if (!handle)
    return std::move(handle.error());
  const auto& root = handle->get();
  if (root.type != msgpack::type::ARRAY
      || (root.via.array.size != 2 && root.via.array.size != 3))
    return make_error(errc::plugin_failed, id,
                      "hook: answer [action, value] or [action, value, state]");
  if (root.via.array.size == 3)
    return answer;
  auto call = decode_hook_call(*hook_point_named(point), args, id);
  if (!call)
    return std::move(call.error());
  payload out;
  payload_writer writer{out.bytes};
  msgpack::packer<payload_writer> packer(writer);
  packer.pack_array(3);
  packer.pack(root.via.array.ptr[0]);
  packer.pack(root.via.array.ptr[1]);
  writer.write(reinterpret_cast<const char*>(call->ctx.state.bytes.data()),
               call->ctx.state.bytes.size());
  return out;
}

} // namespace

std::string module_plugin_id(const std::string& path) {
  auto name = file_name(path);
  const std::string suffix = ".wasm";
  if (name.size() >= suffix.size()
      && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    name.resize(name.size() - suffix.size());
  return name.empty() ? "module" : name;
}

struct wasm_plugin::impl {
  std::string path;
  module_limits base_limits;
  std::unique_ptr<wasm_module> module;
  module_metadata meta;
  std::shared_ptr<metering_cache> cache;
  bool keep_state = true; ///< The "checkpoint" setting.

  /// Reads the module's metadata export into meta; "" or what is wrong.
  caf::error read_metadata(const std::string& id, const std::string& file);
};

caf::error wasm_plugin::impl::read_metadata(const std::string& id, const std::string& file) {
  auto json = module->metadata_json();
  if (!json)
    return std::move(json.error());
  if (!json->empty())
    if (auto why = parse_module_metadata(*json, meta); !why.empty())
      return make_error(errc::load_failed, id, file + ": metadata: " + why);
  meta.md.id = id;
  if (!meta.tools.empty() && !module->exports("call_tool"))
    return make_error(errc::load_failed, id,
                      file + ": its metadata lists tools but it exports no call_tool");
  if (!meta.md.hooks.empty() && !module->exports("hook"))
    return make_error(errc::load_failed, id,
                      file + ": its metadata lists hooks but it exports no hook");
  return {};
}

wasm_plugin::wasm_plugin(std::string path, module_limits limits,
                         std::shared_ptr<metering_cache> cache)
  : impl_(std::make_unique<impl>()) {
  impl_->path = std::move(path);
  impl_->base_limits = limits;
  impl_->cache = std::move(cache);
  impl_->meta.md.name = module_plugin_id(impl_->path);
  impl_->meta.md.type = plugin_type{plugin_kind::custom, "wasm"};
}

wasm_plugin::~wasm_plugin() = default;

plugin_factory wasm_plugin::factory(std::string path, module_limits limits) {
  auto cache = std::make_shared<metering_cache>();
  return [path, limits, cache]() -> caf::expected<std::unique_ptr<plugin>> {
    return std::unique_ptr<plugin>(std::make_unique<wasm_plugin>(path, limits, cache));
  };
}

plugin_metadata wasm_plugin::metadata() const {
  return impl_->meta.md;
}

caf::error wasm_plugin::load(plugin_context& ctx) {
  const auto& id = ctx.plugin_id();
  auto limits = limits_from_settings(ctx.config().settings, impl_->base_limits);
  if (!limits)
    return make_error(errc::config_error, id, detail_of(limits.error()));
  auto path = impl_->path.empty() ? ctx.setting_or("module", "") : impl_->path;
  if (path.empty())
    return make_error(errc::config_error, id, "no module: set the 'module' setting to a .wasm file");
  auto checkpoint = ctx.setting_or("checkpoint", "on");
  if (checkpoint != "on" && checkpoint != "off" && checkpoint != "true" && checkpoint != "false")
    return make_error(errc::config_error, id,
                      "setting checkpoint = '" + checkpoint + "': use on or off");
  impl_->keep_state = checkpoint == "on" || checkpoint == "true";
  auto bytes = read_module(path, id, limits->module_bytes);
  if (!bytes)
    return std::move(bytes.error());
  impl_->meta = module_metadata{};
  impl_->meta.md.id = id;
  impl_->meta.md.name = module_plugin_id(path);
  impl_->meta.md.type = plugin_type{plugin_kind::custom, "wasm"};
  impl_->meta.md.description = "WebAssembly module " + file_name(path);
  auto module = wasm_module::load(id, path, *bytes, *limits, impl_->cache.get());
  if (!module)
    return std::move(module.error());
  impl_->module = std::move(*module);
  if (auto err = impl_->read_metadata(id, path)) {
    impl_->module.reset();
    return err;
  }
  spdlog::debug("plugin '{}': loaded {} ({} {})", id, path, impl_->meta.md.name,
                impl_->meta.md.version);
  return {};
}

caf::error wasm_plugin::init(plugin_context&) { return impl_->module->lifecycle("init"); }
caf::error wasm_plugin::start(plugin_context&) { return impl_->module->lifecycle("start"); }
caf::error wasm_plugin::stop(plugin_context&) { return impl_->module->lifecycle("stop"); }

caf::error wasm_plugin::unload(plugin_context&) {
  impl_->module.reset();
  return {};
}

caf::expected<payload> wasm_plugin::execute(plugin_context&, const payload& input) {
  return impl_->module->execute(input);
}

bool wasm_plugin::keeps_state() const {
  return impl_->keep_state;
}

std::vector<tool_spec> wasm_plugin::tools() const {
  return impl_->meta.tools;
}

caf::expected<payload> wasm_plugin::call_tool(plugin_context& ctx, const std::string& name,
                                              const payload& args) {
  for (const auto& t : impl_->meta.tools)
    if (t.name == name)
      return impl_->module->call_tool(name, args);
  return make_error(errc::not_found, ctx.plugin_id(), "no tool named '" + name + "'");
}

call_step wasm_plugin::begin_call(plugin_context& ctx, const invocation& inv) {
  if (inv.what != invocation::kind::hook)
    return plugin::begin_call(ctx, inv);
  const auto& hooks = impl_->meta.md.hooks;
  if (std::find(hooks.begin(), hooks.end(), inv.name) == hooks.end())
    return call_step::done(
      make_error(errc::not_found, ctx.plugin_id(), "no hook named '" + inv.name + "'"));
  auto answer = impl_->module->call_hook(inv.name, inv.input);
  if (!answer)
    return call_step::done(std::move(answer.error()));
  return call_step::done(hook_answer(ctx.plugin_id(), inv.name, inv.input, std::move(*answer)));
}

caf::expected<payload> wasm_plugin::checkpoint(plugin_context&) {
  return impl_->module->snapshot();
}

caf::error wasm_plugin::restore(plugin_context&, const payload& state) {
  return impl_->module->restore(state);
}

std::map<std::string, std::int64_t> wasm_plugin::counters() const {
  return impl_->module ? impl_->module->counters() : std::map<std::string, std::int64_t>{};
}

} // namespace troupe::wasm
