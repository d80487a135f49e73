package stdlib

import (
	"errors"

	"github.com/picloud/picloud/guest/eval"
)

// Higher-order array functions, after Rhai's array_basic.rs. A callback may
// take the element as a parameter or use `this` (bound to the element, whose
// changes stick), and may take the element's index as an extra last
// parameter: callPlan picks the calling form by the callback's arity, as
// Rhai's FnPtr::call_raw_with_extra_args does. A callback's error ends the
// call and reaches the script, except in sort and dedup, where Rhai counts a
// failed comparison as "equal" (errors that end the run still end it).

func registerArrayCallbacks(l lib) {
	l.callback("map", "aF", 1, arrMap)
	l.callback("filter", "aF", 1, arrFilter)
	l.callback("some", "aF", 1, arrSome)
	l.callback("all", "aF", 1, arrAll)
	l.callback("index_of", "aF", 1, arrIndexOf)
	l.callback("index_of", "aFi", 1, arrIndexOf)
	l.fn("find", "aF", arrFindFn)
	l.fn("find", "aFi", arrFindFn)
	l.fn("find_map", "aF", arrFindMap)
	l.fn("find_map", "aFi", arrFindMap)
	l.fn("for_each", "aF", arrForEach)
	l.callback("drain", "aF", 1, arrDrainFn(true))
	l.callback("retain", "aF", 1, arrDrainFn(false))
	l.callback("dedup", "aF", 1, arrDedupFn)
	l.callback("reduce", "aF", 1, arrReduce(false))
	l.callback("reduce", "aF*", 1, arrReduce(false))
	l.callback("reduce_rev", "aF", 1, arrReduce(true))
	l.callback("reduce_rev", "aF*", 1, arrReduce(true))
	l.callback("sort", "aF", 1, arrSortFn)
	l.fn("zip", "aaF", arrZip)
}

// Calling forms of a callback, for a call that has n arguments, e extra
// arguments (the index) and possibly an element to bind or pass.
const (
	formThis      = iota // `this` = element, the n arguments
	formMove             // the element inserted among the arguments
	formMoveExtra        // the element inserted, then the extras
	formExtra            // `this` = element, the arguments, then the extras
)

// callPlan calls one callback many times in the form its arity asks for.
type callPlan struct {
	fn   eval.Value
	form int
	at   int // where formMove* inserts the element
	buf  []eval.Value
}

// plan picks the calling form of fn for n arguments and e extras; at is the
// argument position the element moves to, or -1 when it is never passed as
// an argument (then it is only ever bound to `this`).
func plan(c *eval.Call, fn eval.Value, n, e, at int) *callPlan {
	p := &callPlan{fn: fn, form: formThis, at: at}
	arities := c.FnArity(fn)
	has := func(k int) bool {
		for _, a := range arities {
			if a == k {
				return true
			}
		}
		return false
	}
	switch {
	case has(n):
		p.form = formThis
	case at >= 0 && has(n+1):
		p.form = formMove
	case at >= 0 && has(n+e+1):
		p.form = formMoveExtra
	case has(n + e):
		p.form = formExtra
	}
	return p
}

// call calls the callback for element this (nil: none) with args and extras.
func (p *callPlan) call(c *eval.Call, this *eval.Value, args []eval.Value, extras ...eval.Value) (eval.Value, error) {
	switch p.form {
	case formMove, formMoveExtra:
		if this == nil {
			break
		}
		elem, err := copyOut(c, *this)
		if err != nil {
			return eval.Value{}, err
		}
		p.buf = append(p.buf[:0], args[:p.at]...)
		p.buf = append(p.buf, elem)
		p.buf = append(p.buf, args[p.at:]...)
		if p.form == formMoveExtra {
			p.buf = append(p.buf, extras...)
		}
		return c.CallFnThis(p.fn, nil, p.buf)
	case formExtra:
		p.buf = append(append(p.buf[:0], args...), extras...)
		return c.CallFnThis(p.fn, this, p.buf)
	}
	return c.CallFnThis(p.fn, this, args)
}

