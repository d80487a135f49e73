// A 1,000,000-iteration while countdown.
(function () {
    let n = 1000000;
    while (n > 0) {
        n -= 1;
    }
    return n;
})()
