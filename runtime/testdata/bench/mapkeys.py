# Twin of guest/testdata/bench/mapkeys.rhai.
m = {}
for i in range(160000):
    m[f"key{i}"] = i
s = 0
for k in list(m.keys()):
    s += m[k]
for i in range(160000):
    del m[f"key{i}"]
result = s + len(m)
