# Twin of guest/testdata/bench/matmul.rhai.
n = 50
def make(n, seed):
    m = []
    for i in range(n):
        row = []
        for j in range(n):
            row.append(((i * n + j + seed) % 7) * 0.5)
        m.append(row)
    return m
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
result = c[10][20]
