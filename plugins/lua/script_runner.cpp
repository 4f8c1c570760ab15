#include "plugins/lua/script_runner.hpp"

#include <functional>

#include <spdlog/spdlog.h>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/lua/builtins.hpp"
#include "plugins/lua/lua_value.hpp"
#include "plugins/lua/msgpack_reader.hpp"
#include "plugins/lua/sandbox.hpp"

#include <msgpack.hpp>

namespace troupe::lua {

/// An invocation in progress: its coroutine, what it has used and the call it waits on.
struct script_runner::execution {
  thread_slot slot;
  std::string what;
  run_usage used;
  std::optional<outgoing_call> outgoing;
  bool hook = false; ///< An agent hook: answers [action, value, ctx.state].
};

namespace {

/// Keeps this many finished coroutines for reuse; more are released to the collector.
constexpr std::size_t max_idle_threads = 8;

/// What a new coroutine starts with (see invoke_body).
struct start_frame {
  const prepared_payload* input;
  key_cache* keys;
  int fn;
  bool spread;
  bool decoding;
  bool hook;
};

int finish_invoke(lua_State* L, int, lua_KContext) {
  return lua_gettop(L);
}

/// An agent hook's results: its ctx (kept at index 1) and what it returned become exactly
/// action, value and ctx.state (docs/hooks.md).
int finish_hook(lua_State* L, int, lua_KContext) {
  lua_settop(L, 3);
  if (lua_type(L, 1) == LUA_TTABLE)
    lua_getfield(L, 1, "state");
  else
    lua_pushnil(L);
  lua_remove(L, 1);
  return 3;
}

/// The body of every invocation's coroutine: decodes the input into the function's arguments
/// and calls it (yieldable, for call_plugin). Decoding runs here, inside the coroutine's own
/// protection, so that a call needs one protected entry into Lua instead of two.
int invoke_body(lua_State* L) {
  auto* frame = static_cast<start_frame*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  lua_rawgeti(L, LUA_REGISTRYINDEX, frame->fn);
  frame->decoding = true;
  int nargs = 1;
  if (frame->spread)
    nargs = push_prepared_arguments(L, *frame->input, frame->keys);
  else
    push_prepared(L, *frame->input, frame->keys);
  frame->decoding = false;
  if (frame->hook) { // keep the ctx argument (the last) below the function for finish_hook
    lua_pushvalue(L, -1);
    lua_insert(L, 1);
    lua_callk(L, nargs, LUA_MULTRET, 0, finish_hook);
    return finish_hook(L, LUA_OK, 0);
  }
  lua_callk(L, nargs, LUA_MULTRET, 0, finish_invoke);
  return finish_invoke(L, LUA_OK, 0);
}


int run_function(lua_State* L) {
  const auto* f = static_cast<const std::function<void(lua_State*)>*>(lua_touserdata(L, 1));
  lua_remove(L, 1);
  (*f)(L);
  return lua_gettop(L);
}

/// Runs f inside lua_pcall on L; on failure the error object is on top and the status returned.
/// On success the values f left on the stack stay there.
int run_protected(lua_State* L, const std::function<void(lua_State*)>& f) {
  if (!lua_checkstack(L, 2))
    return LUA_ERRMEM;
  lua_pushcfunction(L, run_function);
  lua_pushlightuserdata(L, const_cast<std::function<void(lua_State*)>*>(&f));
  return lua_pcall(L, 1, LUA_MULTRET, 0);
}

/// The text of the error object on top of T.
std::string error_text(lua_State* T) {
  int type = lua_type(T, -1);
  if (type == LUA_TSTRING || type == LUA_TNUMBER) {
    std::size_t len = 0;
    const char* s = lua_tolstring(T, -1, &len);
    return std::string(s, len);
  }
  return std::string("(error object is a ") + lua_typename(T, type) + " value)";
}

bool mentions(const std::string& text, const char* what) {
  return text.find(what) != std::string::npos;
}

} // namespace

script_runner::script_runner(std::string plugin, std::string chunk, sandbox_limits limits)
  : plugin_(std::move(plugin)), chunk_(std::move(chunk)), limits_(limits), guard_(limits) {
}

script_runner::~script_runner() = default;

caf::error script_runner::protect(const std::string& what,
                                  const std::function<void(lua_State*)>& f) {
  lua_State* L = state();
  int top = lua_gettop(L);
  if (run_protected(L, f) == LUA_OK) {
    lua_settop(L, top);
    return {};
  }
  auto message = error_text(L);
  lua_settop(L, top);
  return make_error(errc::load_failed, plugin_, what + ": " + message);
}

namespace {

/// The names of the globals the sandbox and the builtins define (the table on top of L's stack):
/// the same for every state, so collected from the first state opened and shared by all (a set
/// of some 40 strings per plugin cost time and memory with thousands of plugins).
const std::set<std::string>& sandbox_globals(lua_State* L) {
  static const std::set<std::string> names = [L] {
    std::set<std::string> found;
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
      lua_pop(L, 1);
      if (lua_type(L, -1) == LUA_TSTRING)
        found.insert(lua_tostring(L, -1));
    }
    return found;
  }();
  return names;
}

} // namespace

