# Building a 100,000-character string in a loop, function-local twin of guest/testdata/bench/strbuild.rhai.


def run():
    s = ""
    for i in range(100000):
        s += "x"
    return len(s)

if __name__ == "__main__":
    import time
    t0 = time.process_time_ns()
    result = run()
    t1 = time.process_time_ns()
    print(result)
    print(t1 - t0)  # CPU ns of the workload alone (no interpreter startup)
