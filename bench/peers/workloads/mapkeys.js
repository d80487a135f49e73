// 160,000 interpolated keys into a map, then sum the values and remove them.
(function () {
    const m = new Map();
    for (let i = 0; i < 160000; i++) {
        m.set(`key${i}`, i);
    }
    let sum = 0;
    for (const k of m.keys()) {
        sum += m.get(k);
    }
    for (let i = 0; i < 160000; i++) {
        m.delete(`key${i}`);
    }
    return sum + m.size;
})()