caf::error script_runner::open(const std::string& source) {
  keys_ = key_cache{}; // its references belong to the state opened here
  try {
    state_ = std::make_unique<troupe::lua::state>(limits_.memory);
  } catch (const std::bad_alloc&) {
    return make_error(errc::limit_exceeded, plugin_,
                      "memory limit (" + std::to_string(limits_.memory)
                        + " bytes) is too small for a Lua state");
  }
  state_->set_string_limit(limits_.string_size);
  lua_State* L = state_->get();
  // Most garbage a plugin makes (decoded inputs, results) dies young: the generational
  // collector handles that with less work than the incremental one.
  lua_gc(L, LUA_GCGEN, 0, 0);
  guard_.attach(L);
  auto err = protect("setting up the sandbox", [this](lua_State* L) {
    open_sandbox(L, limits_.string_size);
    open_builtins(L, &plugin_, &keys_);
    lua_pushglobaltable(L);
    lua_pushlightuserdata(L, this);
    lua_pushcclosure(L, &script_runner::call_plugin, 1);
    lua_setfield(L, -2, "call_plugin");
    lua_pushlightuserdata(L, this);
    lua_pushcclosure(L, &script_runner::call_tool, 1);
    lua_setfield(L, -2, "call_tool");
    base_globals_ = &sandbox_globals(L);
    lua_pop(L, 1);
  });
  if (err)
    return err;
  auto name = "@" + chunk_;
  if (luaL_loadbufferx(L, source.data(), source.size(), name.c_str(), "t") != LUA_OK) {
    auto message = error_text(L);
    lua_pop(L, 1);
    return make_error(errc::load_failed, plugin_, message);
  }
  guard_.arm(L, {});
  int status = lua_pcall(L, 0, 0, 0);
  auto stop = guard_.stopped();
  guard_.disarm(false);
  if (status == LUA_OK)
    return {};
  auto failure = error_from(L, status, stop, "main chunk");
  lua_pop(L, 1);
  if (failure.code() == static_cast<std::uint8_t>(errc::limit_exceeded))
    return failure;
  return make_error(errc::load_failed, plugin_, detail_of(failure));
}

caf::expected<int> script_runner::global_function(const std::string& name) {
  int ref = LUA_NOREF;
  const char* wrong_type = nullptr;
  auto err = protect("reading global '" + name + "'", [&](lua_State* L) {
    lua_pushglobaltable(L);
    lua_pushlstring(L, name.data(), name.size());
    int type = lua_rawget(L, -2);
    if (type == LUA_TFUNCTION)
      ref = luaL_ref(L, LUA_REGISTRYINDEX);
    else if (type != LUA_TNIL)
      wrong_type = lua_typename(L, type);
  });
  if (err)
    return err;
  if (wrong_type != nullptr)
    return make_error(errc::load_failed, plugin_,
                      chunk_ + ": '" + name + "' is a " + wrong_type + ", not a function");
  return ref;
}

caf::error script_runner::call_hook(int fn, const std::string& what,
                                    const std::map<std::string, std::string>* settings) {
  lua_State* L = state();
  int top = lua_gettop(L);
  guard_.arm(L, {});
  int status = run_protected(L, [&](lua_State* L) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, fn);
    int nargs = 0;
    if (settings != nullptr) {
      lua_createtable(L, 0, static_cast<int>(settings->size()));
      for (const auto& [key, value] : *settings) {
        lua_pushlstring(L, value.data(), value.size());
        lua_setfield(L, -2, key.c_str());
      }
      nargs = 1;
    }
    lua_call(L, nargs, 0);
  });
  auto stop = guard_.stopped();
  guard_.disarm(false);
  caf::error err;
  if (status != LUA_OK)
    err = error_from(L, status, stop, what);
  lua_settop(L, top);
  return err;
}

