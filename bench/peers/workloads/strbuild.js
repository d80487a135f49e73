// Building a 100,000-character string in a loop.
(function () {
    let s = "";
    for (let i = 0; i < 100000; i++) {
        s += "x";
    }
    return s.length;
})()
