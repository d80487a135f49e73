# 160,000 interpolated keys into a map, then sum and remove, function-local twin of guest/testdata/bench/mapkeys.rhai.


def run():
    m = {}
    for i in range(160000):
        m[f"key{i}"] = i
    sum = 0
    for k in m.keys():
        sum += m[k]
    for i in range(160000):
        del m[f"key{i}"]
    return sum + len(m)

if __name__ == "__main__":
    import time
    t0 = time.process_time_ns()
    result = run()
    t1 = time.process_time_ns()
    print(result)
    print(t1 - t0)  # CPU ns of the workload alone (no interpreter startup)
