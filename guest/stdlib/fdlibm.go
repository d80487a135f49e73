package stdlib

import "math"

// Ports of the C library functions that glibc computes with fdlibm's
// algorithms rather than correctly rounded (log10, log1p, expm1, sinh,
// cosh, tanh): their results are not always the nearest float, and Rust
// returns glibc's, so these follow glibc's code step by step (from
// sysdeps/ieee754/dbl-64; on x86-64 glibc runs expm1 compiled for FMA, whose
// fused operations are written out with math.FMA). They rely on exp and
// log, which glibc rounds correctly (crExp, crLog).

func highWord(x float64) int32 { return int32(math.Float64bits(x) >> 32) }

func lowWord(x float64) uint32 { return uint32(math.Float64bits(x)) }

func setHighWord(x float64, hi int32) float64 {
	return math.Float64frombits(uint64(uint32(hi))<<32 | uint64(lowWord(x)))
}

// glibcLog10 is e_log10.c.
func glibcLog10(x float64) float64 {
	const (
		two54     = 1.80143985094819840000e+16
		ivln10    = 4.34294481903251816668e-01
		log10_2hi = 3.01029995663611771306e-01
		log10_2lo = 3.69423907715893078616e-13
	)
	hx, lx := highWord(x), lowWord(x)
	k := int32(0)
	if hx < 0x00100000 { // x < 2^-1022
		if (hx&0x7fffffff)|int32(lx) == 0 {
			return math.Inf(-1)
		}
		if hx < 0 {
			return math.NaN()
		}
		k -= 54
		x *= two54
		hx = highWord(x)
	}
	if hx >= 0x7ff00000 {
		return x + x
	}
	k += (hx >> 20) - 1023
	i := int32(uint32(k) >> 31)
	hx = (hx & 0x000fffff) | ((0x3ff - i) << 20)
	y := float64(k + i)
	x = setHighWord(x, hx)
	z := float64(y*log10_2lo) + float64(ivln10*crLog(x))
	return z + float64(y*log10_2hi)
}

// glibcLog1p is s_log1p.c (x86-64 has no FMA variant of it).
func glibcLog1p(x float64) float64 {
	const (
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		lp1   = 6.666666666666735130e-01
		lp2   = 3.999999999940941908e-01
		lp3   = 2.857142874366239149e-01
		lp4   = 2.222219843214978396e-01
		lp5   = 1.818357216161805012e-01
		lp6   = 1.531383769920937332e-01
		lp7   = 1.479819860511658591e-01
	)
	hx := highWord(x)
	ax := hx & 0x7fffffff
	k := int32(1)
	var f, c float64
	var hu int32
	if hx < 0x3FDA827A { // x < 0.41422
		if ax >= 0x3ff00000 { // x <= -1.0
			if x == -1 {
				return math.Inf(-1)
			}
			return math.NaN()
		}
		if ax < 0x3e200000 { // |x| < 2^-29
			if ax < 0x3c900000 { // |x| < 2^-54
				return x
			}
			return x - float64(float64(x*x)*0.5)
		}
		if hx > 0 || hx <= int32(-1076707645) { // 0xbfd2bec3: -0.2929 < x < 0.41422
			k, f, hu = 0, x, 1
		}
	} else if hx >= 0x7ff00000 {
		return x + x
	}
	if k != 0 {
		var u float64
		if hx < 0x43400000 {
			u = 1 + x
			hu = highWord(u)
			k = (hu >> 20) - 1023
			if k > 0 {
				c = 1 - (u - x)
			} else {
				c = x - (u - 1)
			}
			c /= u
		} else {
			u = x
			hu = highWord(u)
			k = (hu >> 20) - 1023
			c = 0
		}
		hu &= 0x000fffff
		if hu < 0x6a09e {
			u = setHighWord(u, hu|0x3ff00000) // normalize u
		} else {
			k++
			u = setHighWord(u, hu|0x3fe00000) // normalize u/2
			hu = (0x00100000 - hu) >> 2
		}
		f = u - 1
	}
	hfsq := float64(float64(0.5*f) * f)
	kf := float64(k)
	if hu == 0 { // |f| < 2^-20
		if f == 0 {
			if k == 0 {
				return 0
			}
			c += float64(kf * ln2Lo)
			return float64(kf*ln2Hi) + c
		}
		r := float64(hfsq * (1 - float64(0.66666666666666666*f)))
		if k == 0 {
			return f - r
		}
		return float64(kf*ln2Hi) - ((r - (float64(kf*ln2Lo) + c)) - f)
	}
	s := f / (2 + f)
	z := float64(s * s)
	r1 := float64(z * lp1)
	z2 := float64(z * z)
	r2 := lp2 + float64(z*lp3)
	z4 := float64(z2 * z2)
	r3 := lp4 + float64(z*lp5)
	z6 := float64(z4 * z2)
	r4 := lp6 + float64(z*lp7)
	r := r1 + float64(z2*r2) + float64(z4*r3) + float64(z6*r4)
	if k == 0 {
		return f - (hfsq - float64(s*(hfsq+r)))
	}
	return float64(kf*ln2Hi) - ((hfsq - (float64(s*(hfsq+r)) + (float64(kf*ln2Lo) + c))) - f)
}

