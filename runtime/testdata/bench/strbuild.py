# Twin of guest/testdata/bench/strbuild.rhai.
s = ""
for i in range(100000):
    s += "x"
result = len(s)
