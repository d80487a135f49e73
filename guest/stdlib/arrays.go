package stdlib

import (
	"slices"

	"github.com/picloud/picloud/guest/eval"
)

// Arrays, after Rhai's packages/array_basic.rs. The receiver a[0] is changed
// in place through its *eval.Array. Elements read out of the receiver are
// copied (copyOut) so the result never shares a nested container with it;
// elements removed from it are moved.

func registerArrays(l lib) {
	l.method("len", "a", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Int(int64(a[0].Array().Len())), nil
	})
	l.method("is_empty", "a", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(a[0].Array().Len() == 0), nil
	})
	l.fn("get", "ai", arrGet)
	l.fn("set", "ai*", arrSet)
	l.fn("push", "a*", arrPush)
	l.fn("+=", "a*", arrPush)
	l.fn("append", "aa", arrAppend)
	l.fn("+=", "aa", arrAppend)
	l.fn("insert", "ai*", arrInsert)
	l.fn("pad", "ai*", arrPad)
	l.fn("pop", "a", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		arr := a[0].Array()
		if len(arr.Elems) == 0 {
			return eval.Value{}, nil
		}
		v := arr.Elems[len(arr.Elems)-1]
		arr.Elems[len(arr.Elems)-1] = eval.Value{}
		arr.Elems = arr.Elems[:len(arr.Elems)-1]
		return v, nil
	})
	l.fn("shift", "a", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return arrRemoveAt(c, a[0].Array(), 0)
	})
	l.fn("remove", "ai", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		arr := a[0].Array()
		i, ok := index(len(arr.Elems), a[1].Int())
		if !ok {
			return eval.Value{}, nil
		}
		return arrRemoveAt(c, arr, i)
	})
	l.fn("clear", "a", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		a[0].Array().Elems = nil
		return eval.Value{}, nil
	})
	l.fn("truncate", "ai", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		arr, n := a[0].Array(), a[1].Int()
		if n < int64(len(arr.Elems)) {
			keep := max(n, 0)
			clear(arr.Elems[keep:])
			arr.Elems = arr.Elems[:keep]
		}
		return eval.Value{}, nil
	})
	l.fn("chop", "ai", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		arr, n := a[0].Array(), a[1].Int()
		if n < int64(len(arr.Elems)) {
			keep := max(n, 0)
			if err := spend(c, int(keep)); err != nil {
				return eval.Value{}, err
			}
			arr.Elems = slices.Clone(arr.Elems[len(arr.Elems)-int(keep):])
		}
		return eval.Value{}, nil
	})
	l.fn("reverse", "a", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		arr := a[0].Array()
		if err := spend(c, len(arr.Elems)); err != nil {
			return eval.Value{}, err
		}
		slices.Reverse(arr.Elems)
		return eval.Value{}, nil
	})
	l.fn("splice", "aiia", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return arrSplice(c, a[0].Array(), a[1].Int(), a[2].Int(), a[3].Array())
	})
	l.fn("splice", "ara", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		start, n := span(a[1].Range())
		return arrSplice(c, a[0].Array(), start, n, a[2].Array())
	})
	l.fn("extract", "aii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return arrExtract(c, a[0].Array(), a[1].Int(), a[2].Int())
	})
	l.fn("extract", "ai", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return arrExtract(c, a[0].Array(), a[1].Int(), maxInt)
	})
	l.fn("extract", "ar", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		start, n := span(a[1].Range())
		return arrExtract(c, a[0].Array(), start, n)
	})
	l.fn("split", "ai", arrSplit)
	l.fn("drain", "aii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return arrDrain(c, a[0].Array(), a[1].Int(), a[2].Int())
	})
	l.fn("drain", "ar", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		start, n := span(a[1].Range())
		return arrDrain(c, a[0].Array(), start, n)
	})
	l.fn("retain", "aii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return arrRetain(c, a[0].Array(), a[1].Int(), a[2].Int())
	})
	l.fn("retain", "ar", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		start, n := span(a[1].Range())
		return arrRetain(c, a[0].Array(), start, n)
	})
	l.fn("contains", "a*", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		i, err := arrFind(c, a[0].Array(), a[1], 0)
		return eval.Bool(i >= 0), err
	})
	l.fn("index_of", "a*", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		i, err := arrFind(c, a[0].Array(), a[1], 0)
		return eval.Int(int64(i)), err
	})
	l.fn("index_of", "a*i", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		arr := a[0].Array()
		start, _ := offsetLen(len(arr.Elems), a[2].Int(), 0)
		i, err := arrFind(c, arr, a[1], start)
		return eval.Int(int64(i)), err
	})
	l.fn("dedup", "a", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Value{}, dedup(c, a[0].Array(), func(prev, cur eval.Value) (bool, error) {
			return eval.Equal(prev, cur), nil
		})
	})
	l.fn("sort", "a", arrSort)
}

