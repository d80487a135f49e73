-- Creating and calling 100,000 closures.
local total = 0
for i = 0, 100000 - 1 do
    local f = function(x) return x + i end
    total = total + f(1)
end
return total
