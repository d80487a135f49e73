# 50x50 float matrix multiplication, function-local twin of guest/testdata/bench/matmul.rhai.


def make(n, seed):
    m = []
    for i in range(n):
        row = []
        for j in range(n):
            row.append(((i * n + j + seed) % 7) * 0.5)
        m.append(row)
    return m


def run():
    n = 50
    a = make(n, 1)
    b = make(n, 2)
    c = []
    for i in range(n):
        ai = a[i]
        row = []
        for j in range(n):
            s = 0.0
            for k in range(n):
                s += ai[k] * b[k][j]
            row.append(s)
        c.append(row)
    return c[10][20]

if __name__ == "__main__":
    import time
    t0 = time.process_time_ns()
    result = run()
    t1 = time.process_time_ns()
    print(result)
    print(t1 - t0)  # CPU ns of the workload alone (no interpreter startup)
