# Creating and calling 100,000 closures, function-local twin of guest/testdata/bench/closures.rhai.


def run():
    total = 0
    for i in range(100000):
        f = lambda x: x + i
        total += f(1)
    return total

if __name__ == "__main__":
    import time
    t0 = time.process_time_ns()
    result = run()
    t1 = time.process_time_ns()
    print(result)
    print(t1 - t0)  # CPU ns of the workload alone (no interpreter startup)