// glibcExpm1 is s_expm1.c as x86-64 glibc runs it, compiled with FMA.
func glibcExpm1(x float64) float64 {
	const (
		huge        = 1.0e+300
		tiny        = 1.0e-300
		oThreshold  = 7.09782712893383973096e+02
		ln2Hi       = 6.93147180369123816490e-01
		ln2Lo       = 1.90821492927058770002e-10
		invln2      = 1.44269504088896338700e+00
		q1, q2, q3  = -3.33333333333331316428e-02, 1.58730158725481460165e-03, -7.93650757867487942473e-05
		q4, q5      = 4.00821782732936239552e-06, -2.01099218183624371326e-07
		one         = 1.0
		signBitMask = -1 << 31
	)
	hx := highWord(x)
	xsb := hx & signBitMask
	hx &= 0x7fffffff
	if hx >= 0x4043687A { // |x| >= 56*ln2
		if hx >= 0x40862E42 { // |x| >= 709.78...
			if hx >= 0x7ff00000 {
				if (hx&0xfffff)|int32(lowWord(x)) != 0 {
					return x + x // NaN
				}
				if xsb == 0 {
					return x
				}
				return -1
			}
			if x > oThreshold {
				return math.Inf(1)
			}
		}
		if xsb != 0 { // x < -56*ln2
			return tiny - one
		}
	}
	var k int32
	var c float64
	if hx > 0x3fd62e42 { // |x| > 0.5 ln2
		var hi, lo float64
		if hx < 0x3FF0A2B2 { // and |x| < 1.5 ln2
			if xsb == 0 {
				hi, lo, k = x-ln2Hi, ln2Lo, 1
			} else {
				hi, lo, k = x+ln2Hi, -ln2Lo, -1
			}
		} else {
			half := 0.5
			if xsb != 0 {
				half = -0.5
			}
			k = int32(math.FMA(invln2, x, half))
			t := float64(k)
			hi = x - float64(t*ln2Hi)
			lo = float64(t * ln2Lo)
		}
		x = hi - lo
		c = (hi - x) - lo
	} else if hx < 0x3c900000 { // |x| < 2^-54
		return x
	}
	hfx := float64(0.5 * x)
	hxs := float64(x * hfx)
	r1 := math.FMA(hxs, q1, one)
	h2 := float64(hxs * hxs)
	r2 := math.FMA(hxs, q3, q2)
	h4 := float64(h2 * h2)
	r3 := math.FMA(hxs, q5, q4)
	r := math.FMA(h4, r3, math.FMA(h2, r2, r1))
	t := math.FMA(-r, hfx, 3)
	e := float64(hxs * ((r - t) / math.FMA(-x, t, 6)))
	if k == 0 {
		return x - math.FMA(x, e, -hxs)
	}
	e = math.FMA(x, e-c, -c)
	e -= hxs
	if k == -1 {
		return math.FMA(0.5, x-e, -0.5)
	}
	if k == 1 {
		if x < -0.25 {
			return -2 * (e - (x + 0.5))
		}
		return math.FMA(2, x-e, one)
	}
	if k <= -2 || k > 56 { // suffice to return exp(x)-1
		y := one - (e - x)
		y = setHighWord(y, highWord(y)+k<<20)
		return y - one
	}
	var y float64
	if k < 20 {
		t := setHighWord(one, 0x3ff00000-(0x00200000>>k)) // 1 - 2^-k
		y = t - (e - x)
		y = setHighWord(y, highWord(y)+k<<20)
	} else {
		t := setHighWord(one, (0x3ff-k)<<20) // 2^-k
		y = x - (e + t)
		y += one
		y = setHighWord(y, highWord(y)+k<<20)
	}
	return y
}