func arrGet(c *eval.Call, a []eval.Value) (eval.Value, error) {
	arr := a[0].Array()
	i, _ := offsetLen(len(arr.Elems), a[1].Int(), 0)
	if i >= len(arr.Elems) {
		return eval.Value{}, nil
	}
	return copyOut(c, arr.Elems[i])
}

func arrSet(c *eval.Call, a []eval.Value) (eval.Value, error) {
	arr := a[0].Array()
	i, _ := offsetLen(len(arr.Elems), a[1].Int(), 0)
	if i < len(arr.Elems) {
		arr.Elems[i] = a[2]
	}
	return eval.Value{}, nil
}

func arrPush(c *eval.Call, a []eval.Value) (eval.Value, error) {
	arr := a[0].Array()
	if err := reserveArray(c, arr, 1); err != nil {
		return eval.Value{}, err
	}
	arr.Elems = append(arr.Elems, a[1])
	return eval.Value{}, nil
}

func arrAppend(c *eval.Call, a []eval.Value) (eval.Value, error) {
	arr, more := a[0].Array(), a[1].Array().Elems
	if len(more) == 0 {
		return eval.Value{}, nil
	}
	if err := reserveArray(c, arr, len(more)); err != nil {
		return eval.Value{}, err
	}
	arr.Elems = append(arr.Elems, more...)
	return eval.Value{}, nil
}

func arrInsert(c *eval.Call, a []eval.Value) (eval.Value, error) {
	arr := a[0].Array()
	n := len(arr.Elems)
	if err := reserveArray(c, arr, 1); err != nil {
		return eval.Value{}, err
	}
	i, _ := offsetLen(n, a[1].Int(), 0)
	if err := spend(c, n-i); err != nil {
		return eval.Value{}, err
	}
	arr.Elems = slices.Insert(arr.Elems, i, a[2])
	return eval.Value{}, nil
}

// arrPad pads the array with copies of an item to at least n elements.
func arrPad(c *eval.Call, a []eval.Value) (eval.Value, error) {
	arr, n, item := a[0].Array(), a[1].Int(), a[2]
	have := int64(len(arr.Elems))
	if n <= have {
		return eval.Value{}, nil
	}
	if n > maxAlloc/eval.ValueSize {
		return eval.Value{}, tooLarge(c, "Size of array")
	}
	add := int(n - have)
	if err := reserveArray(c, arr, add); err != nil {
		return eval.Value{}, err
	}
	// Every copy of a container is its own value: account them all first.
	if size := item.Size(); size > 0 {
		total := size * int64(add-1)
		if size > maxAlloc || total/size != int64(add-1) || total > maxAlloc {
			return eval.Value{}, tooLarge(c, "Size of array")
		}
		if err := c.Alloc(total); err != nil {
			return eval.Value{}, err
		}
		if err := c.Charge(total / bytesPerFuel); err != nil {
			return eval.Value{}, err
		}
	}
	arr.Elems = append(arr.Elems, item)
	for i := 1; i < add; i++ {
		arr.Elems = append(arr.Elems, item.Clone())
	}
	return eval.Value{}, nil
}

func arrRemoveAt(c *eval.Call, arr *eval.Array, i int) (eval.Value, error) {
	if i >= len(arr.Elems) {
		return eval.Value{}, nil
	}
	if err := spend(c, len(arr.Elems)-i); err != nil {
		return eval.Value{}, err
	}
	v := arr.Elems[i]
	arr.Elems = slices.Delete(arr.Elems, i, i+1)
	return v, nil
}

// arrSplice replaces count elements from start with the elements of repl.
func arrSplice(c *eval.Call, arr *eval.Array, start, count int64, repl *eval.Array) (eval.Value, error) {
	more := repl.Elems
	if len(arr.Elems) == 0 {
		if err := growArray(c, len(more), len(more)); err != nil {
			return eval.Value{}, err
		}
		arr.Elems = slices.Clone(more)
		return eval.Value{}, nil
	}
	from, n := offsetLen(len(arr.Elems), start, count)
	size := len(arr.Elems) - n + len(more)
	if err := growArray(c, size, size); err != nil {
		return eval.Value{}, err
	}
	arr.Elems = slices.Replace(arr.Elems, from, from+n, more...)
	return eval.Value{}, nil
}

// arrExtract copies count elements from start into a new array.
func arrExtract(c *eval.Call, arr *eval.Array, start, count int64) (eval.Value, error) {
	if len(arr.Elems) == 0 || count <= 0 {
		return eval.NewArray(nil), nil
	}
	from, n := offsetLen(len(arr.Elems), start, count)
	return copyElems(c, arr.Elems[from:from+n])
}

