package listen

// Merge combines handlers of the same channel into one that calls each of
// them in order, so several components can follow one channel on the one
// LISTEN connection (Start accepts one handler per channel).
func Merge(handlers ...Handler) []Handler {
	var out []Handler
	at := map[string]int{}
	for _, h := range handlers {
		i, seen := at[h.Channel]
		if !seen {
			at[h.Channel] = len(out)
			out = append(out, h)
			continue
		}
		prev := out[i]
		out[i] = Handler{Channel: h.Channel, Notify: chain(prev.Notify, h.Notify), Resync: chainResync(prev.Resync, h.Resync)}
	}
	return out
}

func chain(a, b func(string)) func(string) {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(p string) { a(p); b(p) }
}

func chainResync(a, b func()) func() {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func() { a(); b() }
}
