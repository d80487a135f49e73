// Recursive Fibonacci: function calls and integer arithmetic.
(function () {
    function fib(n) {
        if (n < 2) { return n; }
        return fib(n - 1) + fib(n - 2);
    }
    return fib(27);
})()
