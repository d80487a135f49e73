-- A 1,000,000-iteration while countdown.
local n = 1000000
while n > 0 do
    n = n - 1
end
return n
