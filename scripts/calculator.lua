-- Arithmetic tools for the demo agent (scripts/agent.lua): models are bad at sums, tools are not.
plugin_name = "calculator"
plugin_version = "1.0.0"
plugin_description = "Adds, subtracts, multiplies and divides two numbers"
plugin_type = "tool"

local function two_numbers(description)
  return { type = "object", required = { "a", "b" }, additionalProperties = false,
           properties = { a = { type = "number", description = "the first number" },
                          b = { type = "number", description = "the second number" } } }
end

tools = {
  { name = "add", description = "a + b", parameters = two_numbers(),
    handler = function(args) return args.a + args.b end },
  { name = "subtract", description = "a - b", parameters = two_numbers(),
    handler = function(args) return args.a - args.b end },
  { name = "multiply", description = "a * b", parameters = two_numbers(),
    handler = function(args) return args.a * args.b end },
  { name = "divide", description = "a / b (b must not be 0)", parameters = two_numbers(),
    handler = function(args)
      if args.b == 0 then error("division by zero", 0) end
      return args.a / args.b
    end },
}

function execute(input)   -- {op = "add", a = 1, b = 2}
  for _, t in ipairs(tools) do
    if t.name == input.op then return t.handler(input) end
  end
  error("op must be add, subtract, multiply or divide", 0)
end
