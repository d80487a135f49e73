package stdlib

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/picloud/picloud/guest/eval"
)

// Blobs (byte arrays), after Rhai's packages/blob_basic.rs. A stored value
// keeps only its low 8 bits. Reading past the end gives 0, as in Rhai.

func registerBlobs(l lib) {
	l.fn("blob", "", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.NewBlob(nil), nil
	})
	l.fn("blob", "i", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return newBlobOf(c, a[0].Int(), 0)
	})
	l.fn("blob", "ii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return newBlobOf(c, a[0].Int(), a[1].Int())
	})
	l.fn("to_array", "B", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		b := a[0].Blob().B
		if err := newArray(c, len(b)); err != nil {
			return eval.Value{}, err
		}
		out := make([]eval.Value, len(b))
		for i, x := range b {
			out[i] = eval.Int(int64(x))
		}
		return eval.NewArray(out), nil
	})
	l.fn("as_string", "B", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return str(c, utf8Lossy(a[0].Blob().B))
	})
	l.method("len", "B", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Int(int64(len(a[0].Blob().B))), nil
	})
	l.method("is_empty", "B", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(len(a[0].Blob().B) == 0), nil
	})
	l.fn("contains", "Bi", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		b := a[0].Blob().B
		return eval.Bool(slices.Contains(b, byte(a[1].Int()))), scan(c, len(b))
	})
	l.fn("get", "Bi", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		b := a[0].Blob().B
		i, _ := offsetLen(len(b), a[1].Int(), 0)
		if i >= len(b) {
			return eval.Int(0), nil
		}
		return eval.Int(int64(b[i])), nil
	})
	l.fn("set", "Bii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		b := a[0].Blob().B
		i, _ := offsetLen(len(b), a[1].Int(), 0)
		if i < len(b) {
			b[i] = byte(a[2].Int())
		}
		return eval.Value{}, nil
	})
	for _, name := range []string{"push", "append", "+="} {
		l.fn(name, "Bi", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			return blobAppend(c, a[0].Blob(), []byte{byte(a[1].Int())})
		})
	}
	for _, name := range []string{"append", "+="} {
		l.fn(name, "BB", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			return blobAppend(c, a[0].Blob(), a[1].Blob().B)
		})
		l.fn(name, "Bs", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			return blobAppend(c, a[0].Blob(), []byte(a[1].Str()))
		})
		l.fn(name, "Bc", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			return blobAppend(c, a[0].Blob(), []byte(string(a[1].Char())))
		})
	}
	l.fn("insert", "Bii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		b := a[0].Blob()
		if err := growBlob(c, len(b.B)+1, 1); err != nil {
			return eval.Value{}, err
		}
		i, _ := offsetLen(len(b.B), a[1].Int(), 0)
		if err := scan(c, len(b.B)-i); err != nil {
			return eval.Value{}, err
		}
		b.B = slices.Insert(b.B, i, byte(a[2].Int()))
		return eval.Value{}, nil
	})
	l.fn("pad", "Bii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		b, n := a[0].Blob(), a[1].Int()
		if n <= int64(len(b.B)) {
			return eval.Value{}, nil
		}
		if n > maxAlloc {
			return eval.Value{}, tooLarge(c, "Size of BLOB")
		}
		add := int(n) - len(b.B)
		if err := growBlob(c, int(n), add); err != nil {
			return eval.Value{}, err
		}
		x := byte(a[2].Int())
		b.B = slices.Grow(b.B, add)
		for ; add > 0; add-- {
			b.B = append(b.B, x)
		}
		return eval.Value{}, nil
	})
	l.fn("pop", "B", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		b := a[0].Blob()
		if len(b.B) == 0 {
			return eval.Int(0), nil
		}
		x := b.B[len(b.B)-1]
		b.B = b.B[:len(b.B)-1]
		return eval.Int(int64(x)), nil
	})
	l.fn("shift", "B", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return blobRemoveAt(c, a[0].Blob(), 0)
	})
	l.fn("remove", "Bi", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		b := a[0].Blob()
		i, ok := index(len(b.B), a[1].Int())
		if !ok {
			return eval.Int(0), nil
		}
		return blobRemoveAt(c, b, i)
	})
	l.fn("clear", "B", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		a[0].Blob().B = nil
		return eval.Value{}, nil
	})
	l.fn("truncate", "Bi", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		b, n := a[0].Blob(), a[1].Int()
		if n < int64(len(b.B)) {
			b.B = b.B[:max(n, 0)]
		}
		return eval.Value{}, nil
	})
	l.fn("chop", "Bi", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		b, n := a[0].Blob(), a[1].Int()
		if n < int64(len(b.B)) {
			keep := int(max(n, 0))
			if err := scan(c, keep); err != nil {
				return eval.Value{}, err
			}
			b.B = slices.Clone(b.B[len(b.B)-keep:])
		}
		return eval.Value{}, nil
	})
	l.fn("reverse", "B", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		b := a[0].Blob()
		slices.Reverse(b.B)
		return eval.Value{}, scan(c, len(b.B))
	})
	l.fn("splice", "BiiB", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return blobSplice(c, a[0].Blob(), a[1].Int(), a[2].Int(), a[3].Blob().B)
	})
	l.fn("splice", "BrB", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		start, n := span(a[1].Range())
		return blobSplice(c, a[0].Blob(), start, n, a[2].Blob().B)
	})
	l.fn("extract", "Bii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return blobExtract(c, a[0].Blob(), a[1].Int(), a[2].Int())
	})
	l.fn("extract", "Bi", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return blobExtract(c, a[0].Blob(), a[1].Int(), maxInt)
	})
	l.fn("extract", "Br", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		start, n := span(a[1].Range())
		return blobExtract(c, a[0].Blob(), start, n)
	})
	l.fn("split", "Bi", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		b := a[0].Blob()
		if len(b.B) == 0 {
			return eval.NewBlob(nil), nil
		}
		from, _ := offsetLen(len(b.B), a[1].Int(), maxInt)
		tail, err := blobOf(c, b.B[from:])
		if err == nil {
			b.B = b.B[:from]
		}
		return tail, err
	})
	l.fn("drain", "Bii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return blobDrain(c, a[0].Blob(), a[1].Int(), a[2].Int())
	})
	l.fn("drain", "Br", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		start, n := span(a[1].Range())
		return blobDrain(c, a[0].Blob(), start, n)
	})
	l.fn("retain", "Bii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return blobRetain(c, a[0].Blob(), a[1].Int(), a[2].Int())
	})
	l.fn("retain", "Br", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		start, n := span(a[1].Range())
		return blobRetain(c, a[0].Blob(), start, n)
	})

	// Numbers and text in and out of the bytes.
	for _, le := range []bool{true, false} {
		order := "be"
		if le {
			order = "le"
		}
		l.fn("parse_"+order+"_int", "Bii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			return eval.Int(int64(readBytes(a[0].Blob().B, a[1].Int(), a[2].Int(), le))), nil
		})
		l.fn("parse_"+order+"_int", "Br", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			start, n := span(a[1].Range())
			return eval.Int(int64(readBytes(a[0].Blob().B, start, n, le))), nil
		})
		l.fn("parse_"+order+"_float", "Bii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			return eval.Float(math.Float64frombits(readBytes(a[0].Blob().B, a[1].Int(), a[2].Int(), le))), nil
		})
		l.fn("parse_"+order+"_float", "Br", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			start, n := span(a[1].Range())
			return eval.Float(math.Float64frombits(readBytes(a[0].Blob().B, start, n, le))), nil
		})
		l.fn("write_"+order, "Biii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			writeBytes(a[0].Blob().B, a[1].Int(), a[2].Int(), uint64(a[3].Int()), le)
			return eval.Value{}, nil
		})
		l.fn("write_"+order, "Bri", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			start, n := span(a[1].Range())
			writeBytes(a[0].Blob().B, start, n, uint64(a[2].Int()), le)
			return eval.Value{}, nil
		})
		l.fn("write_"+order, "Biif", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			writeBytes(a[0].Blob().B, a[1].Int(), a[2].Int(), math.Float64bits(a[3].Float()), le)
			return eval.Value{}, nil
		})
		l.fn("write_"+order, "Brf", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			start, n := span(a[1].Range())
			writeBytes(a[0].Blob().B, start, n, math.Float64bits(a[2].Float()), le)
			return eval.Value{}, nil
		})
	}
	for _, ascii := range []bool{false, true} {
		name := "write_utf8"
		if ascii {
			name = "write_ascii"
		}
		l.fn(name, "Biis", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			writeString(a[0].Blob().B, a[1].Int(), a[2].Int(), a[3].Str(), ascii)
			return eval.Value{}, nil
		})
		l.fn(name, "Brs", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			start, n := span(a[1].Range())
			writeString(a[0].Blob().B, start, n, a[2].Str(), ascii)
			return eval.Value{}, nil
		})
	}
}

