package stdlib

import "github.com/picloud/picloud/guest/eval"

// Object maps, after Rhai's packages/map_basic.rs. Keys iterate in sorted
// order. A callback gets the key, and the value either as a second
// parameter or bound to `this` (whose changes stick). len and is_empty are
// methods only: on a map, m.len reads the property "len".

func registerMaps(l lib) {
	l.fn("len", "m", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Int(int64(a[0].Map().Len())), nil
	})
	l.fn("is_empty", "m", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(a[0].Map().Len() == 0), nil
	})
	l.fn("contains", "ms", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		_, ok := a[0].Map().Get(a[1].Str())
		return eval.Bool(ok), nil
	})
	l.fn("get", "ms", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		v, _ := a[0].Map().Get(a[1].Str())
		return copyOut(c, v)
	})
	l.fn("set", "ms*", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Value{}, mapSet(c, a[0].Map(), a[1].Str(), a[2])
	})
	l.fn("remove", "ms", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		v, _ := a[0].Map().Delete(a[1].Str())
		return v, nil
	})
	l.fn("clear", "m", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		a[0].Map().Clear()
		return eval.Value{}, nil
	})
	l.fn("mixin", "mm", mapMixin(true))
	l.fn("+=", "mm", mapMixin(true))
	l.fn("fill_with", "mm", mapMixin(false))
	l.fn("keys", "m", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		keys := a[0].Map().Keys()
		return stringArray(c, keys)
	})
	l.fn("values", "m", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		m := a[0].Map()
		if err := newArray(c, m.Len()); err != nil {
			return eval.Value{}, err
		}
		out := make([]eval.Value, 0, m.Len())
		var err error
		m.Range(func(_ string, v eval.Value) bool {
			v, err = copyOut(c, v)
			out = append(out, v)
			return err == nil
		})
		if err != nil {
			return eval.Value{}, err
		}
		return eval.NewArray(out), nil
	})
	l.fn("map", "mF", mapMap)
	l.fn("filter", "mF", mapFilter)
	l.fn("drain", "mF", mapDrain(true))
	l.fn("retain", "mF", mapDrain(false))
}

// mapSet stores v under key, accounting a new entry.
func mapSet(c *eval.Call, m *eval.Map, key string, v eval.Value) error {
	if _, ok := m.Get(key); !ok {
		if err := growMap(c, m.Len()+1, len(key)); err != nil {
			return err
		}
	}
	m.Set(key, v)
	return nil
}

// mapMixin copies the entries of a[1] into a[0]: all of them (mixin, +=),
// or only those whose keys a[0] lacks (fill_with).
func mapMixin(replace bool) builtin {
	return func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		m, other := a[0].Map(), a[1].Map()
		var err error
		other.Range(func(k string, v eval.Value) bool {
			if _, ok := m.Get(k); ok && !replace {
				return true
			}
			err = mapSet(c, m, k, v)
			return err == nil
		})
		return eval.Value{}, err
	}
}

// eachEntry calls f for the entries of m in key order with `this` bound to
// the value (written back when the callback changed it) and the key as the
// argument, calling the callback as (key) or (key, value).
func eachEntry(c *eval.Call, m *eval.Map, fn eval.Value, f func(key string, v, result eval.Value) error) error {
	p := plan(c, fn, 1, 0, 1)
	args := make([]eval.Value, 1)
	for _, k := range m.Keys() {
		v, ok := m.Get(k)
		if !ok {
			continue
		}
		this := v
		args[0] = eval.Str(k)
		r, err := p.call(c, &this, args)
		if this != v {
			m.Set(k, this)
		}
		if err != nil {
			return err
		}
		if err := f(k, this, r); err != nil {
			return err
		}
	}
	return nil
}

// mapMap returns a new map of the callback's results under the same keys.
func mapMap(c *eval.Call, a []eval.Value) (eval.Value, error) {
	out := eval.NewMapCap(a[0].Map().Len())
	err := eachEntry(c, a[0].Map(), a[1], func(key string, _, r eval.Value) error {
		return mapSet(c, out, key, r)
	})
	if err != nil {
		return eval.Value{}, err
	}
	return eval.MapOf(out), nil
}

// mapFilter returns a new map of the entries for which the callback holds.
func mapFilter(c *eval.Call, a []eval.Value) (eval.Value, error) {
	out := eval.NewMapCap(0)
	err := eachEntry(c, a[0].Map(), a[1], func(key string, v, r eval.Value) error {
		if !truthy(r) {
			return nil
		}
		v, err := copyOut(c, v)
		if err != nil {
			return err
		}
		return mapSet(c, out, key, v)
	})
	if err != nil {
		return eval.Value{}, err
	}
	return eval.MapOf(out), nil
}

// mapDrain removes the entries for which the callback holds (drain) or does
// not hold (retain) and returns them as a new map.
func mapDrain(drain bool) builtin {
	return func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		m := a[0].Map()
		out := eval.NewMapCap(0)
		var remove []string
		err := eachEntry(c, m, a[1], func(key string, v, r eval.Value) error {
			if truthy(r) != drain {
				return nil
			}
			remove = append(remove, key)
			return mapSet(c, out, key, v)
		})
		for _, k := range remove {
			m.Delete(k)
		}
		if err != nil {
			return eval.Value{}, err
		}
		return eval.MapOf(out), nil
	}
}
