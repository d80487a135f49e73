# Twin of guest/testdata/bench/loop.rhai.
n = 1000000
while n > 0:
    n -= 1
result = n