// copyElems returns a new array holding copies of elems.
func copyElems(c *eval.Call, elems []eval.Value) (eval.Value, error) {
	if err := newArray(c, len(elems)); err != nil {
		return eval.Value{}, err
	}
	out := make([]eval.Value, len(elems))
	for i, e := range elems {
		v, err := copyOut(c, e)
		if err != nil {
			return eval.Value{}, err
		}
		out[i] = v
	}
	return eval.NewArray(out), nil
}

// moveElems returns a new array taking elems (removed from their array).
func moveElems(c *eval.Call, elems []eval.Value) (eval.Value, error) {
	if err := newArray(c, len(elems)); err != nil {
		return eval.Value{}, err
	}
	return eval.NewArray(slices.Clone(elems)), nil
}

// arrSplit cuts the array at a position and returns the tail.
func arrSplit(c *eval.Call, a []eval.Value) (eval.Value, error) {
	arr := a[0].Array()
	if len(arr.Elems) == 0 {
		return eval.NewArray(nil), nil
	}
	from, _ := offsetLen(len(arr.Elems), a[1].Int(), maxInt)
	if from >= len(arr.Elems) {
		return eval.NewArray(nil), nil
	}
	tail, err := moveElems(c, arr.Elems[from:])
	if err != nil {
		return eval.Value{}, err
	}
	clear(arr.Elems[from:])
	arr.Elems = arr.Elems[:from]
	return tail, nil
}

// arrDrain removes count elements from start and returns them.
func arrDrain(c *eval.Call, arr *eval.Array, start, count int64) (eval.Value, error) {
	if len(arr.Elems) == 0 || count <= 0 {
		return eval.NewArray(nil), nil
	}
	from, n := offsetLen(len(arr.Elems), start, count)
	if n == 0 {
		return eval.NewArray(nil), nil
	}
	out, err := moveElems(c, arr.Elems[from:from+n])
	if err != nil {
		return eval.Value{}, err
	}
	arr.Elems = slices.Delete(arr.Elems, from, from+n)
	return out, nil
}

// arrRetain keeps count elements from start and returns the others.
func arrRetain(c *eval.Call, arr *eval.Array, start, count int64) (eval.Value, error) {
	if len(arr.Elems) == 0 || count <= 0 {
		return eval.NewArray(nil), nil
	}
	from, n := offsetLen(len(arr.Elems), start, count)
	if n == 0 {
		return eval.NewArray(nil), nil
	}
	removed := make([]eval.Value, 0, len(arr.Elems)-n)
	removed = append(removed, arr.Elems[:from]...)
	removed = append(removed, arr.Elems[from+n:]...)
	out, err := moveElems(c, removed)
	if err != nil {
		return eval.Value{}, err
	}
	arr.Elems = slices.Clone(arr.Elems[from : from+n])
	return out, nil
}

// arrFind returns the position of the first element from start equal to v
// (Rhai's ==, where values of different types are unequal), or -1.
func arrFind(c *eval.Call, arr *eval.Array, v eval.Value, start int) (int, error) {
	for i := start; i < len(arr.Elems); i++ {
		if err := spend(c, 1); err != nil {
			return -1, err
		}
		if eval.Equal(arr.Elems[i], v) {
			return i, nil
		}
	}
	return -1, nil
}

// dedup removes every element for which same(previous kept, element) holds.
func dedup(c *eval.Call, arr *eval.Array, same func(prev, cur eval.Value) (bool, error)) error {
	if len(arr.Elems) < 2 {
		return nil
	}
	out := arr.Elems[:1]
	for i := 1; i < len(arr.Elems); i++ {
		if err := spend(c, 1); err != nil {
			return err
		}
		dup, err := same(out[len(out)-1], arr.Elems[i])
		if err != nil {
			arr.Elems = append(out, arr.Elems[i:]...)
			return err
		}
		if !dup {
			out = append(out, arr.Elems[i])
		}
	}
	clear(arr.Elems[len(out):])
	arr.Elems = out
	return nil
}

// arrSort sorts an array whose elements all have the same type: integers,
// floats, characters, strings, booleans or (). Other types are left as
// they are, as in Rhai; mixed types are an error.
func arrSort(c *eval.Call, a []eval.Value) (eval.Value, error) {
	elems := a[0].Array().Elems
	if len(elems) < 2 {
		return eval.Value{}, nil
	}
	k := elems[0].Kind()
	for _, e := range elems[1:] {
		if e.Kind() != k {
			return eval.Value{}, c.Errorf(eval.ErrorFunctionNotFound, "sort() cannot be called with elements of different types")
		}
	}
	switch k {
	case eval.IntKind, eval.FloatKind, eval.CharKind, eval.StringKind, eval.BoolKind:
	default:
		return eval.Value{}, nil
	}
	return eval.Value{}, stableSort(c, elems, func(x, y eval.Value) (int, error) {
		r, ok := eval.Compare(x, y)
		if !ok { // NaN: Rhai's partial_cmp(..).unwrap_or(Equal)
			return 0, nil
		}
		return r, nil
	})
}
