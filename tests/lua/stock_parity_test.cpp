// Where the sandbox allows a Lua function it behaves exactly as stock Lua 5.4: the same chunks run
// in the sandbox and in the stock `lua5.4` interpreter (a real process) and every result and error
// message must be byte-identical. Deliberate differences (binary chunks, __gc, refused
// collectgarbage options, resource stops) are asserted on their own, against the sandbox's
// documented errors, in the tests at the end.

#include "lua/stock_parity_support.hpp"

namespace troupe::lua::test {
namespace {

TEST_F(StockParity, CoroutineBasicsMatchStock) {
  expect_same_as_stock({
    {"resume_yield", "local co = coroutine.create(function(a, b) local c = coroutine.yield(a + b)\n"
                     "return c * 2, 'done' end)\n"
                     "return {coroutine.resume(co, 1, 2)}, {coroutine.resume(co, 10)}, coroutine.status(co)"},
    {"status_all", "local main = coroutine.running() local inner\n"
                   "local co = coroutine.create(function() inner = coroutine.status(main) "
                   "return coroutine.status(coroutine.running()), coroutine.isyieldable() end)\n"
                   "local s0 = coroutine.status(co) local r = {coroutine.resume(co)}\n"
                   "return s0, r[2], r[3], inner, coroutine.status(co), coroutine.isyieldable()"},
    {"running_main", "local co, main = coroutine.running() return type(co), main"},
    {"resume_dead", "local co = coroutine.create(function() end) coroutine.resume(co)\n"
                    "return coroutine.resume(co)"},
    {"resume_self", "local co co = coroutine.create(function() return coroutine.resume(co) end)\n"
                    "return coroutine.resume(co)"},
    {"resume_bad_arg", "return coroutine.resume(42)"},
    {"status_bad_arg", "return coroutine.status({})"},
    {"isyieldable_bad_arg", "return coroutine.isyieldable(1)"},
    {"create_bad_arg", "return coroutine.create(1)"},
    {"wrap_bad_arg", "return coroutine.wrap()"},
    {"wrap_yields", "local f = coroutine.wrap(function(x) for i = 1, 3 do x = coroutine.yield(x + i) end "
                    "return 'end', x end)\n return f(0), f(10), f(20), f(30)"},
    {"wrap_dead", "local f = coroutine.wrap(function() end) f()\n return f()"},
    {"wrap_dead_pcall", "local f = coroutine.wrap(function() end) f()\n return pcall(f)"},
    {"yield_outside", "return coroutine.yield(1)"},
    {"yield_across_pcall", "local co = coroutine.create(function() return pcall(coroutine.yield, 7) end)\n"
                           "return {coroutine.resume(co)}, {coroutine.resume(co, 'back')}"},
    {"wrap_inside_wrap", "local outer = coroutine.wrap(function() local inner = coroutine.wrap("
                         "function() coroutine.yield(1) return 2 end)\n"
                         "coroutine.yield(inner()) return inner() end)\n return outer(), outer()"},
  });
}

TEST_F(StockParity, ErrorsInsideCoroutinesMatchStock) {
  expect_same_as_stock({
    {"resume_error", "local co = coroutine.create(function() error('boom') end)\n"
                     "return {coroutine.resume(co)}, coroutine.status(co)"},
    {"resume_error_table", "local co = coroutine.create(function() error({code = 7}) end)\n"
                           "return coroutine.resume(co)"},
    {"resume_runtime_error", "local co = coroutine.create(function() local t return t.x end)\n"
                             "return coroutine.resume(co)"},
    {"wrap_error_prefixed", "local f = coroutine.wrap(function()\n error('boom')\n end)\n"
                            "return f()"},
    {"wrap_error_level0", "local f = coroutine.wrap(function() error('plain', 0) end)\n return f()"},
    {"wrap_error_table", "local f = coroutine.wrap(function() error({1, 2}) end)\n return f()"},
    {"wrap_error_nil", "local f = coroutine.wrap(function() error() end)\n return f()"},
    {"wrap_error_through_pcall", "local f = coroutine.wrap(function() error('x') end)\n"
                                 "return pcall(f)"},
    {"wrap_error_then_call", "local f = coroutine.wrap(function() error('x') end)\n"
                             "pcall(f)\n return f()"},
    {"wrap_error_tostring", "local e = setmetatable({}, {__tostring = function() return 'E!' end})\n"
                            "local f = coroutine.wrap(function() error(e) end)\n"
                            "local ok, got = pcall(f) return ok, got == e, tostring(got)"},
    {"nested_error", "local f = coroutine.wrap(function() local g = coroutine.wrap(function() "
                     "error('deep') end)\n g() end)\n return f()"},
  });
}

constexpr const char* closable =
  "local log = {} local function closer(name, fail) return setmetatable({}, {__close = "
  "function(_, err) log[#log + 1] = name .. ':' .. tostring(err) if fail then error(fail, 0) end "
  "end}) end\n";

TEST_F(StockParity, CoroutineCloseMatchesStock) {
  std::string c = closable;
  expect_same_as_stock({
    {"close_suspended", c + "local co = coroutine.create(function() local a <close> = closer('a')\n"
                            "local b <close> = closer('b') coroutine.yield() end)\n"
                            "coroutine.resume(co)\n"
                            "return coroutine.close(co), coroutine.status(co), log"},
    {"close_errored_runs_handlers", c + "local co = coroutine.create(function() "
                                        "local a <close> = closer('a') error('boom') end)\n"
                                        "local r1 = {coroutine.resume(co)}\n"
                                        "local r2 = {coroutine.close(co)}\n"
                                        "local r3 = {coroutine.close(co)}\n"
                                        "return r1, r2, r3, log, coroutine.status(co)"},
    {"close_errored_no_handlers", "local co = coroutine.create(function() error({7}) end)\n"
                                  "coroutine.resume(co)\n"
                                  "return {coroutine.close(co)}, {coroutine.close(co)}"},
    {"close_handler_raises", c + "local co = coroutine.create(function() "
                                 "local a <close> = closer('a', 'fromA')\n"
                                 "local b <close> = closer('b', 'fromB') coroutine.yield() end)\n"
                                 "coroutine.resume(co)\n local r = {coroutine.close(co)}\n"
                                 "return r, log, coroutine.close(co)"},
    {"close_errored_handler_raises", c + "local co = coroutine.create(function() "
                                         "local a <close> = closer('a', 'late') error('early') end)\n"
                                         "coroutine.resume(co)\n"
                                         "return {coroutine.close(co)}, log"},
    {"close_fresh_and_dead", "local co = coroutine.create(print)\n local r1 = coroutine.close(co)\n"
                             "local d = coroutine.create(function() end) coroutine.resume(d)\n"
                             "return r1, coroutine.close(d), coroutine.status(co)"},
    {"close_running", "return coroutine.close(coroutine.running())"},
    {"close_running_in_coroutine", "local co co = coroutine.create(function() "
                                   "return coroutine.close(co) end)\n return coroutine.resume(co)"},
    {"close_normal", "local outer outer = coroutine.create(function() "
                     "local inner = coroutine.create(function() return coroutine.close(outer) end)\n"
                     "return coroutine.resume(inner) end)\n return coroutine.resume(outer)"},
    {"close_bad_arg", "return coroutine.close('x')"},
    {"close_after_resume_of_dead", c + "local co = coroutine.create(function() "
                                       "local a <close> = closer('a') error('e1') end)\n"
                                       "coroutine.resume(co) local again = {coroutine.resume(co)}\n"
                                       "return again, {coroutine.close(co)}, log"},
  });
}

TEST_F(StockParity, CoroutineWrapClosesAFailedCoroutineAsStockDoes) {
  std::string c = closable;
  expect_same_as_stock({
    {"wrap_runs_handlers", c + "local f = coroutine.wrap(function() local a <close> = closer('a')\n"
                               "error('boom') end)\n local r = {pcall(f)}\n return r, log"},
    {"wrap_handler_error_wins", c + "local f = coroutine.wrap(function() "
                                    "local a <close> = closer('a', 'closing failed')\n"
                                    "error('boom') end)\n local r = {pcall(f)}\n return r, log"},
    {"wrap_handler_error_table", c + "local f = coroutine.wrap(function() "
                                     "local a <close> = setmetatable({}, {__close = function() "
                                     "error({'t'}) end})\n error('boom') end)\n return pcall(f)"},
    {"wrap_running_inside", "local co local f = coroutine.wrap(function() co = coroutine.running() "
                            "error('x') end)\n pcall(f)\n"
                            "return coroutine.status(co), coroutine.close(co)"},
  });
}

TEST_F(StockParity, ToBeClosedVariablesMatchStock) {
  std::string c = closable;
  expect_same_as_stock({
    {"order_on_return", c + "do local a <close> = closer('a') local b <close> = closer('b') end\n"
                            "return log"},
    {"nil_and_false", "local a <close> = nil local b <close> = false return 'fine'"},
    {"non_closable", "local a <close> = {} return 'unreached'"},
    {"non_closable_number", "local x <close> = 42 return 'unreached'"},
    {"on_error", c + "local ok, e = pcall(function() local a <close> = closer('a') "
                     "error('boom') end)\n return ok, e, log"},
    {"handler_error_on_return", c + "local ok, e = pcall(function() "
                                    "local a <close> = closer('a', 'bad close') return 1 end)\n"
                                    "return ok, e, log"},
    {"handler_error_replaces_error", c + "local ok, e = pcall(function() "
                                         "local a <close> = closer('a', 'second')\n"
                                         "error('first') end)\n return ok, e, log"},
    {"in_loop_break", c + "for i = 1, 3 do local x <close> = closer('i' .. i) if i == 2 then "
                          "break end end\n return log"},
    {"generic_for_closing_value", c + "local function iter() return function(_, i) if i < 2 then "
                                      "return i + 1 end end, nil, 0, closer('for') end\n"
                                      "for i in iter() do end\n return log"},
    {"const_assign", "return load('local x <const> = 1; x = 2')"},
    {"unknown_attrib", "return load('local x <foo> = 1')"},
  });
}

TEST_F(StockParity, PcallXpcallAndErrorMatchStock) {
  expect_same_as_stock({
    {"levels", "local function f(l) error('msg', l) end\n"
               "local function g(l) f(l) end\n"
               "return select(2, pcall(g, 1)), select(2, pcall(g, 2)), select(2, pcall(g, 3)), "
               "select(2, pcall(g, 0))"},
    {"error_called_by_pcall", "return {pcall(error, 'direct')}, {pcall(error, 'two', 2)}"},
    {"non_string_errors", "return {pcall(error, nil)}, {pcall(error, 42)}, {pcall(error, true)}, "
                          "{pcall(error, {k = 'v'})}"},
    {"tostring_error_object", "local e = setmetatable({}, {__tostring = function() return 'custom' "
                              "end})\n local ok, got = pcall(error, e)\n"
                              "return ok, got == e, tostring(got)"},
    {"pcall_no_args", "return pcall()"},
    {"pcall_not_callable", "return pcall(42)"},
    {"pcall_results", "return pcall(function(...) return ... end, 1, nil, 3)"},
    {"nested", "return pcall(pcall, error, 'x')"},
    {"runtime_errors", "local t = {} return {pcall(function() return t.a.b end)}, "
                       "{pcall(function() return 1 + {} end)}, {pcall(function() return #5 end)}, "
                       "{pcall(function() local s = 'x' return s < 1 end)}, "
                       "{pcall(function() undefined_global() end)}"},
    {"xpcall_handler", "return xpcall(function() error('bad') end, function(m) "
                       "return 'handled: ' .. m end)"},
    {"xpcall_args", "return xpcall(function(a, b) return a + b end, print, 2, 3)"},
    {"xpcall_handler_results", "return xpcall(error, function(m) return m, 'extra' end, 'E')"},
    {"xpcall_no_handler", "return xpcall(print)"},
    {"xpcall_bad_handler", "return xpcall(print, 42)"},
    {"xpcall_table_error", "return xpcall(error, function(m) return type(m) end, {})"},
    {"xpcall_handler_errors", "return xpcall(error, function(m) error('again') end, 'x')"},
    {"assert_forms", "return {pcall(assert, false)}, {pcall(assert, nil, 'why')}, "
                     "{pcall(assert, false, {1})}, {pcall(assert)}, assert(1, 2, 3)"},
    {"error_with_level_in_method", "local obj = {} function obj:check() error('in method', 2) end\n"
                                   "return pcall(function() obj:check() end)"},
  });
}

TEST_F(StockParity, StringRepMatchesStock) {
  expect_same_as_stock({
    {"basic", "return string.rep('ab', 3), string.rep('ab', 3, ','), ('x'):rep(1), "
              "string.rep('x', 0), string.rep('x', -5), string.rep('', 1000), string.rep('a', 2, '')"},
    {"numbers", "return string.rep(12, 2), string.rep('a', 2.0), string.rep('a', '3')"},
    {"non_integer_n", "return string.rep('a', 1.5)"},
    {"missing_n", "return string.rep('a')"},
    {"bad_string", "return string.rep({}, 2)"},
    {"bad_sep", "return string.rep('a', 2, {})"},
    {"method_bad_n", "return ('a'):rep('x')"},
    {"too_large", "return string.rep('ab', math.maxinteger)"},
    {"too_large_sep", "return ('x'):rep(1 << 40, ',')"},
    {"through_pcall", "return {pcall(string.rep)}"},
  });
}

TEST_F(StockParity, StringPatternFunctionsMatchStock) {
  expect_same_as_stock({
    {"find", "return {string.find('hello world', 'o w')}, {string.find('hello', 'l+')}, "
             "{string.find('a.b', '.', 1, true)}, {string.find('abc', 'b', -1)}, "
             "{string.find('abc', '', 10)}, {string.find('abc', '', 4)}, {('abc'):find('(b)(c)')}"},
    {"match", "return {string.match('key = value', '(%w+)%s*=%s*(%w+)')}, "
              "{string.match('  x', '^%s*()')}, {string.match('THE (quick) fox', '%((%a+)%)')}, "
              "{string.match('f(a(b)c)', '%b()')}, {string.match('THE quick', '%f[%a]%a+', 4)}"},
    {"gmatch", "local r = {} for k, v in string.gmatch('a=1, b=2', '(%w+)=(%w+)') do "
               "r[#r + 1] = k .. v end\n for w in ('one two'):gmatch('%a+', 4) do r[#r + 1] = w end\n"
               "for e in ('abc'):gmatch('') do r[#r + 1] = 'e' end return r"},
    {"gsub", "return {string.gsub('hello world', 'o', '0')}, {string.gsub('abc', '%w', '%0%0', 2)}, "
             "{string.gsub('$name is $age', '%$(%w+)', {name = 'Al', age = 3})}, "
             "{string.gsub('abc', '(b)', function(x) return x:upper() end)}, "
             "{string.gsub('abc', '', '-')}, {string.gsub('abc', 'b', false and '' or '%%')}, "
             "{string.gsub('x y', '%w', {x = false})}"},
    {"ends_with_percent", "return string.find('a', '%')"},
    {"missing_bracket", "return string.match('a', '[a')"},
    {"missing_b_args", "return string.gsub('a', '%b', '')"},
    {"missing_f_bracket", "return string.find('a', '%fa')"},
    {"invalid_capture_index", "return string.find('a', '%1')"},
    {"invalid_pattern_capture", "return string.match('a', 'a)')"},
    {"unfinished_capture", "return string.match('a', '(a')"},
    {"too_many_captures", "return string.match(string.rep('a', 40), string.rep('(a)', 33))"},
    {"bad_replacement_value", "return string.gsub('abc', 'b', {b = {}})"},
    {"bad_percent_in_replacement", "return string.gsub('abc', 'b', '%2')"},
    {"percent_at_end_of_replacement", "return string.gsub('abc', 'b', 'x%')"},
    {"bad_replacement_type", "return string.gsub('abc', 'b', true)"},
    {"bad_subject", "return string.find(nil, 'a')"},
    {"bad_pattern", "return string.match('a', {})"},
    {"bad_init", "return string.find('a', 'a', 'x')"},
    {"gmatch_bad_pattern_on_call", "local it = string.gmatch('abc', '[') return it()"},
    {"gsub_bad_n", "return string.gsub('a', 'a', 'b', 'many')"},
    {"through_pcall", "return {pcall(string.find)}, {pcall(string.gsub, 'a')}, {pcall(string.gmatch)}"},
    {"method_bad_self", "local s = 'x' return pcall(function() return s.find(nil, 'a') end)"},
  });
}

TEST_F(StockParity, TableFunctionsMatchStock) {
  expect_same_as_stock({
    {"insert", "local t = {1, 2, 3} table.insert(t, 4) table.insert(t, 1, 0) "
               "table.insert(t, #t + 1, 9) return t"},
    {"insert_out_of_bounds", "return table.insert({1, 2}, 5, 'x')"},
    {"insert_pos_zero", "return table.insert({}, 0, 'x')"},
    {"insert_wrong_count", "return table.insert({}, 1, 2, 3)"},
    {"insert_one_arg", "return table.insert({})"},
    {"insert_not_table", "return table.insert(nil, 1)"},
    {"insert_bad_pos", "return table.insert({}, 'a', 1)"},
    {"remove", "local t = {1, 2, 3, 4} local a = table.remove(t) local b = table.remove(t, 1) "
               "return a, b, t, table.remove({}), table.remove({}, 1), table.remove({5}, 2)"},
    {"remove_out_of_bounds", "return table.remove({1, 2}, 5)"},
    {"remove_not_table", "return table.remove('abc')"},
    {"concat", "return table.concat({1, 'b', 3.5}), table.concat({'a', 'b', 'c'}, ', ', 2), "
               "table.concat({'a', 'b', 'c'}, '-', 1, 2), table.concat({}, 'x'), "
               "table.concat({'a'}, 'x', 3, 2)"},
    {"concat_invalid_value", "return table.concat({'a', {}, 'c'})"},
    {"concat_nil_value", "return table.concat({'a'}, '', 1, 3)"},
    {"concat_not_table", "return table.concat('abc')"},
    {"concat_bad_sep", "return table.concat({}, {})"},
    {"concat_bad_range", "return table.concat({}, '', 'x')"},
    {"sort", "local t = {5, 2, 8, 1} table.sort(t) local u = {'b', 'c', 'a'} "
             "table.sort(u, function(a, b) return a > b end) return t, u"},
    {"sort_invalid_order", "local t = {} for i = 1, 20 do t[i] = i % 3 end "
                           "return table.sort(t, function(a, b) return true end)"},
    {"sort_bad_comparator", "return table.sort({3, 1}, 42)"},
    {"sort_mixed_types", "return table.sort({1, 'x', 2})"},
    {"sort_not_table", "return table.sort(5)"},
    {"move", "local t = {1, 2, 3, 4, 5} table.move(t, 2, 4, 1) local u = table.move({1, 2, 3}, 1, 3, "
             "2) local v = table.move({1, 2}, 1, 2, 1, {9, 9, 9}) return t, u, v, "
             "table.move({}, 3, 1, 1)"},
    {"move_too_many", "return table.move({}, math.mininteger, math.maxinteger, 1)"},
    {"move_wrap_around", "return table.move({}, 1, 10, math.maxinteger)"},
    {"move_bad_args", "return {pcall(table.move, {}, 1)}, {pcall(table.move, {}, 1, 2, 'x')}, "
                      "{pcall(table.move, 1, 1, 2, 3)}, {pcall(table.move, {}, 1, 2, 3, 'y')}"},
    {"metamethod_calls", "local n = 0 local proxy = setmetatable({}, {__len = function() n = n + 1 "
                         "return 2 end, __index = function(_, i) n = n + 10 return 'v' .. i end})\n"
                         "local s = table.concat(proxy, ',') table.insert(proxy, 'x') "
                         "local r = table.remove(proxy) return s, r, n, rawget(proxy, 3)"},
    {"bad_length", "local t = setmetatable({}, {__len = function() return 'x' end})\n"
                   "return {pcall(table.insert, t, 1)}, {pcall(table.concat, t)}, {pcall(table.remove, t)}"},
    {"through_pcall", "return {pcall(table.insert, nil, 1)}, {pcall(table.concat, 1)}, "
                      "{pcall(table.sort)}, {pcall(table.remove)}"},
  });
}

TEST_F(StockParity, LoadMatchesStock) {
  expect_same_as_stock({
    {"text", "return load('return 1 + 1')(), load('return ...', 'name')(5)"},
    {"env", "local f = load('return x', 'c', 't', {x = 5}) local g = load('return x', 'c', 'bt', nil)\n"
            "return f(), {pcall(g)}"},
    {"default_chunkname_error", "return load('return +')"},
    {"named_chunk_errors", "return {load('x = ', '=custom')}, {load('x = ', '@file.lua')}, "
                           "{load('\\n\\nerror(\"e\")', 'chunk')}"},
    {"runtime_error_position", "return pcall(load('local t = nil\\nreturn t.x', '=here'))"},
    {"mode_t", "return load('return 2', 'c', 't')()"},
    {"mode_b_refuses_text", "return load('return 2', 'c', 'b')"},
    {"mode_odd", "return load('return 2', 'c', 'x')"},
    {"mode_bad_type", "return load('return 2', 'c', {})"},
    {"chunkname_bad_type", "return load('return 2', {})"},
    {"number_chunk", "return load(42)"},
    {"nil_chunk", "return load(nil)"},
    {"table_chunk", "return load({})"},
    {"reader", "local parts = {'return ', '1 ', '+ 41'} local i = 0\n"
               "local f = load(function() i = i + 1 return parts[i] end) return f()"},
    {"reader_empty", "return load(function() return nil end)()"},
    {"reader_empty_string", "local n = 0 return load(function() n = n + 1 return '' end), n"},
    {"reader_bad_piece", "return load(function() return {} end)"},
    {"reader_error", "return load(function() error('in reader') end)"},
    {"reader_error_level2", "return load(function() error('lvl', 2) end)"},
    {"reader_syntax_error", "local done return load(function() if not done then done = true "
                            "return 'return +' end end, 'rd')"},
    {"reader_env_and_mode", "local done local f = load(function() if not done then done = true "
                            "return 'return y' end end, 'rd', 't', {y = 'env'}) return f()"},
    {"reader_mode_b", "return load(function() return nil end, 'rd', 'b')"},
    {"empty_text", "return load('')()"},
    {"through_pcall", "return {pcall(load)}"},
  });
}

TEST_F(StockParity, SetmetatableAndGetmetatableMatchStock) {
  expect_same_as_stock({
    {"basic", "local t = {} local mt = {__index = {a = 1}} return setmetatable(t, mt) == t, t.a, "
              "getmetatable(t) == mt, setmetatable(t, nil) == t, getmetatable(t)"},
    {"protected", "local t = setmetatable({}, {__metatable = 'locked'}) "
                  "return getmetatable(t), {pcall(setmetatable, t, {})}"},
    {"protected_direct", "local t = setmetatable({}, {__metatable = false}) "
                         "return setmetatable(t, nil)"},
    {"bad_first", "return setmetatable(1, {})"},
    {"bad_second", "return setmetatable({}, 1)"},
    {"missing_second", "return setmetatable({})"},
    {"string_metatable", "return pcall(setmetatable, 'x', {})"},
    {"through_pcall", "return {pcall(setmetatable)}, {pcall(getmetatable)}"},
    {"close_metamethod_kept", "local closed local t = setmetatable({}, {__close = function() "
                              "closed = true end})\n do local x <close> = t end return closed"},
  });
}

TEST_F(StockParity, CollectgarbageMatchesStock) {
  expect_same_as_stock({
    {"result_types", "return type(collectgarbage('count')), math.type(collectgarbage('count')), "
                     "collectgarbage(), collectgarbage('collect'), "
                     "type(collectgarbage('step')), type(collectgarbage('step', 10)), "
                     "collectgarbage('isrunning')"},
    {"invalid_option", "return collectgarbage('nonsense')"},
    {"bad_option_type", "return collectgarbage({})"},
    {"bad_step", "return collectgarbage('step', 'x')"},
    {"through_pcall", "return {pcall(collectgarbage, 'nope')}"},
  });
}

TEST_F(StockParity, TypeMatchesStock) {
  // The sandbox's type keeps the names as upvalues instead of interning them per call.
  expect_same_as_stock({
    {"every_type", "return type(nil), type(true), type(1), type(1.5), type('s'), type({}), "
                   "type(print), type(coroutine.create(print)), type(type)"},
    {"names_are_strings", "local t = type({}) return t == 'table', #t, t .. '!', type(t)"},
    {"no_argument", "return type()"},
    {"through_pcall", "return {pcall(type)}, {pcall(type, nil)}"},
    {"extra_arguments", "return type(1, 'x', {})"},
    {"multiple_results", "local function f() return {}, 1 end return type(f())"},
  });
}

TEST_F(StockParity, FunctionNamesInErrorsMatchStock) {
  expect_same_as_stock({
    {"local_alias", "local ins = table.insert ins(nil, 1)"},
    {"global_alias", "myrep = string.rep local ok, e = pcall(function() return myrep() end)\n"
                     "myrep = nil return ok, e"},
    {"field_of_local_table", "local lib = {f = coroutine.resume} return lib.f(1)"},
    {"method_call", "local t = {find = string.find} return t:find('a')"},
    {"upvalue_call", "local r = coroutine.resume return (function() return r('x') end)()"},
    {"tail_call", "return coroutine.close(1)"},
    {"via_select", "return select(2, pcall(select, 'x'))"},
    {"via_wrap", "return coroutine.wrap(table.concat)(1)"},
    {"via_xpcall", "return xpcall(string.rep, function(m) return 'H: ' .. m end)"},
  });
}

// -- deliberate differences: the sandbox refuses what stock Lua allows ---------------------------

TEST_F(StockParity, BinaryChunksAreRefusedWhereStockLoadsThem) {
  const std::string refused =
    "nil, \"attempt to load a binary chunk (the sandbox loads text chunks only)\"";
  auto out = sandbox_only({
    {"string_default", "return load('\\27Lua rest')"},
    {"string_bt", "return load('\\27Lua rest', 'c', 'bt')"},
    {"string_b", "return load('\\27Lua rest', 'c', 'b')"},
    {"reader", "local p = {'\\27Lua', 'T'} return load(function() return table.remove(p, 1) end)"},
    {"reader_b", "local p = {'\\27Lua'} return load(function() return table.remove(p, 1) end, "
                 "'r', 'b')"},
    {"string_t", "return load('\\27Lua rest', 'c', 't')"},
  });
  for (const char* name : {"string_default", "string_bt", "string_b", "reader", "reader_b"})
    EXPECT_EQ(out[name], "true, " + refused) << name;
  // With mode "t" stock Lua refuses as well, and says so in its own words.
  EXPECT_EQ(out["string_t"], "true, nil, \"attempt to load a binary chunk (mode is 't')\"");
  auto stock = stock_only({{"dump", "return load(string.dump(function() return 7 end))()"}});
  EXPECT_EQ(stock["dump"], "true, 7"); // what the sandbox refuses, stock runs
}

TEST_F(StockParity, GcMetamethodsAreRefusedWhereStockAcceptsThem) {
  std::vector<parity_case> cases{{"gc", "return setmetatable({}, {__gc = function() end}) ~= nil"}};
  auto sandboxed = sandbox_only(cases)["gc"];
  EXPECT_EQ(sandboxed.rfind("false, \"f.lua:", 0), 0u) << sandboxed;
  EXPECT_NE(sandboxed.find(": __gc metamethods are not allowed in the sandbox\""), std::string::npos)
    << sandboxed;
  EXPECT_EQ(stock_only(cases)["gc"], "true, true");
}

TEST_F(StockParity, CollectgarbageOptionsThatControlTheCollectorAreRefused) {
  std::vector<parity_case> cases;
  for (const char* option :
       {"stop", "restart", "setpause", "setstepmul", "generational", "incremental"})
    cases.push_back({option, std::string("return type(collectgarbage('") + option + "'))"});
  auto sandboxed = sandbox_only(cases);
  auto stock = stock_only(cases);
  for (const auto& c : cases) {
    EXPECT_EQ(sandboxed[c.name].rfind("false, \"f.lua:", 0), 0u) << sandboxed[c.name];
    EXPECT_NE(sandboxed[c.name].find(": collectgarbage('" + c.name +
                                     "') is not allowed in the sandbox\""),
              std::string::npos)
      << sandboxed[c.name];
    EXPECT_EQ(stock[c.name].rfind("true, ", 0), 0u) << stock[c.name];
  }
}

TEST_F(StockParity, StringsPastTheSandboxLimitAreRefusedWhereStockBuildsThem) {
  std::vector<parity_case> cases{
    {"rep", "return #string.rep('x', 2 * 1024 * 1024)"},
    {"concat", "local t = {} for i = 1, 3 do t[i] = string.rep('y', 512 * 1024) end\n"
               "return #table.concat(t)"}};
  auto sandboxed = sandbox_only(cases);
  EXPECT_NE(sandboxed["rep"].find("string size limit exceeded (2097152 bytes wanted, at most "
                                  "1048576)"), std::string::npos) << sandboxed["rep"];
  EXPECT_NE(sandboxed["concat"].find("string size limit exceeded"), std::string::npos)
    << sandboxed["concat"];
  auto stock = stock_only(cases);
  EXPECT_EQ(stock["rep"], "true, 2097152");
  EXPECT_EQ(stock["concat"], "true, 1572864");
}

// -- deliberate differences: stops stay sticky -------------------------------------------------

constexpr const char* stop_script = R"(
  closed = {}
  local function closer(name)
    return setmetatable({}, {__close = function() closed[#closed + 1] = name end})
  end
  function execute(x)
    if x == "stop_in_wrap" then
      local f = coroutine.wrap(function() local c <close> = closer("wrap") while true do end end)
      return pcall(f)
    elseif x == "stop_in_resume" then
      stash = coroutine.create(function() local c <close> = closer("stash") while true do end end)
      return pcall(coroutine.resume, stash)
    elseif x == "fail_in_resume" then
      stash = coroutine.create(function() local c <close> = closer("failed") error("boom") end)
      return {coroutine.resume(stash)}
    elseif x == "close" then
      local first = {coroutine.close(stash)}
      return {first, {coroutine.close(stash)}, coroutine.status(stash), closed}
    end
    return closed
  end
)";

TEST_F(StockParity, AStopInsideAWrappedCoroutineIsNotCaughtAndDoesNotCloseIt) {
  auto h = host_ok(stop_script);
  EXPECT_LUA_ERROR(run(h, "\"stop_in_wrap\""), errc::limit_exceeded, "instruction limit");
  EXPECT_EQ(*run(h, "\"list\""), nlohmann::json::object()); // no handler ran (empty table)
}

TEST_F(StockParity, ACoroutineKilledByAStopIsNotClosedLater) {
  auto h = host_ok(stop_script);
  EXPECT_LUA_ERROR(run(h, "\"stop_in_resume\""), errc::limit_exceeded, "instruction limit");
  auto out = run(h, "\"close\"");
  ASSERT_TRUE(out) << text_of(out.error());
  auto refused = nlohmann::json::parse(
    R"([false, "cannot close a coroutine stopped by a sandbox limit"])");
  EXPECT_EQ((*out)[0], refused);
  EXPECT_EQ((*out)[1], refused);
  EXPECT_EQ((*out)[2], "dead");
  EXPECT_EQ((*out)[3], nlohmann::json::object()); // its __close handler never ran
}

TEST_F(StockParity, ACoroutineThatFailedInOneCallIsClosedInTheNextAsInStock) {
  auto h = host_ok(stop_script);
  auto failed = run(h, "\"fail_in_resume\"");
  ASSERT_TRUE(failed) << text_of(failed.error());
  EXPECT_EQ((*failed)[0], false);
  auto out = run(h, "\"close\"");
  ASSERT_TRUE(out) << text_of(out.error());
  // Stock Lua 5.4.4 answers the coroutine's error on the first close, true on the second.
  EXPECT_EQ((*out)[0][0], false);
  EXPECT_NE((*out)[0][1].get<std::string>().find("boom"), std::string::npos) << *out;
  EXPECT_EQ((*out)[1], nlohmann::json::parse("[true]"));
  EXPECT_EQ((*out)[3], nlohmann::json::parse(R"(["failed"])"));
}

} // namespace
} // namespace troupe::lua::test