caf::expected<script_runner::thread_slot> script_runner::acquire_thread() {
  if (!idle_threads_.empty()) {
    auto slot = idle_threads_.back();
    idle_threads_.pop_back();
    return slot;
  }
  thread_slot slot{LUA_NOREF, nullptr};
  lua_State* L = state();
  int status = run_protected(L, [&](lua_State* L) {
    slot.thread = lua_newthread(L);
    slot.ref = luaL_ref(L, LUA_REGISTRYINDEX);
  });
  if (status != LUA_OK) {
    auto err = error_from(L, status, stop_reason::none, "starting a call");
    lua_pop(L, 1);
    return err;
  }
  return slot;
}

void script_runner::release_thread(thread_slot slot, bool failed) {
  // A coroutine that failed is dropped, not reset: if the failure was a stop raised from the
  // count hook, Lua keeps hooks disabled on that thread, and resetting it would run its
  // to-be-closed variables unbounded. So a failed call does not run its __close metamethods.
  if (failed) {
    luaL_unref(state(), LUA_REGISTRYINDEX, slot.ref);
    if (collect_after_failure_) {
      collect_after_failure_ = false;
      lua_gc(state(), LUA_GCCOLLECT);
      const auto& budget = state_->memory();
      if (budget.limit > 0 && budget.used >= budget.limit / 10 * 9)
        unrecoverable_ = true;
    }
    return;
  }
  lua_settop(slot.thread, 0);
  if (idle_threads_.size() < max_idle_threads)
    idle_threads_.push_back(slot);
  else
    luaL_unref(state(), LUA_REGISTRYINDEX, slot.ref);
}

call_step script_runner::begin(std::uint64_t ticket, int fn, std::string what,
                               const payload& input, bool spread, bool hook) {
  thread_local msgpack::zone zone;
  zone_clearer reset{zone};
  auto prepared = prepare_payload(zone, input, plugin_);
  if (!prepared)
    return call_step::done(std::move(prepared.error()));
  auto slot = acquire_thread();
  if (!slot)
    return call_step::done(std::move(slot.error()));
  lua_State* T = slot->thread;
  start_frame frame{&*prepared, &keys_, fn, spread, false, hook};
  lua_pushcfunction(T, invoke_body);
  lua_pushlightuserdata(T, &frame);
  auto ex = spare_ ? std::move(spare_) : std::make_unique<execution>();
  ex->slot = *slot;
  ex->what = std::move(what);
  ex->used = {};
  ex->outgoing.reset();
  ex->hook = hook;
  starting_ = &frame.decoding;
  auto step = run(ticket, std::move(ex), 1);
  starting_ = nullptr;
  return step;
}

call_step script_runner::run(std::uint64_t ticket, std::unique_ptr<execution> ex, int nargs) {
  lua_State* T = ex->slot.thread;
  current_ = ex.get();
  state_->memory().last_refusal = memory_budget::refusal::none;
  guard_.arm(T, ex->used);
  int nres = 0;
  int status = lua_resume(T, nullptr, nargs, &nres);
  auto stop = guard_.stopped();
  auto used = guard_.disarm(status == LUA_YIELD); // only a suspended call needs its time
  current_ = nullptr;
  ex->used.instructions += used.instructions;
  ex->used.time += used.time;
  if (status == LUA_OK && stop == stop_reason::none) {
    caf::expected<payload> out = ex->hook ? encode_values(T, nres)
                                 : nres > 0 ? encode_value(T, lua_gettop(T) - nres + 1, plugin_)
                                            : caf::expected<payload>{nil_payload()};
    release_thread(ex->slot, false);
    spare_ = std::move(ex);
    return call_step::done(std::move(out));
  }
  if (status == LUA_YIELD && ex->outgoing) {
    lua_pop(T, nres);
    auto call = std::move(*ex->outgoing);
    ex->outgoing.reset();
    suspended_[ticket] = std::move(ex);
    return call_step::waiting(ticket, std::move(call));
  }
  caf::error err;
  if (status == LUA_YIELD && stop == stop_reason::none)
    err = make_error(errc::plugin_failed, plugin_,
                     ex->what + " yielded outside call_plugin (coroutine.yield belongs in "
                                "coroutines the script creates itself)");
  else
    err = error_from(T, status, stop, ex->what);
  release_thread(ex->slot, true);
  spare_ = std::move(ex);
  return call_step::done(std::move(err));
}

