package stdlib

import "github.com/picloud/picloud/guest/eval"

// Bit fields of integers, after Rhai's packages/bit_field.rs and the bits()
// iterator of iter_basic.rs. Bit 0 is the least significant; a negative
// position counts from the most significant bit (-1 is bit 63) and clamps
// to bit 0 below that; a position of 64 or more is an error.

const intBits = 64

func registerBits(l lib) {
	l.fn("get_bit", "ii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		bit, err := bitIndex(c, a[1].Int())
		if err != nil {
			return eval.Value{}, err
		}
		return eval.Bool(a[0].Int()&(1<<bit) != 0), nil
	})
	l.fn("set_bit", "iib", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		bit, err := bitIndex(c, a[1].Int())
		if err != nil {
			return eval.Value{}, err
		}
		v := a[0].Int()
		if a[2].Bool() {
			v |= 1 << bit
		} else {
			v &^= 1 << bit
		}
		a[0] = eval.Int(v)
		return eval.Value{}, nil
	})
	l.fn("get_bits", "iii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return getBits(c, a[0].Int(), a[1].Int(), a[2].Int())
	})
	l.fn("get_bits", "ir", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		from, n := bitSpan(a[1].Range())
		return getBits(c, a[0].Int(), from, n)
	})
	l.fn("set_bits", "iiii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return setBits(c, a, a[1].Int(), a[2].Int(), a[3].Int())
	})
	l.fn("set_bits", "iri", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		from, n := bitSpan(a[1].Range())
		return setBits(c, a, from, n, a[2].Int())
	})
	l.method("bits", "i", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return bitList(c, a[0].Int(), 0, maxInt)
	})
	l.fn("bits", "ii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return bitList(c, a[0].Int(), a[1].Int(), maxInt)
	})
	l.fn("bits", "iii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return bitList(c, a[0].Int(), a[1].Int(), a[2].Int())
	})
	l.fn("bits", "ir", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		from, n := bitSpan(a[1].Range())
		return bitList(c, a[0].Int(), from, n)
	})
}

// bitIndex resolves a bit position (Rhai's calc_index over 64 bits).
func bitIndex(c *eval.Call, bit int64) (uint, error) {
	switch {
	case bit < 0:
		if bit < -intBits {
			return 0, nil
		}
		return uint(intBits + bit), nil
	case bit >= intBits:
		return 0, c.Errorf(eval.ErrorBitFieldBounds, "Bit-field index %d out of bounds: only %d bits in the bit-field", bit, intBits)
	}
	return uint(bit), nil
}

// bitSpan turns a range of bits into (start, count) as Rhai's bit-field
// functions do: an inclusive range ending before its start counts zero bits.
func bitSpan(r *eval.Range) (int64, int64) {
	from := max(r.Start, 0)
	if r.Inclusive {
		to := max(r.End, from-1)
		return from, sat(to - from + 1)
	}
	return from, max(r.End, from) - from
}

// fieldWidth limits a bit count from position bit to the bits that exist.
func fieldWidth(bit uint, bits int64) uint {
	if bits > int64(intBits-bit) {
		return intBits - bit
	}
	return uint(bits)
}

func getBits(c *eval.Call, v, start, bits int64) (eval.Value, error) {
	if bits <= 0 {
		return eval.Int(0), nil
	}
	bit, err := bitIndex(c, start)
	if err != nil {
		return eval.Value{}, err
	}
	w := fieldWidth(bit, bits)
	if bit == 0 && w == intBits {
		return eval.Int(v), nil
	}
	mask := int64(1)<<w - 1
	return eval.Int(v >> bit & mask), nil
}

func setBits(c *eval.Call, a []eval.Value, start, bits, nv int64) (eval.Value, error) {
	if bits <= 0 {
		return eval.Value{}, nil
	}
	bit, err := bitIndex(c, start)
	if err != nil {
		return eval.Value{}, err
	}
	w := fieldWidth(bit, bits)
	if bit == 0 && w == intBits {
		a[0] = eval.Int(nv)
		return eval.Value{}, nil
	}
	mask := int64(1)<<w - 1
	v := a[0].Int()&^(mask<<bit) | (nv&mask)<<bit
	a[0] = eval.Int(v)
	return eval.Value{}, nil
}

// bitList returns an iterator over the bits from position from (count of
// them at most), least significant first, as booleans (Rhai's BitRange).
func bitList(c *eval.Call, v, from, count int64) (eval.Value, error) {
	bit, err := bitIndex(c, from)
	if err != nil {
		return eval.Value{}, err
	}
	var w uint
	if count > 0 {
		w = fieldWidth(bit, count)
	}
	return eval.NewIter(&eval.Iter{Start: func() func() (eval.Value, bool) {
		i := uint(0)
		return func() (eval.Value, bool) {
			if i >= w {
				return eval.Value{}, false
			}
			b := v>>(bit+i)&1 != 0
			i++
			return eval.Bool(b), true
		}
	}}), nil
}
