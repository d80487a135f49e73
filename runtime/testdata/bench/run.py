# Runs a workload n times at module level (as the Rhai scripts run) and
# prints the nanoseconds per run of the fastest half's median.
import sys, time
src = open(sys.argv[1]).read()
code = compile(src, sys.argv[1], "exec")
n = int(sys.argv[2])
times = []
for _ in range(n):
    g = {"__name__": "__bench__"}
    t = time.perf_counter_ns()
    exec(code, g)
    times.append(time.perf_counter_ns() - t)
times.sort()
print(times[len(times) // 2], g["result"])