caf::expected<payload> script_runner::encode_values(lua_State* T, int n) {
  payload result;
  payload_writer writer{result.bytes};
  msgpack::packer<payload_writer> out{writer};
  out.pack_array(static_cast<std::uint32_t>(n));
  for (int i = lua_gettop(T) - n + 1; i <= lua_gettop(T); ++i) {
    auto value = encode_value(T, i, plugin_);
    if (!value)
      return std::move(value.error());
    writer.write(reinterpret_cast<const char*>(value->bytes.data()), value->bytes.size());
  }
  return result;
}

call_step script_runner::resume(std::uint64_t ticket, caf::expected<payload> answer) {
  auto i = suspended_.find(ticket);
  if (i == suspended_.end())
    return call_step::done(make_error(errc::plugin_failed, plugin_,
                                      "no suspended call " + std::to_string(ticket)));
  auto ex = std::move(i->second);
  suspended_.erase(i);
  // call_plugin returns the answer, or nil, the error message and its code. They are built on
  // the main thread (protected) and moved over: a suspended coroutine cannot run a pcall.
  lua_State* L = state();
  int top = lua_gettop(L);
  caf::error decode_failure;
  if (answer)
    decode_failure = push_payload(L, *answer, plugin_);
  const caf::error& failure = answer ? decode_failure : answer.error();
  if (failure) {
    auto message = describe(failure);
    auto code = code_name(failure);
    int status = run_protected(L, [&](lua_State* L) {
      lua_pushnil(L);
      lua_pushlstring(L, message.data(), message.size());
      lua_pushlstring(L, code.data(), code.size());
    });
    if (status != LUA_OK) {
      lua_settop(L, top);
      release_thread(ex->slot, true);
      return call_step::done(make_error(errc::limit_exceeded, plugin_,
                                        ex->what + ": out of memory receiving call_plugin's answer"));
    }
  }
  int nargs = lua_gettop(L) - top;
  if (!lua_checkstack(ex->slot.thread, nargs)) {
    lua_settop(L, top);
    release_thread(ex->slot, true);
    return call_step::done(make_error(errc::limit_exceeded, plugin_, ex->what + ": Lua stack full"));
  }
  lua_xmove(L, ex->slot.thread, nargs);
  return run(ticket, std::move(ex), nargs);
}

void script_runner::abandon(std::uint64_t ticket) {
  auto i = suspended_.find(ticket);
  if (i == suspended_.end())
    return;
  release_thread(i->second->slot, true);
  suspended_.erase(i);
}

caf::error script_runner::error_from(lua_State* T, int status, stop_reason stop,
                                     const std::string& what) {
  if (stop != stop_reason::none)
    return make_error(errc::limit_exceeded, plugin_, what + ": " + guard_.stop_message(stop));
  auto message = error_text(T);
  if (starting_ != nullptr && *starting_) {
    bool memory = status == LUA_ERRMEM;
    state_->memory().last_refusal = memory_budget::refusal::none;
    return make_error(memory ? errc::limit_exceeded : errc::bad_input, plugin_,
                      "cannot convert the input to Lua: " + message);
  }
  auto& budget = state_->memory();
  auto refusal = budget.last_refusal;
  budget.last_refusal = memory_budget::refusal::none;
  if (status == LUA_ERRMEM || mentions(message, "not enough memory")) {
    if (refusal == memory_budget::refusal::string_size)
      return make_error(errc::limit_exceeded, plugin_,
                        what + ": string size limit exceeded (at most "
                          + std::to_string(limits_.string_size) + " bytes per string)");
    if (refusal == memory_budget::refusal::memory) {
      ++memory_stops_;
      collect_after_failure_ = true; // once the failed coroutine is let go (release_thread)
      return make_error(errc::limit_exceeded, plugin_,
                        what + ": memory limit exceeded (" + std::to_string(limits_.memory)
                          + " bytes)");
    }
  }
  if (mentions(message, "string size limit exceeded") || mentions(message, "call depth limit")
      || mentions(message, "stack overflow"))
    return make_error(errc::limit_exceeded, plugin_, what + ": " + message);
  return make_error(errc::plugin_failed, plugin_, what + ": " + message);
}

