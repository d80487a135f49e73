-- Building a 100,000-character string in a loop.
local s = ""
for i = 0, 100000 - 1 do
    s = s .. "x"
end
return #s