// truthy is Rhai's as_bool().unwrap_or(false).
func truthy(v eval.Value) bool { return v.Kind() == eval.BoolKind && v.Bool() }

// fatal reports whether err must end the run (it is not an error a script
// could catch, such as running out of fuel).
func fatal(err error) bool {
	var e *eval.Error
	if errors.As(err, &e) {
		return !e.Kind.Catchable()
	}
	return true
}

// startAt resolves an optional start position argument (a[i], if present).
func startAt(a []eval.Value, i, n int) int {
	if len(a) <= i {
		return 0
	}
	s, _ := offsetLen(n, a[i].Int(), 0)
	return s
}

func arrMap(c *eval.Call, a []eval.Value) (eval.Value, error) {
	arr := a[0].Array()
	p := plan(c, a[1], 0, 1, 0)
	var out []eval.Value
	for i := 0; i < len(arr.Elems); i++ {
		if err := growArray(c, len(out)+1, 1); err != nil {
			return eval.Value{}, err
		}
		v, err := p.call(c, &arr.Elems[i], nil, eval.Int(int64(i)))
		if err != nil {
			return eval.Value{}, err
		}
		out = append(out, v)
	}
	return eval.NewArray(out), nil
}

func arrFilter(c *eval.Call, a []eval.Value) (eval.Value, error) {
	arr := a[0].Array()
	p := plan(c, a[1], 0, 1, 0)
	var out []eval.Value
	for i := 0; i < len(arr.Elems); i++ {
		v, err := p.call(c, &arr.Elems[i], nil, eval.Int(int64(i)))
		if err != nil {
			return eval.Value{}, err
		}
		if truthy(v) && i < len(arr.Elems) {
			if err := growArray(c, len(out)+1, 1); err != nil {
				return eval.Value{}, err
			}
			e, err := copyOut(c, arr.Elems[i])
			if err != nil {
				return eval.Value{}, err
			}
			out = append(out, e)
		}
	}
	return eval.NewArray(out), nil
}

// firstMatch returns the index of the first element from start for which
// the predicate holds, or -1.
func firstMatch(c *eval.Call, arr *eval.Array, fn eval.Value, start int) (int, error) {
	p := plan(c, fn, 0, 1, 0)
	for i := start; i < len(arr.Elems); i++ {
		v, err := p.call(c, &arr.Elems[i], nil, eval.Int(int64(i)))
		if err != nil {
			return -1, err
		}
		if truthy(v) {
			return i, nil
		}
	}
	return -1, nil
}

func arrSome(c *eval.Call, a []eval.Value) (eval.Value, error) {
	i, err := firstMatch(c, a[0].Array(), a[1], 0)
	return eval.Bool(i >= 0), err
}

func arrAll(c *eval.Call, a []eval.Value) (eval.Value, error) {
	arr := a[0].Array()
	p := plan(c, a[1], 0, 1, 0)
	for i := 0; i < len(arr.Elems); i++ {
		v, err := p.call(c, &arr.Elems[i], nil, eval.Int(int64(i)))
		if err != nil {
			return eval.Value{}, err
		}
		if !truthy(v) {
			return eval.Bool(false), nil
		}
	}
	return eval.Bool(true), nil
}

func arrIndexOf(c *eval.Call, a []eval.Value) (eval.Value, error) {
	arr := a[0].Array()
	i, err := firstMatch(c, arr, a[1], startAt(a, 2, len(arr.Elems)))
	return eval.Int(int64(i)), err
}

func arrFindFn(c *eval.Call, a []eval.Value) (eval.Value, error) {
	arr := a[0].Array()
	i, err := firstMatch(c, arr, a[1], startAt(a, 2, len(arr.Elems)))
	if err != nil || i < 0 || i >= len(arr.Elems) {
		return eval.Value{}, err
	}
	return copyOut(c, arr.Elems[i])
}

