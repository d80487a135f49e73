-- 50×50 float matrix multiplication. Lua tables are 1-based: m[i + 1] is row i.
local n = 50
local function make(n, seed)
    local m = {}
    for i = 0, n - 1 do
        local row = {}
        for j = 0, n - 1 do
            row[#row + 1] = ((i * n + j + seed) % 7) * 0.5
        end
        m[#m + 1] = row
    end
    return m
end
local a = make(n, 1)
local b = make(n, 2)
local c = {}
for i = 0, n - 1 do
    local ai = a[i + 1]
    local row = {}
    for j = 0, n - 1 do
        local s = 0.0
        for k = 0, n - 1 do
            s = s + ai[k + 1] * b[k + 1][j + 1]
        end
        row[#row + 1] = s
    end
    c[#c + 1] = row
end
return c[10 + 1][20 + 1]
