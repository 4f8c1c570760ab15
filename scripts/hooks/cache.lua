-- An agent hook (docs/hooks.md): answers a repeated tool call from a cache for `ttl_ms`. The
-- before hook short-circuits a hit (the tool does not run, no later hook runs); the after hook
-- keeps each successful result. Arguments are compared by value (keys in any order).
--
-- Settings (all optional):
--   ttl_ms       how long a result stays fresh (default 60000)
--   max_entries  results kept; the oldest goes first (default 1000)
--   tools        comma-separated tools to cache (default: every tool)
plugin_name = "cache"
plugin_version = "1.0.0"
plugin_description = "Short-circuits repeated tool calls within a TTL"
plugin_type = "storage"
plugin_priority = 30

local ttl_ms, max_entries, only = 60000, 1000, nil
local entries, order, count = {}, {}, 0
hits, misses = 0, 0

function init(settings)
  ttl_ms = tonumber(settings.ttl_ms or ttl_ms) or error("ttl_ms must be a number")
  max_entries = tonumber(settings.max_entries or max_entries) or error("max_entries must be a number")
  if settings.tools then
    only = {}
    for _, t in ipairs(split(settings.tools, ",")) do only[trim(t)] = true end
  end
end

-- One text per value, equal for equal values whatever the order of their keys.
local function canonical(v, out)
  local t = type(v)
  if t ~= "table" then
    out[#out + 1] = t:sub(1, 1) .. json_encode(v)
    return
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) < type(b)
  end)
  out[#out + 1] = "{"
  for _, k in ipairs(keys) do
    canonical(k, out)
    out[#out + 1] = "="
    canonical(v[k], out)
    out[#out + 1] = ","
  end
  out[#out + 1] = "}"
end

local function key_of(tool, args)
  local out = { tool, "\0" }
  canonical(args, out)
  return table.concat(out)
end

local function evict()
  while count > max_entries do
    local oldest = table.remove(order, 1)
    if entries[oldest] then entries[oldest] = nil; count = count - 1 end
  end
end

function before_tool_call(tool, args, ctx)
  if only and not only[tool] then return end
  local key = key_of(tool, args)
  local hit = entries[key]
  if hit and now() - hit.at_ms < ttl_ms then
    hits = hits + 1
    return "short_circuit", hit.result
  end
  misses = misses + 1
  ctx.state.cache_key = key
end

function after_tool_call(tool, args, result, ctx)
  local key = ctx.state.cache_key
  if key == nil or ctx.error then return end
  if entries[key] == nil then
    count = count + 1
    order[#order + 1] = key
  end
  entries[key] = { result = result, at_ms = now() }
  evict()
end

function execute(input)
  if input == "clear" then entries, order, count = {}, {}, 0 end
  return { hits = hits, misses = misses, entries = count }
end
