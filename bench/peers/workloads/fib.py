# Recursive Fibonacci: function calls and integer arithmetic, function-local twin of guest/testdata/bench/fib.rhai.

def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def run():
    return fib(27)

if __name__ == "__main__":
    import time
    t0 = time.process_time_ns()
    result = run()
    t1 = time.process_time_ns()
    print(result)
    print(t1 - t0)  # CPU ns of the workload alone (no interpreter startup)
