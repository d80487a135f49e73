package rhai_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/picloud/picloud/guest/rhai"
)

// reference decodes with encoding/json and re-encodes with ToJSON's rules,
// so FromJSON can be compared with it value for value.
func reference(t testing.TB, data []byte) (string, bool) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) > 0 {
		return "", false
	}
	// Round-trip through FromJSON's own encoding of the canonical form.
	canon, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	got, err := rhai.FromJSON(canon)
	if err != nil {
		t.Fatalf("FromJSON(%s) of a canonical document: %v", canon, err)
	}
	out, err := rhai.ToJSON(got)
	if err != nil {
		t.Fatal(err)
	}
	return string(out), true
}

func TestFromJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"kind":"http","http":{"method":"GET","path":"/a/b","params":{"id":"42"},"query":{"q":["1","2"]},"headers":{"Content-Type":"application/json"},"body":"{\"x\":1}","json":{"x":1}}}`,
		`[]`, `{}`, `[1, -2, 3.5, 1e3, -0, 9223372036854775807, 9223372036854775808, 1E-2]`,
		`"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00"`,
		` { "a" : [ true , false , null ] } `,
		`"héllo"`,
	} {
		want, ok := reference(t, []byte(in))
		if !ok {
			t.Fatalf("reference rejected %s", in)
		}
		v, err := rhai.FromJSON([]byte(in))
		if err != nil {
			t.Errorf("FromJSON(%s): %v", in, err)
			continue
		}
		got, _ := rhai.ToJSON(v)
		if string(got) != want {
			t.Errorf("FromJSON(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestFromJSONRejects(t *testing.T) {
	for _, in := range []string{
		``, `{`, `[1,]`, `{"a" 1}`, `{"a":1,}`, `01`, `1.`, `-`, `1e`, `tru`, `nul`, `"abc`, "\"a\x01\"",
		`"\x"`, `"\u12"`, `{1:2}`, `[1] [2]`, "\"\xff\"",
	} {
		if v, err := rhai.FromJSON([]byte(in)); err == nil {
			t.Errorf("FromJSON(%q) = %v, want an error", in, v)
		}
	}
}

func FuzzFromJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",null,true]}`, `"\u00e9"`, `[[[]]]`, `-1e400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return // FromJSON rejects invalid UTF-8; encoding/json replaces it
		}
		want, ok := reference(t, data)
		v, err := rhai.FromJSON(data)
		if !ok {
			return // encoding/json rejects it; FromJSON may be more lenient only on numbers out of range
		}
		if err != nil {
			t.Fatalf("FromJSON(%q): %v; encoding/json accepts it", data, err)
		}
		got, _ := rhai.ToJSON(v)
		if string(got) != want {
			t.Fatalf("FromJSON(%q) = %s, want %s", data, got, want)
		}
	})
}

func BenchmarkFromJSONHTTPEvent(b *testing.B) {
	ev := []byte(`{"kind":"http","http":{"method":"GET","path":"/hello","params":{},"query":{},"headers":{"Accept":"*/*","User-Agent":"loadgen"},"body":""}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rhai.FromJSON(ev); err != nil {
			b.Fatal(err)
		}
	}
}
