-- Sieve of Eratosthenes up to 1,000,000: array indexing and assignment.
-- Lua tables are 1-based: sieve[k + 1] holds the flag of k.
local n = 1000000
local sieve = {}
for i = 0, n do sieve[#sieve + 1] = true end
sieve[1] = false
sieve[2] = false
local i = 2
while i * i <= n do
    if sieve[i + 1] then
        local j = i * i
        while j <= n do
            sieve[j + 1] = false
            j = j + i
        end
    end
    i = i + 1
end
local count = 0
for _, is_prime in ipairs(sieve) do
    if is_prime then count = count + 1 end
end
return count
