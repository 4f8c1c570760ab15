-- tally: counts events per key, and keeps its counts across crashes (docs/supervision.md).
--   {"op":"add","key":"k"[, "by":n]} -> the key's new count
--   {"op":"get","key":"k"}           -> its count (0 if never added)
--   {"op":"top","n":3}               -> the n largest counts, as [{"key","count"}]
--   {"op":"leak"}                    -> simulates a memory-leak bug: keeps allocating into a
--                                       global until the sandbox's memory limit stops it. The state
--                                       cannot recover, so the plugin crashes and its supervisor
--                                       restarts it; snapshot/restore bring the counts back.
plugin_name = "tally"
plugin_version = "1.0.0"
plugin_description = "Counts events per key; state survives restarts through snapshot/restore"
plugin_type = "storage"

counts = {}
leaked = {}

local function count_of(key) return counts[key] or 0 end

function execute(input)
  if type(input) ~= "table" then error("expected an object with an 'op'") end
  local op = input.op
  if op == "add" then
    if type(input.key) ~= "string" then error("add needs a string 'key'") end
    local by = input.by or 1
    if math.type(by) ~= "integer" then error("'by' must be an integer") end
    counts[input.key] = count_of(input.key) + by
    return counts[input.key]
  elseif op == "get" then
    return count_of(input.key)
  elseif op == "top" then
    local rows = {}
    for key, n in pairs(counts) do rows[#rows + 1] = {key = key, count = n} end
    table.sort(rows, function(a, b) return a.count > b.count or (a.count == b.count and a.key < b.key) end)
    local top = {}
    for i = 1, math.min(input.n or 3, #rows) do top[i] = rows[i] end
    return top
  elseif op == "leak" then
    while true do leaked[#leaked + 1] = {} end
  end
  error("unknown op '" .. tostring(op) .. "' (add, get, top, leak)")
end

-- The checkpoint: only the counts (not the leak).
function snapshot() return counts end

function restore(state) counts = state end
