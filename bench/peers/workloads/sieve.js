// Sieve of Eratosthenes up to 1,000,000: array indexing and assignment.
(function () {
    const n = 1000000;
    const sieve = [];
    for (let i = 0; i <= n; i++) { sieve.push(true); }
    sieve[0] = false;
    sieve[1] = false;
    let i = 2;
    while (i * i <= n) {
        if (sieve[i]) {
            let j = i * i;
            while (j <= n) {
                sieve[j] = false;
                j += i;
            }
        }
        i += 1;
    }
    let count = 0;
    for (const is_prime of sieve) {
        if (is_prime) { count += 1; }
    }
    return count;
})()
