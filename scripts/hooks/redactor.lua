-- An agent hook (docs/hooks.md): masks e-mail addresses and payment card numbers in a tool
-- call's arguments (before the tool sees them) and in its result (before the caller does).
-- A card number is 13 to 19 digits, optionally grouped by spaces or dashes, that passes the Luhn
-- check; it becomes "[card ****1234]" (its last four digits). An address becomes "[email]".
plugin_name = "redactor"
plugin_version = "1.0.0"
plugin_description = "Masks e-mail addresses and card numbers in tool arguments and results"
plugin_type = "monitor"
plugin_priority = 60

redacted = 0

local function luhn(digits)
  local sum, double = 0, false
  for i = #digits, 1, -1 do
    local d = digits:byte(i) - 48
    if double then
      d = d * 2
      if d > 9 then d = d - 9 end
    end
    sum, double = sum + d, not double
  end
  return sum % 10 == 0
end

local function card_or_nil(run)
  local digits = run:gsub("[ %-]", "")
  if #digits < 13 or #digits > 19 or not luhn(digits) then return nil end
  redacted = redacted + 1
  return "[card ****" .. digits:sub(-4) .. "]"
end

local function mask_cards(s)
  return (s:gsub("%d[%d %-]+%d", function(run)
    -- a run of several numbers ("4111111111111111 5500000000000004"): each on its own
    return card_or_nil(run) or (run:gsub("%d+", card_or_nil))
  end))
end

local function mask_emails(s)
  return (s:gsub("[%w%.%%%+%-_]+@[%w%-]+%.[%w%.%-]*%a", function()
    redacted = redacted + 1
    return "[email]"
  end))
end

local function scrub(v)
  if type(v) == "string" then return mask_cards(mask_emails(v)) end
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = scrub(x) end
  return setmetatable(out, getmetatable(v))
end

function before_tool_call(tool, args, ctx)
  return "continue", scrub(args)
end

function after_tool_call(tool, args, result, ctx)
  if result == nil then return end
  return "continue", scrub(result)
end

function execute(input)   -- scrub any value: for trying the patterns
  return scrub(input)
end
