package stdlib

import (
	"math"

	"github.com/picloud/picloud/guest/eval"
)

// Ranges, after Rhai's packages/iter_basic.rs: the properties of a range,
// and range(from, to[, step]) for iteration: range(from, to) is the range
// from..to; with a step it is a lazy iterator. Rhai has no len for ranges.

func registerRanges(l lib) {
	l.method("start", "r", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Int(a[0].Range().Start), nil
	})
	l.method("end", "r", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Int(a[0].Range().End), nil
	})
	l.method("is_inclusive", "r", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(a[0].Range().Inclusive), nil
	})
	l.method("is_exclusive", "r", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(!a[0].Range().Inclusive), nil
	})
	l.method("is_empty", "r", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		r := a[0].Range()
		if r.Inclusive {
			return eval.Bool(r.Start > r.End), nil
		}
		return eval.Bool(r.Start >= r.End), nil
	})
	l.fn("contains", "ri", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(a[0].Range().Contains(a[1].Int())), nil
	})
	l.fn("range", "ii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.NewRange(a[0].Int(), a[1].Int(), false), nil
	})
	l.fn("range", "iii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return intSteps(c, a[0].Int(), a[1].Int(), a[2].Int())
	})
	l.fn("range", "ri", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		r := a[0].Range()
		if r.Inclusive {
			return eval.Value{}, c.Errorf(eval.ErrorFunctionNotFound, "Function not found: range (range=, i64)")
		}
		return intSteps(c, r.Start, r.End, a[1].Int())
	})
	l.fn("range", "fff", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return floatSteps(c, a[0].Float(), a[1].Float(), a[2].Float())
	})
}

// intStepper walks from towards to (exclusive) by step, as Rhai's
// StepRange<INT>: it goes forwards only when from < to and step > 0,
// backwards only when from > to and step < 0, and stops as soon as the
// next step would overflow, without yielding the current value.
type intStepper struct {
	from, to, step int64
	dir            int // 1 forwards, -1 backwards, 0 done
}

func newIntStepper(from, to, step int64) *intStepper {
	s := &intStepper{from: from, to: to, step: step}
	if _, ok := addInt(from, step); ok && step != 0 {
		switch {
		case from < to && step > 0:
			s.dir = 1
		case from > to && step < 0:
			s.dir = -1
		}
	}
	return s
}

func addInt(a, b int64) (int64, bool) {
	r := a + b
	return r, (b >= 0) == (r >= a)
}

func (s *intStepper) next() (int64, bool) {
	if s.dir == 0 {
		return 0, false
	}
	v := s.from
	n, ok := addInt(s.from, s.step)
	if !ok {
		s.dir = 0
		return 0, false
	}
	s.from = n
	if (s.dir > 0 && n >= s.to) || (s.dir < 0 && n <= s.to) {
		s.dir = 0
	}
	return v, true
}

// intSteps returns an iterator over range(from, to, step).
func intSteps(c *eval.Call, from, to, step int64) (eval.Value, error) {
	if step == 0 {
		return eval.Value{}, c.Errorf(eval.ErrorArithmetic, "step value cannot be zero")
	}
	return eval.NewIter(&eval.Iter{Start: func() func() (eval.Value, bool) {
		s := newIntStepper(from, to, step)
		return func() (eval.Value, bool) {
			v, ok := s.next()
			return eval.Int(v), ok
		}
	}}), nil
}

// floatSteps returns an iterator over range(from, to, step) for floats, as
// Rhai's StepRange<FLOAT> (whose additions do not overflow).
func floatSteps(c *eval.Call, from, to, step float64) (eval.Value, error) {
	n := from + step
	if n == from {
		return eval.Value{}, c.Errorf(eval.ErrorArithmetic, "step value cannot be zero")
	}
	dir := 0
	switch {
	case from < to && n > from:
		dir = 1
	case from > to && n < from:
		dir = -1
	}
	return eval.NewIter(&eval.Iter{Start: func() func() (eval.Value, bool) {
		x, d := from, dir
		return func() (eval.Value, bool) {
			if d == 0 {
				return eval.Value{}, false
			}
			v := x
			x += step
			if (d > 0 && x >= to) || (d < 0 && x <= to) || math.IsNaN(x) {
				d = 0
			}
			return eval.Float(v), true
		}
	}}), nil
}