// newBlobOf makes a blob of n bytes of value v (n <= 0: empty).
func newBlobOf(c *eval.Call, n, v int64) (eval.Value, error) {
	if n <= 0 {
		return eval.NewBlob(nil), nil
	}
	if n > maxAlloc {
		return eval.Value{}, tooLarge(c, "Size of BLOB")
	}
	if err := growBlob(c, int(n), int(n)); err != nil {
		return eval.Value{}, err
	}
	b := make([]byte, n)
	if x := byte(v); x != 0 {
		for i := range b {
			b[i] = x
		}
	}
	return eval.NewBlob(b), nil
}

// blobOf returns a new blob holding a copy of b.
func blobOf(c *eval.Call, b []byte) (eval.Value, error) {
	if err := growBlob(c, len(b), len(b)); err != nil {
		return eval.Value{}, err
	}
	return eval.NewBlob(slices.Clone(b)), nil
}

func blobAppend(c *eval.Call, b *eval.Blob, more []byte) (eval.Value, error) {
	if err := growBlob(c, len(b.B)+len(more), len(more)); err != nil {
		return eval.Value{}, err
	}
	b.B = append(b.B, more...)
	return eval.Value{}, nil
}

func blobRemoveAt(c *eval.Call, b *eval.Blob, i int) (eval.Value, error) {
	if i >= len(b.B) {
		return eval.Int(0), nil
	}
	if err := scan(c, len(b.B)-i); err != nil {
		return eval.Value{}, err
	}
	x := b.B[i]
	b.B = slices.Delete(b.B, i, i+1)
	return eval.Int(int64(x)), nil
}

