# Sieve of Eratosthenes up to 1,000,000, function-local twin of guest/testdata/bench/sieve.rhai.


def run():
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
    return count

if __name__ == "__main__":
    import time
    t0 = time.process_time_ns()
    result = run()
    t1 = time.process_time_ns()
    print(result)
    print(t1 - t0)  # CPU ns of the workload alone (no interpreter startup)