// glibcSinh is e_sinh.c.
func glibcSinh(x float64) float64 {
	const shuge = 1.0e307
	jx := highWord(x)
	ix := jx & 0x7fffffff
	if ix >= 0x7ff00000 { // Inf or NaN
		return x + x
	}
	h := 0.5
	if jx < 0 {
		h = -h
	}
	if ix < 0x40360000 { // |x| < 22
		if ix < 0x3e300000 { // |x| < 2^-28
			return x
		}
		t := glibcExpm1(math.Abs(x))
		if ix < 0x3ff00000 {
			return h * (2*t - float64(t*t)/(t+1))
		}
		return h * (t + t/(t+1))
	}
	if ix < 0x40862e42 { // |x| in [22, log(maxdouble)]
		return h * crExp(math.Abs(x))
	}
	if ix < 0x408633ce || (ix == 0x408633ce && lowWord(x) <= 0x8fb9f87d) {
		w := crExp(0.5 * math.Abs(x))
		t := h * w
		return t * w
	}
	return x * shuge // overflow
}

// glibcCosh is e_cosh.c.
func glibcCosh(x float64) float64 {
	ix := highWord(x) & 0x7fffffff
	if ix < 0x40360000 { // |x| in [0, 22]
		if ix < 0x3fd62e43 { // |x| in [0, 0.5*ln2]
			if ix < 0x3c800000 {
				return 1
			}
			t := glibcExpm1(math.Abs(x))
			w := 1 + t
			return 1 + float64(t*t)/(w+w)
		}
		t := crExp(math.Abs(x))
		return float64(0.5*t) + 0.5/t
	}
	if ix < 0x40862e42 {
		return 0.5 * crExp(math.Abs(x))
	}
	if math.Float64bits(x)&(1<<63-1) <= 0x408633ce8fb9f87d {
		w := crExp(0.5 * math.Abs(x))
		t := 0.5 * w
		return t * w
	}
	if ix >= 0x7ff00000 {
		return x * x
	}
	return math.Inf(1)
}

// glibcTanh is s_tanh.c.
func glibcTanh(x float64) float64 {
	jx := highWord(x)
	ix := jx & 0x7fffffff
	if ix >= 0x7ff00000 {
		if jx >= 0 {
			return 1/x + 1 // tanh(+inf) = 1, tanh(NaN) = NaN
		}
		return 1/x - 1
	}
	var z float64
	if ix < 0x40360000 { // |x| < 22
		if ix|int32(lowWord(x)) == 0 {
			return x // ±0
		}
		if ix < 0x3c800000 { // |x| < 2^-55
			return x * (1 + x)
		}
		if ix >= 0x3ff00000 { // |x| >= 1
			t := glibcExpm1(2 * math.Abs(x))
			z = 1 - 2/(t+2)
		} else {
			t := glibcExpm1(-2 * math.Abs(x))
			z = -t / (t + 2)
		}
	} else {
		z = 1 // |x| >= 22: 1 - tiny
	}
	if jx >= 0 {
		return z
	}
	return -z
}
