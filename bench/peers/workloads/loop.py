# A 1,000,000-iteration while countdown, function-local twin of guest/testdata/bench/loop.rhai.


def run():
    n = 1000000
    while n > 0:
        n -= 1
    return n

if __name__ == "__main__":
    import time
    t0 = time.process_time_ns()
    result = run()
    t1 = time.process_time_ns()
    print(result)
    print(t1 - t0)  # CPU ns of the workload alone (no interpreter startup)
