# Sorting 100,000 integers with a comparator closure, function-local twin of guest/testdata/bench/sort.rhai.
from functools import cmp_to_key


def run():
    a = []
    x = 12345
    for i in range(100000):
        x = (x * 1103515245 + 12345) % 2147483648
        a.append(x)
    a.sort(key=cmp_to_key(lambda p, q: p - q))
    return a[0] + a[99999]

if __name__ == "__main__":
    import time
    t0 = time.process_time_ns()
    result = run()
    t1 = time.process_time_ns()
    print(result)
    print(t1 - t0)  # CPU ns of the workload alone (no interpreter startup)
