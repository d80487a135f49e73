package route

import (
	"slices"
	"strings"
)

// Route binds a method and path pattern of one app to a target the caller
// defines (a trigger, a script).
type Route[T any] struct {
	App     string
	Method  string // upper case, or "ANY"
	Pattern Pattern
	Target  T
}

// Table is an immutable set of routes, built once and shared by every request
// goroutine; rebuild it when triggers change and swap it in atomically.
type Table[T any] struct {
	byApp map[string][]Route[T]
}

// NewTable sorts routes by specificity, per app.
func NewTable[T any](routes []Route[T]) *Table[T] {
	t := &Table[T]{byApp: map[string][]Route[T]{}}
	for _, r := range routes {
		t.byApp[r.App] = append(t.byApp[r.App], r)
	}
	for _, rs := range t.byApp {
		slices.SortStableFunc(rs, func(a, b Route[T]) int {
			if c := compare(a.Pattern, b.Pattern); c != 0 {
				return c
			}
			return methodRank(a.Method) - methodRank(b.Method)
		})
	}
	return t
}

func methodRank(m string) int {
	if m == "ANY" {
		return 1
	}
	return 0
}

// Lookup finds the most specific route of app matching method and path (the
// path below the app prefix, starting with "/"). HEAD requests fall back to GET
// routes.
func (t *Table[T]) Lookup(app, method, path string) (Route[T], map[string]string, bool) {
	method = strings.ToUpper(method)
	for _, r := range t.byApp[app] {
		if r.Method != "ANY" && r.Method != method && !(method == "HEAD" && r.Method == "GET") {
			continue
		}
		if params, ok := r.Pattern.Match(path); ok {
			return r, params, true
		}
	}
	var zero Route[T]
	return zero, nil, false
}

// Allowed lists the methods that have a route for path in app, for a 405's
// Allow header; it is empty when no route matches the path at all.
func (t *Table[T]) Allowed(app, path string) []string {
	var out []string
	for _, r := range t.byApp[app] {
		if _, ok := r.Pattern.Match(path); ok && !slices.Contains(out, r.Method) {
			out = append(out, r.Method)
		}
	}
	return out
}

// Len is the number of routes in the table.
func (t *Table[T]) Len() int {
	n := 0
	for _, rs := range t.byApp {
		n += len(rs)
	}
	return n
}
