-- 160,000 interpolated keys into a map, then sum the values and remove them.
local m = {}
for i = 0, 160000 - 1 do
    m["key" .. i] = i
end
local sum = 0
for k in pairs(m) do
    sum = sum + m[k]
end
for i = 0, 160000 - 1 do
    m["key" .. i] = nil
end
local len = 0
for _ in pairs(m) do len = len + 1 end
return sum + len
