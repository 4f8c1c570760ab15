#include "plugins/lua/lua_plugin.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "messages/msgpack_codec.hpp"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "plugins/lua/lua_value.hpp"
#include "plugins/lua/script_runner.hpp"

namespace troupe::lua {

namespace {

/// Scripts larger than this are refused before compiling.
constexpr std::size_t max_script_bytes = std::size_t{16} << 20;

const char* const lifecycle_hooks[] = {"init",   "start",  "pause",
                                       "resume", "stop",   "unload",
                                       "close"}; // close: an agent-hook plugin's, after stop

std::string file_stem(const std::string& path) {
  auto slash = path.find_last_of('/');
  auto name = slash == std::string::npos ? path : path.substr(slash + 1);
  auto dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

/// The script's text, read with one fstat and read (a node of thousands of plugins reads it for
/// each; streams cost several times more).
caf::expected<std::string> read_script(const std::string& path, const std::string& plugin) {
  auto cannot = [&] {
    return make_error(errc::not_found, plugin, "cannot read script '" + path + "'");
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cannot();
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return cannot();
  }
  if (static_cast<std::size_t>(st.st_size) > max_script_bytes) {
    ::close(fd);
    return make_error(errc::load_failed, plugin, "script '" + path + "' is larger than 16 MiB");
  }
  std::string source(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < source.size()) {
    auto n = ::read(fd, source.data() + got, source.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break; // shorter than it was a moment ago: what was there
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  source.resize(got);
  return source;
}

/// Reads t[key] raw as a string, or "" if it is not one.
std::string string_field(lua_State* L, int t, const char* key) {
  lua_pushstring(L, key);
  std::string result;
  if (lua_rawget(L, t) == LUA_TSTRING)
    result = lua_tostring(L, -1);
  lua_pop(L, 1);
  return result;
}

/// Reads an array of strings from the table on top (anything else is skipped with a warning).
std::vector<std::string> string_list(lua_State* L, const std::string& plugin, const char* what) {
  std::vector<std::string> result;
  if (lua_type(L, -1) != LUA_TTABLE)
    return result;
  auto n = static_cast<lua_Integer>(lua_rawlen(L, -1));
  for (lua_Integer i = 1; i <= n; ++i) {
    if (lua_rawgeti(L, -1, i) == LUA_TSTRING)
      result.emplace_back(lua_tostring(L, -1));
    else
      spdlog::warn("plugin '{}': {}[{}] is not a string; ignored", plugin, what, i);
    lua_pop(L, 1);
  }
  return result;
}

} // namespace

struct lua_plugin::impl {
  struct tool {
    tool_spec spec;
    int handler = LUA_NOREF; ///< The tool's handler, or LUA_NOREF: the global of its name.
  };

  script_source source;
  sandbox_limits base_limits;
  std::unique_ptr<script_runner> runner;
  plugin_metadata md;
  int execute_ref = LUA_NOREF;
  int snapshot_ref = LUA_NOREF; ///< The script's snapshot(): its state to keep across restarts.
  int restore_ref = LUA_NOREF;  ///< The script's restore(state).
  std::map<std::string, int> hooks;
  std::map<std::string, int> agent_hooks; ///< before_tool_call, ...: as read at load
  std::vector<tool> tools;
  std::uint64_t next_ticket = 1;

  caf::error read_globals(const std::string& id, const std::string& chunk);
  caf::error read_tools(const std::string& id, const std::string& chunk);
  caf::error run_hook(const char* name, const std::map<std::string, std::string>* settings);
};

caf::error lua_plugin::impl::read_globals(const std::string& id, const std::string& chunk) {
  auto err = runner->protect("reading the script's metadata", [&](lua_State* L) {
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    auto name = string_field(L, g, "plugin_name");
    md.name = name.empty() ? file_stem(chunk) : name;
    md.version = string_field(L, g, "plugin_version");
    md.description = string_field(L, g, "plugin_description");
    auto type = parse_plugin_type(string_field(L, g, "plugin_type"));
    md.type = type ? *type : plugin_type{plugin_kind::custom, "lua"};
    lua_pushliteral(L, "capabilities");
    lua_rawget(L, g);
    md.capabilities = string_list(L, id, "capabilities");
    lua_pop(L, 1);
    lua_pushliteral(L, "dependencies");
    lua_rawget(L, g);
    md.dependencies = string_list(L, id, "dependencies");
    lua_pop(L, 1);
    lua_pushliteral(L, "plugin_priority");
    md.hook_priority = default_hook_priority;
    if (lua_rawget(L, g) == LUA_TNUMBER && lua_isinteger(L, -1)) {
      md.priority = static_cast<std::int32_t>(lua_tointeger(L, -1));
      md.hook_priority = md.priority;
    }
    lua_pop(L, 1);
    for (auto point : all_hook_points) { // agent hooks: global functions of these names
      lua_pushstring(L, to_string(point));
      if (lua_rawget(L, g) == LUA_TFUNCTION)
        md.hooks.emplace_back(to_string(point));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  });
  if (err)
    return err;
  auto execute = runner->global_function("execute");
  if (!execute)
    return std::move(execute.error());
  if (*execute == LUA_NOREF)
    return make_error(errc::load_failed, id,
                      chunk + ": no execute function (define function execute(input) ... end)");
  execute_ref = *execute;
  for (auto [name, ref] : {std::pair{"snapshot", &snapshot_ref}, std::pair{"restore", &restore_ref}}) {
    auto found = runner->global_function(name);
    if (!found)
      return std::move(found.error());
    *ref = *found;
  }
  for (const auto& name : md.hooks) { // agent hooks, kept like execute (docs/hooks.md)
    auto ref = runner->global_function(name);
    if (!ref)
      return std::move(ref.error());
    agent_hooks[name] = *ref;
  }
  for (const char* hook : lifecycle_hooks) {
    auto ref = runner->global_function(hook);
    if (!ref)
      return std::move(ref.error());
    if (*ref != LUA_NOREF)
      hooks[hook] = *ref;
  }
  return read_tools(id, chunk);
}

caf::error lua_plugin::impl::read_tools(const std::string& id, const std::string& chunk) {
  std::string problem;
  auto err = runner->protect("reading the script's tools", [&](lua_State* L) {
    lua_pushglobaltable(L);
    lua_pushliteral(L, "tools");
    int type = lua_rawget(L, -2);
    if (type == LUA_TNIL)
      return;
    if (type != LUA_TTABLE) {
      problem = "'tools' must be a table";
      return;
    }
    int list = lua_gettop(L);
    bool array = lua_rawlen(L, list) > 0;
    lua_pushnil(L);
    while (problem.empty() && lua_next(L, list) != 0) {
      tool t;
      std::string where = array ? "tools[" + std::to_string(lua_tointeger(L, -2)) + "]"
                                : "tools." + std::string(lua_type(L, -2) == LUA_TSTRING
                                                           ? lua_tostring(L, -2) : "?");
      if (lua_type(L, -1) != LUA_TTABLE) {
        problem = where + " must be a table";
        break;
      }
      int entry = lua_gettop(L);
      t.spec.name = array ? string_field(L, entry, "name")
                          : (lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "");
      t.spec.description = string_field(L, entry, "description");
      lua_pushliteral(L, "parameters");
      int ptype = lua_rawget(L, entry);
      if (ptype == LUA_TSTRING) {
        t.spec.parameters = lua_tostring(L, -1);
      } else if (ptype == LUA_TTABLE) {
        auto encoded = encode_value(L, -1, id);
        auto json = encoded ? payload_to_json(*encoded, id) : caf::expected<nlohmann::json>{encoded.error()};
        if (!json)
          problem = where + ".parameters: " + detail_of(json.error());
        else
          t.spec.parameters = render_json(*json);
      } else if (ptype != LUA_TNIL) {
        problem = where + ".parameters must be a JSON-schema table or JSON text";
      }
      lua_pop(L, 1);
      lua_pushliteral(L, "handler");
      int htype = lua_rawget(L, entry);
      if (htype == LUA_TFUNCTION)
        t.handler = luaL_ref(L, LUA_REGISTRYINDEX);
      else {
        if (htype != LUA_TNIL)
          problem = where + ".handler must be a function";
        lua_pop(L, 1);
      }
      if (t.spec.name.empty() && problem.empty())
        problem = where + " has no name";
      if (problem.empty())
        tools.push_back(std::move(t));
      lua_pop(L, 1); // the entry; the key stays for lua_next
    }
  });
  if (err)
    return err;
  if (!problem.empty())
    return make_error(errc::load_failed, id, chunk + ": " + problem);
  return {};
}

caf::error lua_plugin::impl::run_hook(const char* name,
                                      const std::map<std::string, std::string>* settings) {
  if (!runner)
    return make_error(errc::invalid_state, md.id, "the script is not loaded");
  auto i = hooks.find(name);
  if (i == hooks.end())
    return {};
  return runner->call_hook(i->second, name, settings);
}

lua_plugin::lua_plugin(script_source source, sandbox_limits limits)
  : impl_(std::make_unique<impl>()) {
  impl_->source = std::move(source);
  impl_->base_limits = limits;
  impl_->md.name = file_stem(impl_->source.path);
  impl_->md.type = plugin_type{plugin_kind::custom, "lua"};
}

lua_plugin::~lua_plugin() = default;

plugin_factory lua_plugin::factory(script_source source, sandbox_limits limits) {
  return [source, limits]() -> caf::expected<std::unique_ptr<plugin>> {
    return std::unique_ptr<plugin>(std::make_unique<lua_plugin>(source, limits));
  };
}

plugin_metadata lua_plugin::metadata() const {
  return impl_->md;
}

caf::error lua_plugin::load(plugin_context& ctx) {
  const auto& id = ctx.plugin_id();
  auto limits = limits_from_settings(ctx.config().settings, impl_->base_limits);
  if (!limits)
    return make_error(errc::config_error, id, detail_of(limits.error()));
  auto path = impl_->source.path.empty() ? ctx.setting_or("script", "") : impl_->source.path;
  std::string text = impl_->source.text;
  if (text.empty()) {
    if (path.empty())
      return make_error(errc::config_error, id, "no script: set the 'script' setting to a .lua file");
    auto read = read_script(path, id);
    if (!read)
      return std::move(read.error());
    text = std::move(*read);
  }
  auto chunk = path.empty() ? id + ".lua" : path;
  impl_->md = plugin_metadata{};
  impl_->md.id = id;
  impl_->hooks.clear();
  impl_->agent_hooks.clear();
  impl_->tools.clear();
  impl_->runner = std::make_unique<script_runner>(id, chunk, *limits);
  auto err = impl_->runner->open(text);
  if (!err)
    err = impl_->read_globals(id, chunk);
  if (err) {
    impl_->runner.reset();
    impl_->md.name = file_stem(chunk);
    return err;
  }
  impl_->md.id = id;
  spdlog::debug("plugin '{}': loaded {} ({} {})", id, chunk, impl_->md.name, impl_->md.version);
  return {};
}

caf::error lua_plugin::init(plugin_context& ctx) {
  return impl_->run_hook("init", &ctx.config().settings);
}

caf::error lua_plugin::start(plugin_context&) { return impl_->run_hook("start", nullptr); }
caf::error lua_plugin::pause(plugin_context&) { return impl_->run_hook("pause", nullptr); }
caf::error lua_plugin::resume(plugin_context&) { return impl_->run_hook("resume", nullptr); }
caf::error lua_plugin::stop(plugin_context&) {
  auto err = impl_->run_hook("stop", nullptr);
  if (!impl_->md.hooks.empty()) // an agent-hook plugin's close() runs when it stops
    if (auto closed = impl_->run_hook("close", nullptr); !err)
      err = std::move(closed);
  return err;
}

caf::error lua_plugin::unload(plugin_context&) {
  caf::error err;
  if (impl_->runner)
    err = impl_->run_hook("unload", nullptr);
  impl_->runner.reset(); // closes the state whatever the hook said
  impl_->tools.clear();
  impl_->hooks.clear();
  return err;
}

caf::expected<payload> lua_plugin::finished_now(plugin_context& ctx, call_step step) {
  if (step.call) {
    abandon_call(ctx, step.ticket);
    return make_error(errc::plugin_failed, ctx.plugin_id(),
                      "call_plugin needs the plugin's actor host (run the script as a plugin)");
  }
  return std::move(step.result);
}

caf::expected<payload> lua_plugin::execute(plugin_context& ctx, const payload& input) {
  auto step = begin_call(ctx, {invocation::kind::execute, {}, input});
  return finished_now(ctx, std::move(step));
}

std::vector<tool_spec> lua_plugin::tools() const {
  std::vector<tool_spec> result;
  for (const auto& t : impl_->tools)
    result.push_back(t.spec);
  return result;
}

caf::expected<payload> lua_plugin::call_tool(plugin_context& ctx, const std::string& name,
                                             const payload& args) {
  auto step = begin_call(ctx, {invocation::kind::tool, name, args});
  return finished_now(ctx, std::move(step));
}

caf::expected<payload> lua_plugin::call_function(plugin_context& ctx, const std::string& name,
                                                 const payload& args) {
  auto step = begin_call(ctx, {invocation::kind::function, name, args});
  return finished_now(ctx, std::move(step));
}

call_step lua_plugin::begin_call(plugin_context& ctx, const invocation& inv) {
  return fatal_if_unrecoverable(ctx, start_call(ctx, inv));
}

call_step lua_plugin::start_call(plugin_context& ctx, const invocation& inv) {
  auto& runner = impl_->runner;
  const auto& id = ctx.plugin_id();
  if (!runner)
    return call_step::done(make_error(errc::invalid_state, id, "the script is not loaded"));
  auto ticket = impl_->next_ticket++;
  switch (inv.what) {
    case invocation::kind::execute:
      return runner->begin(ticket, impl_->execute_ref, "execute", inv.input, false);
    case invocation::kind::hook: {
      auto hook = impl_->agent_hooks.find(inv.name);
      if (hook == impl_->agent_hooks.end())
        return call_step::done(make_error(errc::not_found, id,
                                          "the script has no hook named '" + inv.name + "'"));
      return runner->begin(ticket, hook->second, "hook '" + inv.name + "'", inv.input, true,
                           true);
    }
    case invocation::kind::tool: {
      for (const auto& t : impl_->tools) {
        if (t.spec.name != inv.name)
          continue;
        if (t.handler != LUA_NOREF)
          return runner->begin(ticket, t.handler, "tool '" + inv.name + "'", inv.input, false);
        break;
      }
      [[fallthrough]];
    }
    case invocation::kind::function: {
      auto fn = runner->global_function(inv.name);
      if (!fn)
        return call_step::done(make_error(errc::not_found, id, detail_of(fn.error())));
      if (*fn == LUA_NOREF)
        return call_step::done(make_error(errc::not_found, id,
                                          "the script has no function named '" + inv.name + "'"));
      bool spread = inv.what == invocation::kind::function;
      auto what = (spread ? "function '" : "tool '") + inv.name + "'";
      auto step = runner->begin(ticket, *fn, what, inv.input, spread);
      luaL_unref(runner->state(), LUA_REGISTRYINDEX, *fn); // the coroutine holds the function now
      return step;
    }
  }
  return call_step::done(make_error(errc::bad_input, id, "unknown kind of call"));
}

call_step lua_plugin::continue_call(plugin_context& ctx, std::uint64_t ticket,
                                    caf::expected<payload> answer) {
  if (!impl_->runner)
    return call_step::done(make_error(errc::invalid_state, ctx.plugin_id(), "the script is not loaded"));
  return fatal_if_unrecoverable(ctx, impl_->runner->resume(ticket, std::move(answer)));
}

call_step lua_plugin::fatal_if_unrecoverable(plugin_context& ctx, call_step step) {
  if (step.call || step.result || !impl_->runner || !impl_->runner->unrecoverable())
    return step;
  auto c = impl_->runner->counters();
  return call_step::done(make_error(
    errc::fatal, ctx.plugin_id(),
    "the Lua state cannot recover: " + std::to_string(c["memory_bytes"]) + " of "
      + std::to_string(c["memory_limit_bytes"]) + " bytes still in use after a full collection ("
      + detail_of(step.result.error()) + ")"));
}

bool lua_plugin::keeps_state() const {
  return impl_->snapshot_ref != LUA_NOREF;
}

caf::expected<payload> lua_plugin::checkpoint(plugin_context& ctx) {
  if (!impl_->runner)
    return make_error(errc::invalid_state, ctx.plugin_id(), "the script is not loaded");
  if (impl_->snapshot_ref == LUA_NOREF)
    return impl_->runner->export_globals(); // no snapshot(): its data globals are its state
  auto step = impl_->runner->begin(impl_->next_ticket++, impl_->snapshot_ref, "snapshot",
                                   nil_payload(), true);
  return finished_now(ctx, fatal_if_unrecoverable(ctx, std::move(step)));
}

caf::error lua_plugin::restore(plugin_context& ctx, const payload& state) {
  if (!impl_->runner)
    return make_error(errc::invalid_state, ctx.plugin_id(), "the script is not loaded");
  if (impl_->restore_ref == LUA_NOREF) {
    if (impl_->snapshot_ref != LUA_NOREF)
      return {}; // snapshot() without restore(): nothing to hand the state to
    return impl_->runner->import_globals(state); // the globals a checkpoint without snapshot carried
  }
  auto step = impl_->runner->begin(impl_->next_ticket++, impl_->restore_ref, "restore", state,
                                   false);
  auto done = finished_now(ctx, fatal_if_unrecoverable(ctx, std::move(step)));
  return done ? caf::error{} : std::move(done.error());
}

void lua_plugin::abandon_call(plugin_context&, std::uint64_t ticket) {
  if (impl_->runner)
    impl_->runner->abandon(ticket);
}

caf::expected<std::string> lua_plugin::health_check(plugin_context& ctx) {
  if (!impl_->runner)
    return make_error(errc::invalid_state, ctx.plugin_id(), "the script is not loaded");
  auto c = impl_->runner->counters();
  return "lua " + std::to_string(c["memory_bytes"] / 1024) + " KiB of "
         + std::to_string(c["memory_limit_bytes"] / 1024) + " KiB";
}

std::map<std::string, std::int64_t> lua_plugin::counters() const {
  if (!impl_->runner)
    return {};
  return impl_->runner->counters();
}

const sandbox_limits& lua_plugin::limits() const {
  return impl_->runner ? impl_->runner->limits() : impl_->base_limits;
}

std::string script_plugin_id(const std::string& path) {
  auto name = std::filesystem::path(path).filename().string();
  auto dot = name.rfind(".lua");
  if (dot != std::string::npos && dot > 0 && dot + 4 == name.size())
    name.erase(dot);
  return name.empty() ? "script" : name;
}

} // namespace troupe::lua
