package route

import (
	"maps"
	"strings"
	"testing"
)

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct{ in, reason string }{
		{"users", `must start with "/"`},
		{"/users//x", "empty segment"},
		{"/files/*rest/x", "must be the last segment"},
		{"/users/:", "parameter name"},
		{"/users/:1d", "parameter name"},
		{"/a/:id/b/:id", "appears twice"},
		{"/a b", "not allowed"},
		{"/a?b", "not allowed"},
		{"/" + strings.Repeat("a", MaxLen), "longer than"},
	} {
		_, err := Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.in, err, tc.reason)
		}
	}
}

func TestParseMethod(t *testing.T) {
	if m, err := ParseMethod("get"); err != nil || m != "GET" {
		t.Errorf(`ParseMethod("get") = %q, %v; want "GET", nil`, m, err)
	}
	if _, err := ParseMethod("FETCH"); err == nil {
		t.Error(`ParseMethod("FETCH") accepted an unknown method`)
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          map[string]string // nil: no match
	}{
		{"/", "/", map[string]string{}},
		{"/", "/x", nil},
		{"/users", "/users", map[string]string{}},
		{"/users/", "/users", map[string]string{}},
		{"/users", "/users/", map[string]string{}},
		{"/users/:id", "/users/42", map[string]string{"id": "42"}},
		{"/users/:id", "/users", nil},
		{"/users/:id", "/users/42/x", nil},
		{"/users/:id/posts/:post", "/users/1/posts/2", map[string]string{"id": "1", "post": "2"}},
		{"/files/*rest", "/files/a/b/c.txt", map[string]string{"rest": "a/b/c.txt"}},
		{"/files/*rest", "/files", map[string]string{"rest": ""}},
		{"/*all", "/", map[string]string{"all": ""}},
	} {
		got, ok := MustParse(tc.pattern).Match(tc.path)
		if ok != (tc.want != nil) || !maps.Equal(got, tc.want) {
			t.Errorf("%q.Match(%q) = %v, %v; want %v", tc.pattern, tc.path, got, ok, tc.want)
		}
	}
}

func TestKey(t *testing.T) {
	if a, b := MustParse("/users/:id/*rest").Key(), MustParse("/users/:uid/*tail").Key(); a != b || a != "/users/:/*" {
		t.Errorf("keys %q and %q, want both %q", a, b, "/users/:/*")
	}
	if k := MustParse("/").Key(); k != "/" {
		t.Errorf(`Key of "/" = %q`, k)
	}
}

func TestTableMostSpecificWins(t *testing.T) {
	routes := []Route[string]{
		{App: "shop", Method: "ANY", Pattern: MustParse("/*rest"), Target: "catch-all"},
		{App: "shop", Method: "GET", Pattern: MustParse("/users/:id"), Target: "get-user"},
		{App: "shop", Method: "ANY", Pattern: MustParse("/users/me"), Target: "me"},
		{App: "shop", Method: "POST", Pattern: MustParse("/users/:id"), Target: "post-user"},
		{App: "shop", Method: "ANY", Pattern: MustParse("/users/:id"), Target: "any-user"},
		{App: "shop", Method: "GET", Pattern: MustParse("/:kind/list"), Target: "list"},
		{App: "other", Method: "GET", Pattern: MustParse("/users/:id"), Target: "other-user"},
	}
	tab := NewTable(routes)
	for _, tc := range []struct {
		app, method, path, want string
		params                  map[string]string
	}{
		{"shop", "GET", "/users/42", "get-user", map[string]string{"id": "42"}},
		{"shop", "HEAD", "/users/42", "get-user", map[string]string{"id": "42"}},
		{"shop", "POST", "/users/42", "post-user", map[string]string{"id": "42"}},
		{"shop", "DELETE", "/users/42", "any-user", map[string]string{"id": "42"}},
		{"shop", "GET", "/users/me", "me", map[string]string{}},
		{"shop", "GET", "/users/list", "get-user", map[string]string{"id": "list"}},
		{"shop", "GET", "/items/list", "list", map[string]string{"kind": "items"}},
		{"shop", "GET", "/x/y/z", "catch-all", map[string]string{"rest": "x/y/z"}},
		{"other", "GET", "/users/1", "other-user", map[string]string{"id": "1"}},
		{"other", "POST", "/users/1", "", nil},
		{"nobody", "GET", "/users/1", "", nil},
	} {
		r, params, ok := tab.Lookup(tc.app, tc.method, tc.path)
		if tc.want == "" {
			if ok {
				t.Errorf("Lookup(%s %s %s) = %q, want no route", tc.app, tc.method, tc.path, r.Target)
			}
			continue
		}
		if !ok || r.Target != tc.want || !maps.Equal(params, tc.params) {
			t.Errorf("Lookup(%s %s %s) = %q %v %v, want %q %v", tc.app, tc.method, tc.path, r.Target, params, ok, tc.want, tc.params)
		}
	}
	if got := tab.Allowed("other", "/users/1"); len(got) != 1 || got[0] != "GET" {
		t.Errorf("Allowed = %v, want [GET]", got)
	}
	if tab.Len() != len(routes) {
		t.Errorf("Len = %d, want %d", tab.Len(), len(routes))
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"/", "/a/:b/*c", "/a//b", "/:"} {
		f.Add(s, "/a/b/c")
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		p, err := Parse(pattern)
		if err != nil {
			return
		}
		params, ok := p.Match(path)
		if ok && params == nil {
			t.Fatal("a match returned nil params")
		}
		if _, err := Parse(p.String()); err != nil {
			t.Fatalf("re-parsing %q: %v", p.String(), err)
		}
	})
}
