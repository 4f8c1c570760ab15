--[[ rule_engine.lua: ordered business rules that are data, not code.

Sample input (the facts), e.g. `troupe exec --script scripts/rule_engine.lua '<json>'`:
  {"customer": {"tier": "gold", "verified": true},
   "order": {"total": 250, "items": 12, "coupon": "SAVE5"}}
Sample output with the default rules below:
  {"matched": ["vip_customer", "bulk_order", "free_shipping", "promo_code"],
   "result": {"discount": 20, "shipping": "free"}, "tags": ["vip", "bulk", "promo"]}
(An empty list comes out as {}: Lua has one kind of table, and an empty one encodes as a map.)

A rule:  { name = "vip", priority = 10,          -- higher runs first; ties keep the list order
           when = {all = {cond, ...}} or {any = {cond, ...}} or one cond; no when: always,
           actions = { {set = "discount", value = 10}, {add = "score", value = 5},
                       {add_tag = "vip"}, {stop = true} } } -- stop: no later rule is evaluated
A cond:  { field = "customer.tier", op = "==", value = "gold" }, or a nested {all=}/{any=}.
  ops: == != > >= < <= in (value: array) contains (substring, or array element) starts_with
  exists (value true/false, default true). A missing field is nil: == fails, != holds, and
  > >= < <= need a value of the same type. Digit segments index arrays: "items.1.sku".

Replace the rules with the "rules" setting (JSON text, read by init), the set_rules tool, or
call_script_function(id, "set_rules", {"rules": [...]}) (a bare array would be spread into one
argument per rule; set_rules accepts that too). get_rules() answers the rules in force, and
compiled_code() the Lua they were compiled to. ]]

plugin_name = "rule_engine"
plugin_version = "1.0.0"
plugin_description = "Evaluates ordered, data-defined rules against a facts object"
plugin_type = "skill"
capabilities = { "rules", "decisions" }

local DEFAULT_RULES = {
  { name = "fraud_hold", priority = 100,
    when = { all = { { field = "order.total", op = ">=", value = 5000 },
                     { field = "customer.verified", op = "!=", value = true } } },
    actions = { { set = "decision", value = "hold" }, { add_tag = "review" }, { stop = true } } },
  { name = "vip_customer", priority = 50,
    when = { any = { { field = "customer.tier", op = "in", value = { "gold", "platinum" } },
                     { field = "customer.orders", op = ">=", value = 20 } } },
    actions = { { set = "discount", value = 10 }, { add_tag = "vip" } } },
  { name = "bulk_order", priority = 40,
    when = { field = "order.items", op = ">=", value = 10 },
    actions = { { add = "discount", value = 5 }, { add_tag = "bulk" } } },
  { name = "free_shipping", priority = 30,
    when = { any = { { field = "order.total", op = ">=", value = 100 },
                     { field = "customer.tags", op = "contains", value = "free_shipping" } } },
    actions = { { set = "shipping", value = "free" } } },
  { name = "promo_code", priority = 20,
    when = { field = "order.coupon", op = "starts_with", value = "SAVE" },
    actions = { { add = "discount", value = 5 }, { add_tag = "promo" } } },
}

-- Compiling ---------------------------------------------------------------------------------
-- set_rules checks the rules and compiles them, once, into ONE Lua function: its text is built
-- here and loaded with `load`. Evaluating is then straight-line code: each field path is looked
-- up once, each condition is an inline comparison, and nothing is parsed or allocated. Values
-- from the rules enter the code only as %q literals (or through the table K), and the code runs
-- in an empty environment, so a rule cannot inject code.

local OPS = { ["=="] = true, ["!="] = true, [">"] = true, [">="] = true, ["<"] = true,
              ["<="] = true, ["in"] = true, contains = true, starts_with = true, exists = true }
local OP_NAMES = "==, !=, >, >=, <, <=, in, contains, starts_with, exists"
local MAX_FIELDS, MAX_DEPTH = 120, 16 -- each field is a local of the generated function

-- A Lua literal for a string, number or boolean (nil for anything else).
local function literal(v)
  local t = type(v)
  if t == "string" or t == "number" then return string.format("%q", v) end
  if t == "boolean" then return tostring(v) end
end

-- True if x (a string or an array) contains v; used by the op "contains".
local function has(x, v)
  if type(x) == "string" then return type(v) == "string" and contains(x, v) end
  if type(x) == "table" then for i = 1, #x do if x[i] == v then return true end end end
  return false
end

