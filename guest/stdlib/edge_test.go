package stdlib_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/picloud/picloud/guest/eval"
	"github.com/picloud/picloud/guest/rhai"
)

// TestEdgeArguments calls the positional functions with extreme integers
// (i64 bounds, negative and past-the-end positions, zero) on empty and
// non-empty receivers: every call must return or fail with a script error,
// never panic.
func TestEdgeArguments(t *testing.T) {
	ints := []string{"0", "1", "-1", "3", "-3", "100", "-100",
		"9223372036854775807", "(-9223372036854775807 - 1)"}
	receivers := map[byte][]string{
		's': {`""`, `"héllo"`, `"abc"`},
		'a': {`[]`, `[1, 2, 3]`},
		'B': {`blob()`, `blob(5, 7)`},
		'i': {"0", "123456", "-1"},
	}
	calls := []struct {
		recv byte
		call string // %d marks an integer argument
	}{
		{'s', "sub_string(%d)"}, {'s', "sub_string(%d, %d)"}, {'s', "crop(%d)"}, {'s', "crop(%d, %d)"},
		{'s', "truncate(%d)"}, {'s', "get(%d)"}, {'s', "set(%d, 'x')"}, {'s', "pad(%d, 'x')"},
		{'s', `pad(%d, "ab")`}, {'s', `pad(%d, "")`}, {'s', "pop(%d)"}, {'s', "split(%d)"},
		{'s', `split("b", %d)`}, {'s', `split("", %d)`}, {'s', `split_rev('b', %d)`},
		{'s', `split_rev("", %d)`}, {'s', "index_of('l', %d)"}, {'s', `index_of("", %d)`},
		{'s', "chars(%d)"}, {'s', "chars(%d, %d)"}, {'s', "sub_string(%d..%d)"}, {'s', "sub_string(%d..=%d)"},
		{'s', "chars(%d..=%d)"},
		{'a', "get(%d)"}, {'a', "set(%d, 0)"}, {'a', "insert(%d, 0)"}, {'a', "remove(%d)"},
		{'a', "truncate(%d)"}, {'a', "chop(%d)"}, {'a', "extract(%d)"}, {'a', "extract(%d, %d)"},
		{'a', "extract(%d..%d)"}, {'a', "extract(%d..=%d)"}, {'a', "split(%d)"}, {'a', "drain(%d, %d)"},
		{'a', "retain(%d, %d)"}, {'a', "splice(%d, %d, [9])"}, {'a', "splice(%d..=%d, [9])"},
		{'a', "index_of(2, %d)"}, {'a', "pad(%d, 0)"}, {'a', "find(|v| true, %d)"},
		{'B', "get(%d)"}, {'B', "set(%d, 0)"}, {'B', "insert(%d, 0)"}, {'B', "remove(%d)"},
		{'B', "truncate(%d)"}, {'B', "chop(%d)"}, {'B', "extract(%d, %d)"}, {'B', "split(%d)"},
		{'B', "drain(%d, %d)"}, {'B', "retain(%d, %d)"}, {'B', "splice(%d, %d, blob(2))"},
		{'B', "parse_le_int(%d, %d)"}, {'B', "parse_be_float(%d..=%d)"}, {'B', "write_le(%d, %d, -1)"},
		{'B', "write_be(%d, %d, 1.5)"}, {'B', `write_utf8(%d, %d, "héllo")`}, {'B', `write_ascii(%d..%d, "héllo")`},
		{'B', "pad(%d, 1)"},
		{'i', "get_bit(%d)"}, {'i', "set_bit(%d, true)"}, {'i', "get_bits(%d, %d)"}, {'i', "set_bits(%d, %d, 5)"},
		{'i', "get_bits(%d..%d)"}, {'i', "set_bits(%d..=%d, 5)"}, {'i', "bits(%d)"}, {'i', "bits(%d, %d)"},
		{'i', "bits(%d..=%d)"},
	}
	lim := rhai.Limits{Fuel: 1_000_000, MaxMemory: 1 << 24, MaxStringLen: 1 << 16, MaxArrayLen: 1 << 16}
	n := 0
	for _, c := range calls {
		args := strings.Count(c.call, "%d")
		for _, recv := range receivers[c.recv] {
			for _, x := range ints {
				for _, y := range ints {
					call := strings.ReplaceAll(c.call, "%d", "%s")
					switch args {
					case 1:
						if y != ints[0] {
							continue
						}
						call = fmt.Sprintf(call, x)
					case 2:
						call = fmt.Sprintf(call, x, y)
					}
					// Walk iterators too (range with a step, chars, bits).
					src := fmt.Sprintf(`let v = %s; let r = v.%s; let k = 0;
						if type_of(r) == "iterator" { for e in r { k += 1; } } [v, r, k]`, recv, call)
					n++
					p, err := rhai.Compile("edge.rhai", src, rhai.Options{})
					if err != nil {
						t.Fatalf("%s: %v", src, err)
					}
					_, err = p.Run(rhai.Env{Limits: lim})
					if err == nil {
						continue
					}
					e, ok := err.(*eval.Error)
					if !ok || strings.Contains(e.Msg, "internal error") {
						t.Errorf("%s: %v", src, err)
					}
				}
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d calls", n)
	}
}
