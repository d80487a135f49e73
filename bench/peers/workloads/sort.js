// Sorting 100,000 integers with a comparator closure.
// JS numbers are float64, so x * 1103515245 (up to 2^61) would lose bits:
// the same LCG step is computed exactly by splitting the multiplier
// (1103515245 = 16838 * 65536 + 20077); the sequence is identical.
(function () {
    const a = [];
    let x = 12345;
    for (let i = 0; i < 100000; i++) {
        x = ((x * 16838) % 32768 * 65536 + x * 20077 + 12345) % 2147483648;
        a.push(x);
    }
    a.sort((p, q) => p - q);
    return a[0] + a[99999];
})()
