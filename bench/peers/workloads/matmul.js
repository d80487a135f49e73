// 50×50 float matrix multiplication.
(function () {
    const n = 50;
    function make(n, seed) {
        const m = [];
        for (let i = 0; i < n; i++) {
            const row = [];
            for (let j = 0; j < n; j++) {
                row.push(((i * n + j + seed) % 7) * 0.5);
            }
            m.push(row);
        }
        return m;
    }
    const a = make(n, 1);
    const b = make(n, 2);
    const c = [];
    for (let i = 0; i < n; i++) {
        const ai = a[i];
        const row = [];
        for (let j = 0; j < n; j++) {
            let s = 0.0;
            for (let k = 0; k < n; k++) {
                s += ai[k] * b[k][j];
            }
            row.push(s);
        }
        c.push(row);
    }
    return c[10][20];
})()