// blobSplice replaces count bytes from start with repl. Unlike arrays, Rhai
// appends repl at the end when the span is empty (count <= 0 or a start
// past the end).
func blobSplice(c *eval.Call, b *eval.Blob, start, count int64, repl []byte) (eval.Value, error) {
	if len(b.B) == 0 {
		v, err := blobOf(c, repl)
		if err == nil {
			b.B = v.Blob().B
		}
		return eval.Value{}, err
	}
	from, n := offsetLen(len(b.B), start, count)
	size := len(b.B) - n + len(repl)
	if err := growBlob(c, size, size); err != nil {
		return eval.Value{}, err
	}
	if n == 0 {
		b.B = append(b.B, repl...)
	} else {
		b.B = slices.Replace(b.B, from, from+n, repl...)
	}
	return eval.Value{}, nil
}

func blobExtract(c *eval.Call, b *eval.Blob, start, count int64) (eval.Value, error) {
	if len(b.B) == 0 || count <= 0 {
		return eval.NewBlob(nil), nil
	}
	from, n := offsetLen(len(b.B), start, count)
	return blobOf(c, b.B[from:from+n])
}

func blobDrain(c *eval.Call, b *eval.Blob, start, count int64) (eval.Value, error) {
	if len(b.B) == 0 || count <= 0 {
		return eval.NewBlob(nil), nil
	}
	from, n := offsetLen(len(b.B), start, count)
	out, err := blobOf(c, b.B[from:from+n])
	if err == nil {
		b.B = slices.Delete(b.B, from, from+n)
	}
	return out, err
}

// blobRetain keeps count bytes from start and returns the others. When the
// span is empty (start past the end), Rhai takes every byte.
func blobRetain(c *eval.Call, b *eval.Blob, start, count int64) (eval.Value, error) {
	if len(b.B) == 0 || count <= 0 {
		return eval.NewBlob(nil), nil
	}
	from, n := offsetLen(len(b.B), start, count)
	if n == 0 {
		all := b.B
		b.B = nil
		return eval.NewBlob(all), nil
	}
	removed := make([]byte, 0, len(b.B)-n)
	removed = append(removed, b.B[:from]...)
	removed = append(removed, b.B[from+n:]...)
	out, err := blobOf(c, removed)
	if err == nil {
		b.B = slices.Clone(b.B[from : from+n])
	}
	return out, err
}

// readBytes reads up to 8 bytes from start (fewer are zero-padded on the
// high-address side, more are ignored) as a little- or big-endian number.
func readBytes(b []byte, start, count int64, le bool) uint64 {
	if len(b) == 0 || count <= 0 {
		return 0
	}
	from, n := offsetLen(len(b), start, count)
	var buf [8]byte
	copy(buf[:], b[from:from+min(n, 8)])
	if le {
		return binary.LittleEndian.Uint64(buf[:])
	}
	return binary.BigEndian.Uint64(buf[:])
}

// writeBytes writes the first count (at most 8) bytes of the little- or
// big-endian encoding of v from start, within the blob.
func writeBytes(b []byte, start, count int64, v uint64, le bool) {
	if len(b) == 0 || count <= 0 {
		return
	}
	from, n := offsetLen(len(b), start, count)
	var buf [8]byte
	if le {
		binary.LittleEndian.PutUint64(buf[:], v)
	} else {
		binary.BigEndian.PutUint64(buf[:], v)
	}
	copy(b[from:from+min(n, 8)], buf[:])
}

// writeString writes the UTF-8 bytes of s from start, within count bytes
// and the blob; write_ascii writes only s's ASCII characters.
func writeString(b []byte, start, count int64, s string, ascii bool) {
	if count <= 0 || len(b) == 0 || s == "" {
		return
	}
	from, n := offsetLen(len(b), start, count)
	n = min(n, len(s))
	if !ascii {
		copy(b[from:from+n], s)
		return
	}
	i := 0
	for _, r := range s {
		if i == n {
			break
		}
		if r < 0x80 {
			b[from+i] = byte(r)
			i++
		}
	}
}
