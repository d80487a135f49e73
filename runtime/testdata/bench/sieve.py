# Twin of guest/testdata/bench/sieve.rhai.
n = 1000000
sieve = []
for i in range(n + 1):
    sieve.append(True)
sieve[0] = False
sieve[1] = False
i = 2
while i * i <= n:
    if sieve[i]:
        j = i * i
        while j <= n:
            sieve[j] = False
            j += i
    i += 1
count = 0
for is_prime in sieve:
    if is_prime:
        count += 1
result = count
