--[[ order_processor.lua: order totals in integer cents, validation, and approval above a limit.

execute(input) does one of three things, chosen by input.action (default "submit"):
  submit:  {"id": "A-1", "customer": "ann", "currency": "EUR",
            "items": [{"sku": "BOOK", "quantity": 2, "unit_price_cents": 1999},
                      {"sku": "PEN", "quantity": 1, "unit_price": "2.50"}],
            "discount_cents": 0, "shipping_cents": 499}            (discount, shipping optional)
     ->    {"order_id": "A-1", "status": "approved", "approved_by": "auto", "currency": "EUR",
            "lines": [{"sku": "BOOK", "quantity": 2, "unit_price_cents": 1999,
                       "line_total_cents": 3998}, ...],
            "subtotal_cents": 4248, "discount_cents": 0, "tax_cents": 0, "shipping_cents": 499,
            "total_cents": 4747, "customer": "ann", "submitted_at": <ms>}
           Above the threshold (setting "approval_threshold_cents", default 100000; a total
           equal to it is approved) the status is "pending_approval" and the order is kept
           until approve(). An invalid order answers {"order_id", "status": "rejected",
           "errors": [...]} and is not kept.
  approve: {"action": "approve", "order_id": "A-1", "approver": "bob"} -> the approved order
  pending: {"action": "pending"} -> the pending orders, oldest first ({} when there are none)
The same as functions (call_script_function): submit(order), approve(order_id, approver),
pending(), get_order(order_id), stats(); and as tools: submit_order, approve_order.

Money never touches floating point: amounts are integers of cents (the currency's minor unit);
prices may also be decimal text ("2.50"), split into whole units and cents, never a float.
Setting "tax_rate_bp" (basis points, default 0) adds tax on subtotal - discount, rounded half
up. Orders live in the script's memory; a real deployment would also write them to a storage
plugin with call_plugin. ]]

plugin_name = "order_processor"
plugin_version = "1.0.0"
plugin_description = "Prices and validates orders; large orders wait for approval"
plugin_type = "skill"
capabilities = { "orders", "approval" }

local CURRENCIES = { EUR = true, USD = true, GBP = true, CHF = true, CAD = true }
local MAX_CENTS = 1000000000000000    -- a sanity bound (10^15) that keeps sums far from overflow
local MAX_QUANTITY = 1000000

local threshold, tax_rate_bp = 100000, 0
local orders, queue = {}, {}          -- every accepted order by id; pending ids in order
local counts = { submitted = 0, approved_auto = 0, approved_manual = 0, pending = 0, rejected = 0 }

-- A setting as a non-negative integer, or a clear error.
local function integer_setting(settings, name, default)
  local text = settings[name]
  if text == nil or text == "" then return default end
  local n = math.tointeger(tonumber(text))
  if not n or n < 0 then error("setting '" .. name .. "' must be a non-negative integer, got '" .. text .. "'", 0) end
  return n
end

function init(settings)
  threshold = integer_setting(settings, "approval_threshold_cents", 100000)
  tax_rate_bp = integer_setting(settings, "tax_rate_bp", 0)
end

-- Cents from an integer (or an integral float such as 2.0), or from decimal text "12.5" / "12.50".
local function cents_of(item)
  if item.unit_price_cents ~= nil then return math.tointeger(item.unit_price_cents) end
  if type(item.unit_price) == "string" then
    local units, fraction = trim(item.unit_price):match("^(%d+)%.?(%d?%d?)$")
    if units and #units <= 13 then return tonumber(units) * 100 + tonumber((fraction .. "00"):sub(1, 2)) end
  end
end

-- Checks an order and computes its lines and totals; answers the priced order or a list of errors.
local function price(input)
  local errors = {}
  local function bad(message) errors[#errors + 1] = message end
  if type(input.id) ~= "string" or trim(input.id) == "" then bad("id: required (a non-empty string)")
  elseif orders[trim(input.id)] then bad("id: order '" .. trim(input.id) .. "' was already submitted") end
  local currency = type(input.currency) == "string" and upper(trim(input.currency)) or ""
  if not CURRENCIES[currency] then bad("currency: '" .. tostring(input.currency) .. "' is not one of CAD, CHF, EUR, GBP, USD") end
  local items = input.items
  if type(items) ~= "table" or #items == 0 then bad("items: at least one line item is required"); items = {} end
  local lines, subtotal = {}, 0
  for i, item in ipairs(items) do
    local at = "items[" .. i .. "]"
    if type(item) ~= "table" then bad(at .. ": must be an object"); goto next_item end
    do
      local quantity, cents = math.tointeger(item.quantity), cents_of(item)
      if type(item.sku) ~= "string" or item.sku == "" then bad(at .. ".sku: required") end
      if not quantity or quantity <= 0 or quantity > MAX_QUANTITY then
        bad(at .. ".quantity: must be a whole number from 1 to " .. MAX_QUANTITY .. ", got " .. tostring(item.quantity))
      end
      if not cents or cents < 0 or cents > MAX_CENTS then
        bad(at .. ": needs unit_price_cents (a non-negative integer) or unit_price (decimal text such as \"9.99\")")
      end
      if #errors == 0 then
        if cents > (MAX_CENTS - subtotal) // quantity then bad(at .. ": amount too large"); break end
        subtotal = subtotal + quantity * cents
        lines[i] = { sku = item.sku, quantity = quantity, unit_price_cents = cents,
                     line_total_cents = quantity * cents }
      end
    end
    ::next_item::
  end
  local discount = input.discount_cents == nil and 0 or math.tointeger(input.discount_cents)
  local shipping = input.shipping_cents == nil and 0 or math.tointeger(input.shipping_cents)
  if not discount or discount < 0 or discount > subtotal then bad("discount_cents: must be an integer from 0 to the subtotal") end
  if not shipping or shipping < 0 or shipping > MAX_CENTS then bad("shipping_cents: must be a non-negative integer") end
  if #errors > 0 then return nil, errors end
  local taxable = subtotal - discount
  local tax = (taxable * tax_rate_bp + 5000) // 10000 -- integer division: rounds half up
  return { order_id = trim(input.id), currency = currency, customer = input.customer, lines = lines,
           subtotal_cents = subtotal, discount_cents = discount, tax_cents = tax,
           shipping_cents = shipping, total_cents = taxable + tax + shipping }
end

function submit(input)
  if type(input) ~= "table" then error("an order must be an object, got " .. type(input), 0) end
  local order, errors = price(input)
  if not order then
    counts.rejected = counts.rejected + 1
    return { order_id = input.id, status = "rejected", errors = errors }
  end
  counts.submitted = counts.submitted + 1
  order.submitted_at = now()
  if order.total_cents > threshold then
    order.status = "pending_approval"
    queue[#queue + 1] = order.order_id
    counts.pending = counts.pending + 1
  else
    order.status, order.approved_by = "approved", "auto"
    counts.approved_auto = counts.approved_auto + 1
  end
  orders[order.order_id] = order
  return order
end

function approve(order_id, approver)
  local order = orders[order_id]
  if not order then error("no order '" .. tostring(order_id) .. "'", 0) end
  if order.status ~= "pending_approval" then
    error("order '" .. order_id .. "' is " .. order.status .. ", not pending approval", 0)
  end
  if type(approver) ~= "string" or trim(approver) == "" then error("approve needs the approver's name", 0) end
  order.status, order.approved_by, order.approved_at = "approved", trim(approver), now()
  for i, id in ipairs(queue) do
    if id == order_id then table.remove(queue, i) break end
  end
  counts.pending, counts.approved_manual = counts.pending - 1, counts.approved_manual + 1
  return order
end

function pending()
  local list = {}
  for i, id in ipairs(queue) do
    local o = orders[id]
    list[i] = { order_id = id, customer = o.customer, currency = o.currency,
                total_cents = o.total_cents, submitted_at = o.submitted_at }
  end
  return list
end

function get_order(order_id) return orders[order_id] end

function stats()
  return { threshold_cents = threshold, tax_rate_bp = tax_rate_bp, submitted = counts.submitted,
           approved_auto = counts.approved_auto, approved_manual = counts.approved_manual,
           pending = counts.pending, rejected = counts.rejected }
end

function execute(input)
  local action = type(input) == "table" and input.action or "submit"
  if action == "submit" then return submit(input) end
  if action == "approve" then return approve(input.order_id, input.approver) end
  if action == "pending" then return pending() end
  error("unknown action '" .. tostring(action) .. "' (use submit, approve or pending)", 0)
end

local ITEM_SCHEMA = {
  type = "object", required = { "sku", "quantity" },
  properties = { sku = { type = "string", minLength = 1 }, quantity = { type = "integer", minimum = 1 },
                 unit_price_cents = { type = "integer", minimum = 0 },
                 unit_price = { type = "string", pattern = "^[0-9]+(\\.[0-9]{1,2})?$" } },
}

tools = {
  { name = "submit_order", description = "Price an order; above the approval threshold it waits for approve_order",
    parameters = { type = "object", required = { "id", "currency", "items" },
      properties = { id = { type = "string", minLength = 1 }, customer = { type = "string" },
                     currency = { type = "string", enum = { "CAD", "CHF", "EUR", "GBP", "USD" } },
                     items = { type = "array", minItems = 1, items = ITEM_SCHEMA },
                     discount_cents = { type = "integer", minimum = 0 },
                     shipping_cents = { type = "integer", minimum = 0 } } },
    handler = function(args) return submit(args) end },
  { name = "approve_order", description = "Approve an order that is pending approval",
    parameters = { type = "object", required = { "order_id", "approver" }, additionalProperties = false,
      properties = { order_id = { type = "string", minLength = 1 }, approver = { type = "string", minLength = 1 } } },
    handler = function(args) return approve(args.order_id, args.approver) end },
}