// arrFindMap returns the first result of the callback that is not ().
func arrFindMap(c *eval.Call, a []eval.Value) (eval.Value, error) {
	arr := a[0].Array()
	p := plan(c, a[1], 0, 1, 0)
	for i := startAt(a, 2, len(arr.Elems)); i < len(arr.Elems); i++ {
		v, err := p.call(c, &arr.Elems[i], nil, eval.Int(int64(i)))
		if err != nil || !v.IsUnit() {
			return v, err
		}
	}
	return eval.Value{}, nil
}

// arrForEach runs the callback with `this` bound to each element in turn.
func arrForEach(c *eval.Call, a []eval.Value) (eval.Value, error) {
	arr := a[0].Array()
	p := plan(c, a[1], 0, 1, -1)
	for i := 0; i < len(arr.Elems); i++ {
		if _, err := p.call(c, &arr.Elems[i], nil, eval.Int(int64(i))); err != nil {
			return eval.Value{}, err
		}
	}
	return eval.Value{}, nil
}

// arrDrainFn removes the elements for which the predicate holds (drain) or
// does not hold (retain), and returns them. The index passed to the
// callback counts the original positions.
func arrDrainFn(drain bool) builtin {
	return func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		arr := a[0].Array()
		p := plan(c, a[1], 0, 1, 0)
		var kept, out []eval.Value
		elems := arr.Elems
		for i := range elems {
			v, err := p.call(c, &elems[i], nil, eval.Int(int64(i)))
			if err != nil {
				// As in Rhai, the elements removed so far are lost.
				arr.Elems = append(kept, elems[i:]...)
				return eval.Value{}, err
			}
			if truthy(v) == drain {
				out = append(out, elems[i])
			} else {
				kept = append(kept, elems[i])
			}
		}
		if err := newArray(c, len(out)+len(kept)); err != nil {
			arr.Elems = append(kept, out...)
			return eval.Value{}, err
		}
		arr.Elems = kept
		return eval.NewArray(out), nil
	}
}

// arrDedupFn removes consecutive elements the comparer calls equal to the
// element kept before them; it is called as (previous, current).
func arrDedupFn(c *eval.Call, a []eval.Value) (eval.Value, error) {
	fn := a[1]
	return eval.Value{}, dedup(c, a[0].Array(), func(prev, cur eval.Value) (bool, error) {
		v, err := c.CallFn(fn, prev, cur)
		if err != nil {
			if fatal(err) {
				return false, err
			}
			return false, nil
		}
		return truthy(v), nil
	})
}

// arrReduce folds the array, forwards or backwards, from an initial value
// (() when not given); the callback gets (result, element[, index]).
func arrReduce(rev bool) builtin {
	return func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		arr := a[0].Array()
		var acc eval.Value
		if len(a) == 3 {
			acc = a[2]
		}
		p := plan(c, a[1], 1, 1, 1)
		args := make([]eval.Value, 1)
		for k := 0; k < len(arr.Elems); k++ {
			i := k
			if rev {
				i = len(arr.Elems) - 1 - k
			}
			args[0] = acc
			v, err := p.call(c, &arr.Elems[i], args, eval.Int(int64(i)))
			if err != nil {
				return eval.Value{}, err
			}
			acc = v
		}
		return acc, nil
	}
}

// arrSortFn sorts with a comparer returning an integer (< 0, 0, > 0). A
// comparison that fails or does not return an integer counts as equal.
func arrSortFn(c *eval.Call, a []eval.Value) (eval.Value, error) {
	fn := a[1]
	return eval.Value{}, stableSort(c, a[0].Array().Elems, func(x, y eval.Value) (int, error) {
		v, err := c.CallFn(fn, x, y)
		if err != nil {
			if fatal(err) {
				return 0, err
			}
			return kindOrder(x, y), nil
		}
		if v.Kind() != eval.IntKind {
			return kindOrder(x, y), nil
		}
		switch n := v.Int(); {
		case n < 0:
			return -1, nil
		case n > 0:
			return 1, nil
		}
		return 0, nil
	})
}

