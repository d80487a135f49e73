// Creating and calling 100,000 closures.
(function () {
    let total = 0;
    for (let i = 0; i < 100000; i++) {
        const f = (x) => x + i;
        total += f(1);
    }
    return total;
})()