-- The local ("v3") that will hold `field`; the path goes into a tree shared by all fields.
local function field_var(c, field, fail)
  if c.fields[field] then return c.fields[field] end
  local node, parts = c.tree, split(field, ".")
  if #parts > MAX_DEPTH then fail("a path may have at most " .. MAX_DEPTH .. " segments") end
  for _, part in ipairs(parts) do
    if part == "" then fail("empty segment in the field path") end
    local key = part:match("^%d+$") and math.tointeger(tonumber(part)) or part
    if not node.kids[key] then
      node.kids[key] = { key = key, kids = {}, order = {} }
      node.order[#node.order + 1] = node.kids[key]
    end
    node = node.kids[key]
  end
  c.n = c.n + 1
  if c.n > MAX_FIELDS then fail("the rules use more than " .. MAX_FIELDS .. " fields") end
  node.var = "v" .. c.n
  c.fields[field] = node.var
  return node.var
end

-- Lines that look every field up: nested tables are checked once per prefix.
local function gen_lookups(node, tvar, out, depth)
  for _, kid in ipairs(node.order) do
    local get = tvar .. "[" .. literal(kid.key) .. "]"
    if next(kid.kids) == nil then
      out[#out + 1] = kid.var .. " = " .. get
    else
      local t = "t" .. depth
      out[#out + 1] = "do local " .. t .. " = " .. get
      if kid.var then out[#out + 1] = kid.var .. " = " .. t end
      out[#out + 1] = "if type(" .. t .. ") == 'table' then"
      gen_lookups(kid, t, out, depth + 1)
      out[#out + 1] = "end end"
    end
  end
end

-- A Lua expression for one condition (or group) of a rule.
local function cond_expr(c, cond, where)
  if type(cond) ~= "table" then error(where .. ": a condition must be a table", 0) end
  local group, join = cond.all, " and "
  if group == nil and cond.any ~= nil then group, join = cond.any, " or " end
  if group ~= nil then
    where = where .. (join == " and " and ".all" or ".any")
    if type(group) ~= "table" or #group == 0 then error(where .. ": needs a non-empty list", 0) end
    local parts = {}
    for i, sub in ipairs(group) do parts[i] = cond_expr(c, sub, where .. "[" .. i .. "]") end
    return "(" .. table.concat(parts, join) .. ")"
  end
  local field, op, value = cond.field, cond.op, cond.value
  if type(field) ~= "string" or field == "" then error(where .. ": missing 'field'", 0) end
  local function fail(msg) error(where .. " (" .. field .. " " .. tostring(op) .. "): " .. msg, 0) end
  if not OPS[op] then fail("unknown op (use one of " .. OP_NAMES .. ")") end
  local x, lit = field_var(c, field, fail), literal(value)
  if op == "exists" then return "(" .. x .. (value == false and " == nil)" or " ~= nil)") end
  if value == nil then fail("needs a value") end
  if op == "==" or op == "!=" or op == "contains" then
    if not lit then fail("needs a string, number or boolean value") end
    if op == "contains" then return "has(" .. x .. ", " .. lit .. ")" end
    return "(" .. x .. (op == "==" and " == " or " ~= ") .. lit .. ")"
  elseif op == "in" then
    if type(value) ~= "table" then fail("needs an array value") end
    local alts, set = {}, {}
    for i, item in ipairs(value) do
      alts[i] = x .. " == " .. (literal(item) or fail("array items must be strings or numbers"))
      set[item] = true
    end
    if #alts <= 8 then return "(" .. (#alts == 0 and "false" or table.concat(alts, " or ")) .. ")" end
    c.consts[#c.consts + 1] = set -- a long list: one table lookup instead of many comparisons
    return "(" .. x .. " ~= nil and K[" .. #c.consts .. "][" .. x .. "] == true)"
  end
  local want = op == "starts_with" and "string" or type(value)
  if want ~= "number" and want ~= "string" or type(value) ~= want then
    fail(op == "starts_with" and "needs a string value" or "needs a number or string value")
  end
  local test = op == "starts_with" and "starts_with(" .. x .. ", " .. lit .. ")" or x .. " " .. op .. " " .. lit
  return "(type(" .. x .. ") == '" .. want .. "' and " .. test .. ")"
end

-- The Lua statements for one rule's actions (and its stop).
local function gen_actions(c, r, where, out)
  for i, a in ipairs(r.actions or {}) do
    local at = where .. ": action " .. i
    if type(a) ~= "table" then error(at .. " must be a table", 0) end
    local key = a.set or a.add or a.add_tag
    if key ~= nil and type(key) ~= "string" then error(at .. ": the name must be a string", 0) end
    local k = literal(key)
    local reset = key ~= nil and (a.add_tag and "tagged[" or "result[") .. k .. "] = nil"
    if reset and not c.keys[reset] then c.keys[reset], c.keys[#c.keys + 1] = true, reset end
    if a.set or a.add then
      if a.value == nil then error(at .. ": needs a value", 0) end
      local v = literal(a.value)
      if not v then c.consts[#c.consts + 1] = a.value; v = "K[" .. #c.consts .. "]" end
      if a.set then out[#out + 1] = "result[" .. k .. "] = " .. v
      elseif type(a.value) ~= "number" then error(at .. ": add needs a number value", 0)
      else out[#out + 1] = "x = result[" .. k .. "]; result[" .. k .. "] = (type(x) == 'number' and x or 0) + " .. v end
    elseif a.add_tag then
      out[#out + 1] = "if not tagged[" .. k .. "] then nt = nt + 1; tags[nt] = " .. k .. "; tagged[" .. k .. "] = true end"
    elseif a.stop == true then r.stops = true
    else error(at .. ": unknown action (use set, add, add_tag or stop)", 0) end
  end
end

local rules_source, run, code = {}, nil, ""
local matched, result, tags, tagged = {}, {}, {}, {}
local output = { matched = matched, result = result, tags = tags }

local function clear_output() -- when the rules change: the new code knows only its own keys
  for _, t in ipairs({ matched, result, tags, tagged }) do
    for k in next, t do t[k] = nil end
  end
end

-- Checks and compiles `new`; replaces the rules only if all of them are valid.
function set_rules(new, ...)
  if type(new) == "string" then new = assert(json_parse(new)) end
  if type(new) == "table" and new.rules ~= nil then new = new.rules
  elseif type(new) == "table" and (new.name or new.when or new.actions) then new = { new, ... } end
  if type(new) ~= "table" then error("set_rules needs a list of rules", 0) end
  local order, seen = {}, {}
  for i, r in ipairs(new) do
    if type(r) ~= "table" then error("rule #" .. i .. " must be a table", 0) end
    if type(r.name) ~= "string" or r.name == "" then error("rule #" .. i .. ": missing 'name'", 0) end
    if seen[r.name] then error("rule '" .. r.name .. "' is defined twice", 0) end
    if r.priority ~= nil and type(r.priority) ~= "number" then
      error("rule '" .. r.name .. "': priority must be a number", 0)
    end
    seen[r.name], order[i] = true, { rule = r, index = i, priority = r.priority or 0 }
  end
  table.sort(order, function(a, b)
    if a.priority ~= b.priority then return a.priority > b.priority end
    return a.index < b.index
  end)
  local c = { fields = {}, tree = { kids = {}, order = {} }, n = 0, consts = {}, keys = {} }
  local body = {}
  for _, o in ipairs(order) do
    local r, where = { actions = o.rule.actions }, "rule '" .. o.rule.name .. "'"
    local test = o.rule.when ~= nil and cond_expr(c, o.rule.when, where .. ": when") or "true"
    body[#body + 1] = "if " .. test .. " then nm = nm + 1; matched[nm] = " .. literal(o.rule.name)
    gen_actions(c, r, where, body)
    body[#body + 1] = r.stops and "goto done end" or "end"
  end
  -- The function first forgets what the previous call set (every key it can set is known).
  local head = { "local K, type, starts_with, has = ...",
                 "return function(f, matched, result, tags, tagged)", table.concat(c.keys, "; "),
                 "local nm, nt, x = 0, 0" }
  if c.n > 0 then
    local vars = {}
    for i = 1, c.n do vars[i] = "v" .. i end
    head[#head + 1] = "local " .. table.concat(vars, ", ")
  end
  gen_lookups(c.tree, "f", head, 1)
  body[#body + 1] = "::done:: for i = nm + 1, #matched do matched[i] = nil end"
  body[#body + 1] = "for i = nt + 1, #tags do tags[i] = nil end end"
  local text = table.concat(head, "\n") .. "\n" .. table.concat(body, "\n") .. "\n"
  local chunk, err = load(text, "=rules", "t", {})
  if not chunk then error("cannot compile the rules: " .. err, 0) end
  rules_source, run, code = new, chunk(c.consts, type, starts_with, has), text
  clear_output()
  return { ok = true, count = #order }
end

function get_rules() return rules_source end
function compiled_code() return code end

-- Evaluating --------------------------------------------------------------------------------
-- execute answers the same output tables every time, overwritten by the compiled function: a
-- plugin runs one call at a time and the result is copied out as soon as execute returns, so
-- reusing them beats making new garbage on every call.
function execute(facts)
  if type(facts) ~= "table" then error("facts must be an object, got " .. type(facts), 0) end
  run(facts, matched, result, tags, tagged)
  return output
end

function init(settings)
  if settings.rules and settings.rules ~= "" then
    local parsed, err = json_parse(settings.rules)
    if parsed == nil then error("setting 'rules' is not valid JSON: " .. tostring(err), 0) end
    set_rules(parsed)
  end
end

tools = {
  { name = "evaluate_rules", description = "Run the rules against a facts object",
    parameters = { type = "object", required = { "facts" }, additionalProperties = false,
      properties = { facts = { type = "object", description = "e.g. {\"order\": {\"total\": 250}}" } } },
    handler = function(args) return execute(args.facts) end },
  { name = "set_rules", description = "Replace the rules (the shape is described in rule_engine.lua)",
    parameters = { type = "object", required = { "rules" }, additionalProperties = false,
      properties = { rules = { type = "array", items = { type = "object", required = { "name" } } } } },
    handler = function(args) return set_rules(args.rules) end },
}

set_rules(DEFAULT_RULES)
