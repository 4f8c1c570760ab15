--[[ data_processor.lua: parse, validate and transform parcel records, keeping counters.

Input:  {"records": [ {...}, ... ]}  or  {"json": "<JSON text: an array of records, or
        {\"records\": [...]}>"}
Output: {"valid":   [normalised records, in input order],
         "invalid": [{"index": 2, "errors": [{"field": "email", "kind": "bad_format",
                                               "message": "email: 'bob' is not an e-mail address"}]}],
         "counters": {"calls": 1, "processed": 2, "valid": 1, "invalid": 1, "rejected_inputs": 0,
                      "errors": {"missing": 0, "wrong_type": 0, "out_of_range": 0,
                                 "bad_format": 1, "not_allowed": 0, "not_a_record": 0}}}
`index` counts from 1. An empty list comes out as {} (an empty Lua table encodes as a map).
The counters add up over every call since the plugin started; stats() (call_script_function)
answers them, reset_stats() zeroes them. An input without records, or with JSON that does not
parse, fails the call and counts as a rejected input. Setting "max_records" (default 10000)
bounds one call.

Example record: {"id": " P-1 ", "email": " Ann@Example.COM", "country": "de", "weight": "2.5",
                 "unit": "LB", "length_cm": 30, "width_cm": 20, "height_cm": 10}
becomes         {"id": "P-1", "email": "ann@example.com", "country": "DE", "weight": 2.5,
                 "unit": "lb", "length_cm": 30, "width_cm": 20, "height_cm": 10,
                 "weight_kg": 1.134, "volume_cm3": 6000, "billable_kg": 1.2} ]]

plugin_name = "data_processor"
plugin_version = "1.0.0"
plugin_description = "Validates and normalises parcel records, with error counters"
plugin_type = "tool"
capabilities = { "validation", "etl" }

-- The field spec: what a record must hold. Fields not listed here are dropped.
--   type: "string" or "number" (a number may arrive as numeric text: "2.5")
--   required, default, min / max (numbers), min_len / max_len (strings), one_of (allowed values),
--   pattern + format (a Lua pattern and its description), normalise: "lower" / "upper" (after trim)
local FIELDS = {
  { name = "id", type = "string", required = true, min_len = 1, max_len = 64 },
  { name = "email", type = "string", required = true, normalise = "lower",
    pattern = "^[^@%s]+@[^@%s]+%.[^@%s]+$", format = "an e-mail address" },
  { name = "country", type = "string", required = true, normalise = "upper",
    pattern = "^%u%u$", format = "a two-letter country code" },
  { name = "weight", type = "number", required = true, min = 0.001, max = 1000 },
  { name = "unit", type = "string", default = "kg", normalise = "lower",
    one_of = { kg = true, g = true, lb = true, oz = true } },
  { name = "length_cm", type = "number", min = 1, max = 300 },
  { name = "width_cm", type = "number", min = 1, max = 300 },
  { name = "height_cm", type = "number", min = 1, max = 300 },
}

local KG_PER_UNIT = { kg = 1, g = 0.001, lb = 0.45359237, oz = 0.028349523125 }
local VOLUMETRIC_DIVISOR = 5000 -- cm3 per kg, the usual courier rule

local ERROR_KINDS = { "missing", "wrong_type", "out_of_range", "bad_format", "not_allowed",
                      "not_a_record" }
local counters, max_records = nil, 10000

function reset_stats()
  counters = { calls = 0, processed = 0, valid = 0, invalid = 0, rejected_inputs = 0, errors = {} }
  -- Every kind starts at 0, so "errors" is never an empty table (which would encode as {}).
  for _, kind in ipairs(ERROR_KINDS) do counters.errors[kind] = 0 end
  return counters
end
reset_stats()

function stats() return counters end

function init(settings)
  max_records = math.tointeger(tonumber(settings.max_records or "10000"))
  if not max_records or max_records < 1 then
    error("setting 'max_records' must be a positive integer, got '" .. settings.max_records .. "'", 0)
  end
end

-- Rounds to `places` decimals (floats stay floats; JSON shows 1.134, not 1.1339809...).
local function round(x, places)
  local scale = 10 ^ places
  return math.floor(x * scale + 0.5) / scale
end

-- Checks and normalises one field. Answers the value, or nil, the error kind and a message.
local function check_field(spec, value)
  local name = spec.name
  if type(value) == "string" then value = trim(value) end
  if value == nil or value == "" then
    if spec.required then return nil, "missing", name .. ": required" end
    return spec.default
  end
  if spec.type == "number" and type(value) == "string" then
    value = tonumber(value) or value -- "2.5" -> 2.5; "abc" stays text and fails below
  end
  if type(value) ~= spec.type then
    return nil, "wrong_type", name .. ": expected a " .. spec.type .. ", got " .. type(value)
  end
  if spec.type == "number" then
    if value ~= value or (spec.min and value < spec.min) or (spec.max and value > spec.max) then
      return nil, "out_of_range",
             string.format("%s: %s is outside %s..%s", name, value, spec.min or "", spec.max or "")
    end
    return value
  end
  if spec.normalise == "lower" then value = lower(value) elseif spec.normalise == "upper" then value = upper(value) end
  local length = utf8.len(value) or #value
  if (spec.min_len and length < spec.min_len) or (spec.max_len and length > spec.max_len) then
    return nil, "out_of_range", string.format("%s: length %d is outside %s..%s", name, length,
                                              spec.min_len or 0, spec.max_len or "")
  end
  if spec.pattern and not value:find(spec.pattern) then
    return nil, "bad_format", name .. ": '" .. value .. "' is not " .. spec.format
  end
  if spec.one_of and not spec.one_of[value] then
    return nil, "not_allowed", name .. ": '" .. value .. "' is not allowed"
  end
  return value
end

-- Adds the derived fields to a record that passed validation.
local function derive(r)
  r.weight_kg = round(r.weight * KG_PER_UNIT[r.unit], 3)
  r.billable_kg = r.weight_kg
  if r.length_cm and r.width_cm and r.height_cm then
    r.volume_cm3 = r.length_cm * r.width_cm * r.height_cm
    -- Couriers bill the larger of the real and the volumetric weight, rounded up to 0.1 kg.
    local volumetric = r.volume_cm3 / VOLUMETRIC_DIVISOR
    r.billable_kg = math.ceil(math.max(r.weight_kg, volumetric) * 10 - 1e-9) / 10
  end
  return r
end

-- Validates one record: the normalised record, or nil and its list of errors.
local function process_record(record)
  if type(record) ~= "table" then
    return nil, { { kind = "not_a_record", message = "expected an object, got " .. type(record) } }
  end
  local out, errors = {}, {}
  for _, spec in ipairs(FIELDS) do
    local value, kind, message = check_field(spec, record[spec.name])
    if kind then errors[#errors + 1] = { field = spec.name, kind = kind, message = message }
    else out[spec.name] = value end
  end
  if #errors > 0 then return nil, errors end
  return derive(out)
end

-- The records of an input: {records = [...]} or {json = "<text>"}; raises a clear error if none.
local function records_of(input)
  if type(input) ~= "table" then error("input must be an object with 'records' or 'json'", 0) end
  if input.json ~= nil then
    if type(input.json) ~= "string" then error("'json' must be JSON text", 0) end
    local parsed, err = json_parse(input.json)
    if parsed == nil then error("'json' does not parse: " .. tostring(err), 0) end
    input = type(parsed) == "table" and parsed.records ~= nil and parsed or { records = parsed }
  end
  local records = input.records
  if type(records) ~= "table" then error("input must have a 'records' array", 0) end
  if #records > max_records then
    error("too many records: " .. #records .. " (setting max_records is " .. max_records .. ")", 0)
  end
  return records
end

function execute(input)
  counters.calls = counters.calls + 1
  local ok, records = pcall(records_of, input)
  if not ok then
    counters.rejected_inputs = counters.rejected_inputs + 1
    error(records, 0)
  end
  local valid, invalid = {}, {}
  for i = 1, #records do
    local record, errors = process_record(records[i])
    if record then
      valid[#valid + 1] = record
    else
      invalid[#invalid + 1] = { index = i, errors = errors }
      for _, e in ipairs(errors) do counters.errors[e.kind] = counters.errors[e.kind] + 1 end
    end
  end
  counters.processed = counters.processed + #records
  counters.valid = counters.valid + #valid
  counters.invalid = counters.invalid + #invalid
  return { valid = valid, invalid = invalid, counters = counters }
end
