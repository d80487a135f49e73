package listen

import (
	"slices"
	"testing"
)

func TestMerge(t *testing.T) {
	var got []string
	note := func(s string) func(string) { return func(p string) { got = append(got, s+p) } }
	hs := Merge(
		Handler{Channel: "a", Notify: note("1")},
		Handler{Channel: "b", Notify: note("2"), Resync: func() { got = append(got, "r2") }},
		Handler{Channel: "a", Notify: note("3"), Resync: func() { got = append(got, "r3") }},
	)
	if len(hs) != 2 || hs[0].Channel != "a" || hs[1].Channel != "b" {
		t.Fatalf("merged %+v", hs)
	}
	hs[0].Notify("x")
	hs[0].Resync()
	hs[1].Notify("y")
	hs[1].Resync()
	if want := []string{"1x", "3x", "r3", "2y", "r2"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
