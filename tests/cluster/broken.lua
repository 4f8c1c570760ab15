-- A script with a syntax error on line 4: deploying it must be refused.
plugin_name = "broken"
function execute(input)
  return input +
end
