-- An agent hook (docs/hooks.md): a token bucket per tool. A call that finds its tool's bucket
-- empty fails before the tool runs, with an error naming this plugin and the tool.
--
-- Settings (all optional):
--   rate   tokens added per second (default 10)
--   burst  the bucket's size (default 20)
--   tools  JSON object of per-tool overrides: {"search": {"rate": 1, "burst": 2}}
plugin_name = "rate_limiter"
plugin_version = "1.0.0"
plugin_description = "Per-tool token bucket in front of every tool call"
plugin_type = "monitor"
plugin_priority = 10

local rate, burst, per_tool = 10, 20, {}
buckets = {}   -- tool -> {tokens, at_ms}; a global, so a reload carries it over

local function positive(value, what)
  local n = tonumber(value)
  if n == nil or n <= 0 then error(what .. " must be a positive number, not " .. tostring(value)) end
  return n
end

function init(settings)
  if settings.rate then rate = positive(settings.rate, "rate") end
  if settings.burst then burst = positive(settings.burst, "burst") end
  if settings.tools then
    local parsed, why = json_parse(settings.tools)
    if type(parsed) ~= "table" then error("tools must be a JSON object: " .. tostring(why)) end
    for tool, limits in pairs(parsed) do
      per_tool[tool] = { rate = positive(limits.rate or rate, tool .. ".rate"),
                         burst = positive(limits.burst or burst, tool .. ".burst") }
    end
  end
end

local function limits_of(tool)
  return per_tool[tool] or { rate = rate, burst = burst }
end

function before_tool_call(tool, args, ctx)
  local limits, at = limits_of(tool), now()
  local bucket = buckets[tool]
  if bucket == nil then
    bucket = { tokens = limits.burst, at_ms = at }
    buckets[tool] = bucket
  end
  local elapsed = math.max(0, at - bucket.at_ms) / 1000
  bucket.tokens = math.min(limits.burst, bucket.tokens + elapsed * limits.rate)
  bucket.at_ms = at
  if bucket.tokens < 1 then
    error(string.format("rate limit exceeded for tool '%s' (%g calls/s, burst %g)", tool,
                        limits.rate, limits.burst), 0)
  end
  bucket.tokens = bucket.tokens - 1
end

function execute(input)   -- the bucket levels, for inspection
  local out = {}
  for tool, b in pairs(buckets) do out[tool] = math.floor(b.tokens * 100) / 100 end
  return out
end