// kindOrder orders values by type only (Rhai falls back on comparing type
// ids): values of one type are equal.
func kindOrder(x, y eval.Value) int {
	switch {
	case x.Kind() < y.Kind():
		return -1
	case x.Kind() > y.Kind():
		return 1
	}
	return 0
}

// arrZip maps pairs of elements of two arrays (as long as the shorter one)
// through the callback (a, b[, index]).
func arrZip(c *eval.Call, a []eval.Value) (eval.Value, error) {
	x, y := a[0].Array(), a[1].Array()
	p := plan(c, a[2], 2, 1, -1)
	var out []eval.Value
	args := make([]eval.Value, 2)
	for i := 0; i < len(x.Elems) && i < len(y.Elems); i++ {
		if err := growArray(c, len(out)+1, 1); err != nil {
			return eval.Value{}, err
		}
		var err error
		if args[0], err = copyOut(c, x.Elems[i]); err != nil {
			return eval.Value{}, err
		}
		if args[1], err = copyOut(c, y.Elems[i]); err != nil {
			return eval.Value{}, err
		}
		v, err := p.call(c, nil, args, eval.Int(int64(i)))
		if err != nil {
			return eval.Value{}, err
		}
		out = append(out, v)
	}
	return eval.NewArray(out), nil
}

// stableSort sorts s with a stable merge sort (as Rust's sort_by is stable,
// equal elements keep their order), charging one unit of fuel per
// comparison. If cmp fails, sorting stops and s still holds all of its
// elements.
func stableSort(c *eval.Call, s []eval.Value, cmp func(x, y eval.Value) (int, error)) (err error) {
	// one step per comparison, charged in batches (the comparator's own
	// calls check the budget in between)
	pending := 0
	defer func() {
		if err == nil {
			err = spend(c, pending)
		}
	}()
	less := func(x, y eval.Value) (bool, error) {
		if pending++; pending >= 256 {
			if err := spend(c, pending); err != nil {
				return false, err
			}
			pending = 0
		}
		r, err := cmp(x, y)
		return r < 0, err
	}
	const run = 12
	n := len(s)
	for lo := 0; lo < n; lo += run {
		hi := min(lo+run, n)
		for i := lo + 1; i < hi; i++ {
			for j := i; j > lo; j-- {
				l, err := less(s[j], s[j-1])
				if err != nil {
					return err
				}
				if !l {
					break
				}
				s[j], s[j-1] = s[j-1], s[j]
			}
		}
	}
	if n <= run {
		return nil
	}
	if err := c.Alloc(int64(n) * eval.ValueSize); err != nil {
		return err
	}
	src, dst := s, make([]eval.Value, n)
	for width := run; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid, hi := min(lo+width, n), min(lo+2*width, n)
			if err := merge(src[lo:mid], src[mid:hi], dst[lo:hi], less); err != nil {
				if &src[0] != &s[0] {
					copy(s, src)
				}
				return err
			}
		}
		src, dst = dst, src
	}
	if &src[0] != &s[0] {
		copy(s, src)
	}
	return nil
}

// merge merges the sorted runs x and y into out, taking from x on ties.
func merge(x, y, out []eval.Value, less func(x, y eval.Value) (bool, error)) error {
	i, j, k := 0, 0, 0
	for i < len(x) && j < len(y) {
		l, err := less(y[j], x[i])
		if err != nil {
			return err
		}
		if l {
			out[k] = y[j]
			j++
		} else {
			out[k] = x[i]
			i++
		}
		k++
	}
	k += copy(out[k:], x[i:])
	copy(out[k:], y[j:])
	return nil
}