int script_runner::call_plugin(lua_State* L) {
  auto* self = static_cast<script_runner*>(lua_touserdata(L, lua_upvalueindex(1)));
  std::size_t len = 0;
  const char* target = luaL_checklstring(L, 1, &len);
  lua_settop(L, 3);
  auto timeout = self->limits_.call_timeout;
  if (!lua_isnil(L, 3)) {
    lua_Integer ms = luaL_checkinteger(L, 3);
    luaL_argcheck(L, ms > 0, 3, "timeout must be a positive number of milliseconds");
    timeout = std::chrono::milliseconds(ms);
  }
  if (self->current_ == nullptr || self->current_->slot.thread != L)
    return luaL_error(L, "call_plugin can only be used by execute or a tool handler itself, "
                         "not by a lifecycle function or a coroutine the script made");
  if (!lua_isyieldable(L))
    return luaL_error(L, "call_plugin cannot wait here (inside a metamethod or a library "
                         "callback such as a sort comparator)");
  auto input = encode_value(L, 2, self->plugin_);
  if (!input) {
    auto why = detail_of(input.error());
    return luaL_error(L, "call_plugin: cannot send the value: %s", why.c_str());
  }
  self->current_->outgoing = outgoing_call{std::string(target, len), std::move(*input), timeout};
  return lua_yield(L, 0);
}

int script_runner::call_tool(lua_State* L) {
  std::size_t len = 0;
  const char* name = luaL_checklstring(L, 1, &len);
  lua_pushlstring(L, tool_target_prefix.data(), tool_target_prefix.size());
  lua_pushlstring(L, name, len);
  lua_concat(L, 2);
  lua_replace(L, 1); // call_plugin("troupe.tool/NAME", args, timeout): through the hook pipeline
  return call_plugin(L);
}

std::map<std::string, std::int64_t> script_runner::counters() const {
  std::map<std::string, std::int64_t> c;
  if (state_) {
    c["memory_bytes"] = static_cast<std::int64_t>(state_->memory().used);
    c["memory_peak_bytes"] = static_cast<std::int64_t>(state_->memory().peak);
  }
  c["memory_limit_bytes"] = static_cast<std::int64_t>(limits_.memory);
  c["instructions"] = static_cast<std::int64_t>(guard_.total_instructions());
  c["time_stops"] = static_cast<std::int64_t>(guard_.time_stops());
  c["instruction_stops"] = static_cast<std::int64_t>(guard_.instruction_stops());
  c["memory_stops"] = static_cast<std::int64_t>(memory_stops_);
  c["waiting_calls"] = static_cast<std::int64_t>(suspended_.size());
  return c;
}

caf::expected<payload> script_runner::export_globals() {
  std::vector<std::pair<std::string, payload>> carried;
  auto err = protect("exporting globals", [&](lua_State* L) {
    lua_pushglobaltable(L);
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
      if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) != LUA_TFUNCTION) {
        std::string name = lua_tostring(L, -2);
        if (base_globals_->count(name) == 0) {
          auto value = encode_value(L, lua_gettop(L), plugin_);
          if (value)
            carried.emplace_back(std::move(name), std::move(*value));
          else
            spdlog::warn("plugin '{}': global '{}' is not carried: {}", plugin_, name,
                         detail_of(value.error()));
        }
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  });
  if (err)
    return err;
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> out{buffer};
  out.pack_map(static_cast<std::uint32_t>(carried.size()));
  for (const auto& [name, value] : carried) {
    out.pack(name);
    buffer.write(reinterpret_cast<const char*>(value.bytes.data()), value.bytes.size());
  }
  const auto* data = reinterpret_cast<const std::uint8_t*>(buffer.data());
  return payload{std::vector<std::uint8_t>(data, data + buffer.size())};
}

caf::error script_runner::import_globals(const payload& globals) {
  msgpack::zone zone;
  auto map = unpack_in(zone, globals, plugin_, false);
  if (!map)
    return std::move(map.error());
  if (map->type != msgpack::type::MAP)
    return make_error(errc::bad_input, plugin_, "carried globals must be a map");
  return protect("importing globals", [&](lua_State* L) {
    lua_pushglobaltable(L);
    for (std::uint32_t i = 0; i < map->via.map.size; ++i) {
      const auto& kv = map->via.map.ptr[i];
      if (kv.key.type != msgpack::type::STR)
        continue;
      std::string name{kv.key.via.str.ptr, kv.key.via.str.size};
      if (base_globals_->count(name) > 0)
        continue;
      push_msgpack(L, kv.val);
      lua_setfield(L, -2, name.c_str());
    }
    lua_pop(L, 1);
  });
}

} // namespace troupe::lua
