-- Sorting 100,000 integers with a comparator closure.
-- Lua numbers are float64, so x * 1103515245 (up to 2^61) would lose bits:
-- the same LCG step is computed exactly by splitting the multiplier
-- (1103515245 = 16838 * 65536 + 20077); the sequence is identical.
-- Lua's comparator is a less-than predicate, so it is p - q < 0.
local a = {}
local x = 12345
for i = 0, 100000 - 1 do
    x = ((x * 16838) % 32768 * 65536 + x * 20077 + 12345) % 2147483648
    a[#a + 1] = x
end
table.sort(a, function(p, q) return p - q < 0 end)
return a[1] + a[100000]
