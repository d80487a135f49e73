package stdlib

import (
	"math"
	"time"

	"github.com/picloud/picloud/guest/eval"
)

// Timestamps, after Rhai's packages/time_basic.rs, and sleep from
// lang_core.rs. A timestamp holds Unix nanoseconds. Adding an integer adds
// whole seconds; adding a float adds its whole milliseconds; the difference
// of two timestamps is in (float) seconds.

func registerTime(l lib) {
	l.fn("timestamp", "", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Timestamp(time.Now().UnixNano()), nil
	})
	l.method("elapsed", "t", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		now := time.Now().UnixNano()
		t := a[0].Timestamp()
		if t > now {
			return eval.Value{}, c.Errorf(eval.ErrorArithmetic, "Time-stamp is later than now")
		}
		return eval.Float(seconds(uint64(now - t))), nil
	})
	l.fn("-", "tt", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		t1, t2 := a[0].Timestamp(), a[1].Timestamp()
		if t2 > t1 {
			return eval.Float(-seconds(uint64(t2) - uint64(t1))), nil
		}
		return eval.Float(seconds(uint64(t1) - uint64(t2))), nil
	})
	for _, name := range []string{"+", "+=", "-", "-="} {
		neg := name[0] == '-'
		assign := len(name) == 2
		l.fn(name, "ti", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			n := a[1].Int()
			var d int64
			var ok bool
			if neg {
				d, ok = mulSecond(n, -1)
			} else {
				d, ok = mulSecond(n, 1)
			}
			return shiftTime(c, a, d, ok, assign)
		})
		l.fn(name, "tf", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			f := a[1].Float()
			if neg {
				f = -f
			}
			d, ok := floatMillis(f)
			return shiftTime(c, a, d, ok, assign)
		})
	}
	l.fn("sleep", "i", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		n := a[0].Int()
		if n <= 0 {
			return eval.Value{}, nil
		}
		return eval.Value{}, sleep(c, time.Duration(min(n, math.MaxInt64/int64(time.Second)))*time.Second)
	})
	l.fn("sleep", "f", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		f := a[0].Float()
		if !(f >= 0x1p-1022) || math.IsInf(f, 0) {
			return eval.Value{}, nil // Rhai sleeps only for normal, positive numbers
		}
		d := time.Duration(math.Min(f*1e9, math.MaxInt64/2))
		return eval.Value{}, sleep(c, d)
	})
}

// seconds converts nanoseconds to float seconds as Rust's
// Duration::as_secs_f64 does: whole seconds plus the rest over 10^9.
func seconds(ns uint64) float64 {
	return float64(ns/1e9) + float64(ns%1e9)/1e9
}

// mulSecond returns n seconds (times sign) in nanoseconds; ok is false on
// overflow.
func mulSecond(n, sign int64) (int64, bool) {
	const s = int64(time.Second)
	if n > math.MaxInt64/s || n < math.MinInt64/s {
		return 0, false
	}
	return sign * n * s, true
}

// floatMillis returns f seconds truncated to whole milliseconds, in
// nanoseconds (Rhai: Duration::from_millis((seconds * 1000.0) as u64)).
func floatMillis(f float64) (int64, bool) {
	ms := math.Trunc(math.Abs(f) * 1000)
	if math.IsNaN(ms) {
		return 0, true
	}
	if ms > math.MaxInt64/1e6 {
		return 0, false
	}
	d := int64(ms) * int64(time.Millisecond)
	if f < 0 {
		d = -d
	}
	return d, true
}

// shiftTime adds d nanoseconds to the timestamp a[0]: into a new timestamp,
// or into a[0] itself for += and -=.
func shiftTime(c *eval.Call, a []eval.Value, d int64, ok, assign bool) (eval.Value, error) {
	t := a[0].Timestamp()
	r, sumOK := addInt(t, d)
	if !ok || !sumOK {
		return eval.Value{}, c.Errorf(eval.ErrorArithmetic, "Timestamp overflow when adding %s second(s)", eval.FormatFloat(float64(d)/1e9))
	}
	if assign {
		a[0] = eval.Timestamp(r)
		return eval.Value{}, nil
	}
	return eval.Timestamp(r), nil
}

// sleep blocks for d, a slice at a time, charging a unit of fuel per slice
// and polling the host's cancellation between slices, so that a cancelled
// run (wall-time limit) or one over its budget stops sleeping.
func sleep(c *eval.Call, d time.Duration) error {
	const slice = 10 * time.Millisecond
	for d > 0 {
		if err := spend(c, 1); err != nil {
			return err
		}
		if err := c.Poll(); err != nil {
			return err
		}
		t := min(d, slice)
		time.Sleep(t)
		d -= t
	}
	return c.Poll()
}
