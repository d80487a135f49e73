package syntax

import (
	"fmt"
	"strings"
	"testing"
)

// benchScript returns a script of about the given number of lines, mixing
// the language's constructs the way real scripts do.
func benchScript(lines int) string {
	var b strings.Builder
	for i := 0; strings.Count(b.String(), "\n") < lines; i++ {
		fmt.Fprintf(&b, `// Section %[1]d: orders and totals.
/// Computes the total of order %[1]d.
fn total_%[1]d(order, rate) {
    let sum = 0.0;
    for (item, i) in order.items {
        if item.qty > 0 && item.price != () {
            sum += item.qty * item.price * (1.0 + rate);
        } else if i %% 2 == 0 {
            continue;
        }
    }
    sum
}
let order_%[1]d = #{ id: %[1]d, items: [#{ qty: 2, price: 9.5 }, #{ qty: 1, price: 0x10 }], note: "n°%[1]d" };
const LIMIT_%[1]d = 1_000;
let t%[1]d = total_%[1]d(order_%[1]d, 0.2);
let label%[1]d = switch t%[1]d.to_int() {
    0 => "empty",
    1..100 => "small",
    _ => BTlarge: ${t%[1]d} > ${LIMIT_%[1]d}BT,
};
let picked%[1]d = order_%[1]d.items.filter(|it| it.qty > 1).map(|it| it.price * LIMIT_%[1]d);
try {
    if picked%[1]d.len() > 3 { throw "too many"; }
} catch (err) {
    print("order " + order_%[1]d.id + ": " + err);
}
`, i)
	}
	return strings.ReplaceAll(b.String(), "BT", "`")
}

func BenchmarkParse1000Lines(b *testing.B) {
	src := benchScript(1000)
	if _, err := Parse("bench", src, Options{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("bench", src, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLex1000Lines(b *testing.B) {
	src := benchScript(1000)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		l := newLexer(src)
		for {
			k := l.next().Kind
			if k == EOF {
				break
			}
			if k == ERROR {
				b.Fatal(l.err)
			}
		}
	}
}
