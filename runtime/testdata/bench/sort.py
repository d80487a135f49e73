# Twin of guest/testdata/bench/sort.rhai.
import functools
a = []
x = 12345
for i in range(100000):
    x = (x * 1103515245 + 12345) % 2147483648
    a.append(x)
a.sort(key=functools.cmp_to_key(lambda p, q: p - q))
result = a[0] + a[99999]
