# Twin of guest/testdata/bench/closures.rhai.
total = 0
for i in range(100000):
    f = lambda x, i=i: x + i
    total += f(1)
result = total
