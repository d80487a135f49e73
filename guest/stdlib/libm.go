package stdlib

import (
	"math"
	"math/big"
)

// Correctly rounded elementary functions.
//
// Rust's f64 methods call the C library's libm (glibc on Linux), whose exp,
// log, sin, cos, tan, atan, asin, acos, atan2 and hypot return the
// correctly rounded result in all but extremely rare cases. Go's math package is
// accurate to about one unit in the last place instead, and differs from
// glibc in the last digit for a quarter of ordinary inputs (math.Sin(2) is
// 0.9092974268256816, glibc's sin(2) 0.9092974268256817), which scripts
// would see whenever they print a result. So these functions compute in
// double-double arithmetic (about 106 bits) and round once at the end.

// dd is an unevaluated sum hi + lo of two floats with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

// The float64 conversions below keep the compiler from fusing a multiply
// and an add, which would break the error-free transformations.

func twoSum(a, b float64) (float64, float64) {
	s := a + b
	bb := s - a
	return s, (a - (s - bb)) + (b - bb)
}

func quickTwoSum(a, b float64) (float64, float64) {
	s := a + b
	return s, b - (s - a)
}

// split splits a into two halves of 26 bits (Dekker); |a| < 2^995.
func split(a float64) (float64, float64) {
	t := float64(134217729 * a)
	hi := t - (t - a)
	return hi, a - hi
}

// twoProd returns p = fl(a*b) and the exact error a*b - p.
func twoProd(a, b float64) (float64, float64) {
	p := float64(a * b)
	ah, al := split(a)
	bh, bl := split(b)
	return p, ((float64(ah*bh) - p) + float64(ah*bl) + float64(al*bh)) + float64(al*bl)
}

func ddAdd(a, b dd) dd {
	s, e := twoSum(a.hi, b.hi)
	t, f := twoSum(a.lo, b.lo)
	e += t
	s, e = quickTwoSum(s, e)
	e += f
	s, e = quickTwoSum(s, e)
	return dd{s, e}
}

func ddAddF(a dd, b float64) dd {
	s, e := twoSum(a.hi, b)
	e += a.lo
	s, e = quickTwoSum(s, e)
	return dd{s, e}
}

func ddNeg(a dd) dd { return dd{-a.hi, -a.lo} }

func ddSub(a, b dd) dd { return ddAdd(a, ddNeg(b)) }

func ddMul(a, b dd) dd {
	p, e := twoProd(a.hi, b.hi)
	e += float64(a.hi*b.lo) + float64(a.lo*b.hi)
	p, e = quickTwoSum(p, e)
	return dd{p, e}
}

func ddMulF(a dd, b float64) dd {
	p, e := twoProd(a.hi, b)
	e += float64(a.lo * b)
	p, e = quickTwoSum(p, e)
	return dd{p, e}
}

func ddDiv(a, b dd) dd {
	q1 := a.hi / b.hi
	r := ddSub(a, ddMulF(b, q1))
	q2 := r.hi / b.hi
	r = ddSub(r, ddMulF(b, q2))
	q3 := r.hi / b.hi
	s, e := quickTwoSum(q1, q2)
	return ddAddF(dd{s, e}, q3)
}

// ddSqrt is Karp's square root: one Newton step from the float root.
func ddSqrt(a dd) dd {
	if a.hi <= 0 {
		return dd{math.Sqrt(a.hi), 0}
	}
	x := 1 / math.Sqrt(a.hi)
	ax := a.hi * x
	p, e := twoProd(ax, ax)
	d := ddSub(a, dd{p, e})
	return ddAddF(dd{ax, 0}, d.hi*(x*0.5))
}

// ddLdexp scales a by 2^k.
func ddLdexp(a dd, k int) dd { return dd{math.Ldexp(a.hi, k), math.Ldexp(a.lo, k)} }

// round returns the float nearest to a.
func (a dd) round() float64 {
	s, _ := quickTwoSum(a.hi, a.lo)
	return s
}

// Constants: 1/n! for the Taylor series, ln 2, pi/2 in three parts for the
// argument reduction of sin and cos, and pi to 1400 bits for huge arguments.
var (
	invFact   [32]dd
	invOdd    [4]dd // 1, 1/3, 1/5, 1/7
	sinTab    [52]dd
	cosTab    [52]dd
	ln2       dd
	halfPi    dd
	halfPi3   [3]float64
	piBig     *big.Float
	twoOverPi = 2 / math.Pi
)

const piHex = "0x3.243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e" +
	"6c89452821e638d01377be5466cf34e90c6cc0ac29b7c97c50dd3f84d5b5b547" +
	"09179216d5d98979fb1bd1310ba698dfb5ac2ffd72dbd01adfb7b8e1afed6a26" +
	"7e96ba7c9045f12c7f9924a19947b3916cf70801f2e2858efc16636920d87157" +
	"4e69a458fea3f4933d7e0d95748f728eb658718bcd5882154aee7b54a41dc25a" +
	"59b59c30d5392af26013c5d1b023286085p0"

func init() {
	invFact[0] = dd{1, 0}
	for n := 1; n < len(invFact); n++ {
		invFact[n] = ddDiv(invFact[n-1], dd{float64(n), 0})
	}
	for i := range invOdd {
		invOdd[i] = ddDiv(dd{1, 0}, dd{float64(2*i + 1), 0})
	}
	for i := range sinTab {
		sinTab[i], cosTab[i] = taylorSinCos(dd{float64(i) / 64, 0})
	}
	piBig, _, _ = big.ParseFloat(piHex, 0, 1400, big.ToNearestEven)
	h := new(big.Float).SetPrec(1400).Quo(piBig, big.NewFloat(2))
	rest := new(big.Float).SetPrec(1400).Set(h)
	for i := range halfPi3 {
		halfPi3[i], _ = rest.Float64()
		rest.Sub(rest, big.NewFloat(halfPi3[i]))
	}
	halfPi = dd{halfPi3[0], halfPi3[1]}
	// ln 2 as a double-double (its well-known value).
	ln2 = dd{6.931471805599452862e-01, 2.319046813846299558e-17}
}

// expm1Small is e^r - 1 for |r| <= 2^-11: r + r^2/2 in double-double and
// the rest of the Taylor series, below 2^-37 of the result, in floats.
func expm1Small(r dd) dd {
	x := r.hi
	tail := x * x * x * (1.0/6 + x*(1.0/24+x*(1.0/120+x*(1.0/720+x*(1.0/5040)))))
	return ddAddF(ddAdd(r, ddMulF(ddMul(r, r), 0.5)), tail)
}

// expParts returns p and k with e^x = (1 + p) * 2^k, for finite x.
func expParts(x dd) (dd, int) {
	k := math.Round(x.hi / ln2.hi)
	p, e := twoProd(-k, ln2.hi)
	r := ddAdd(x, dd{p, e})
	r = ddAdd(r, ddMulF(dd{ln2.lo, 0}, -k))
	const halvings = 10
	r = dd{r.hi / (1 << halvings), r.lo / (1 << halvings)}
	q := expm1Small(r)
	for i := 0; i < halvings; i++ {
		// (1 + q)^2 = 1 + (2q + q^2)
		q = ddAdd(dd{2 * q.hi, 2 * q.lo}, ddMul(q, q))
	}
	return q, int(k)
}

// expDD returns e^x as a double-double (x in the finite range of exp).
func expDD(x dd) dd {
	q, k := expParts(x)
	return ddLdexp(ddAddF(q, 1), k)
}

func crExp(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return x
	case x > 709.8:
		return math.Inf(1)
	case x < -745.2:
		return 0
	case math.Abs(x) < 0x1p-54:
		return 1 + x
	}
	q, k := expParts(dd{x, 0})
	y := ddAddF(q, 1)
	if k < -1021 {
		// A subnormal result: round once, at the final scale.
		return math.Ldexp(y.hi, k) + math.Ldexp(y.lo, k)
	}
	return math.Ldexp(y.round(), k)
}

// lnSeries returns ln(1 + f) for |f| <= 0.42 as 2 atanh(f / (2 + f)),
// whose series converges fast and loses nothing near 0: t + t^3/3 + ...
// with t <= 0.18, its first terms in double-double, the rest (below 2^-19
// of the result) in floats.
func lnSeries(f dd) dd {
	t := ddDiv(f, ddAddF(f, 2))
	t2 := ddMul(t, t)
	sum, p := t, t
	for n := 3; n <= 7; n += 2 {
		p = ddMul(p, t2)
		sum = ddAdd(sum, ddMul(p, invOdd[n/2]))
	}
	x2 := t2.hi
	tail := 0.0
	for n := 41; n >= 9; n -= 2 {
		tail = tail*x2 + 1/float64(n)
	}
	p = ddMul(p, t2)
	sum = ddAddF(sum, p.hi*tail)
	return dd{2 * sum.hi, 2 * sum.lo}
}

// logDD returns ln(x) for finite x > 0 (x.hi a normal float) as a
// double-double: x = m * 2^e with m in [sqrt(1/2), sqrt(2)), and
// ln x = ln m + e ln 2.
func logDD(x dd) dd {
	m, e := math.Frexp(x.hi)
	if m < math.Sqrt2/2 {
		e--
	}
	xm := ddLdexp(x, -e)
	r := lnSeries(ddAddF(xm, -1))
	if e == 0 {
		return r
	}
	return ddAdd(r, ddMulF(ln2, float64(e)))
}

func crLog(x float64) float64 {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 1):
		return x
	case x == 0:
		return math.Inf(-1)
	case x < 0:
		return math.NaN()
	case x == 1:
		return 0
	}
	if x < 0x1p-1000 { // subnormal or close: scale up first
		return logDD(ddLdexp(dd{x, 0}, 100)).round() - 100*math.Ln2
	}
	return logDD(dd{x, 0}).round()
}

// reduce returns r and q with x = q*(pi/2) + r, |r| <= about pi/4.
func reduce(x float64) (dd, int) {
	if math.Abs(x) <= math.Pi/4 {
		return dd{x, 0}, 0
	}
	if math.Abs(x) < 0x1p26 {
		k := math.Round(x * twoOverPi)
		r := dd{x, 0}
		for _, p := range halfPi3 {
			a, b := twoProd(-k, p)
			r = ddAdd(r, dd{a, b})
		}
		return r, int(int64(k) & 3)
	}
	// Huge arguments: reduce exactly with a long pi.
	_, exp := math.Frexp(x)
	prec := uint(exp + 256)
	bx := new(big.Float).SetPrec(prec).SetFloat64(x)
	hp := new(big.Float).SetPrec(prec).Quo(piBig, big.NewFloat(2))
	q := new(big.Float).SetPrec(prec).Quo(bx, hp)
	q.Add(q, big.NewFloat(0.5))
	k, _ := q.Int(nil)
	if q.Sign() < 0 && !q.IsInt() {
		k.Sub(k, big.NewInt(1)) // Int truncates toward zero; we want floor
	}
	kf := new(big.Float).SetPrec(prec).SetInt(k)
	rb := new(big.Float).SetPrec(prec).Sub(bx, kf.Mul(kf, hp))
	hi, _ := rb.Float64()
	lo, _ := rb.Sub(rb, big.NewFloat(hi)).Float64()
	return dd{hi, lo}, int(new(big.Int).And(k, big.NewInt(3)).Int64())
}

// taylorSinCos returns sin r and cos r for |r| <= about pi/4 by their
// Taylor series in double-double (slow; used to build the tables).
func taylorSinCos(r dd) (dd, dd) {
	r2 := ddMul(r, r)
	sin, cos := r, dd{1, 0}
	sp, cp := r, dd{1, 0}
	for n := 2; n+1 < len(invFact); n += 2 {
		cp = ddMul(cp, r2)
		sp = ddMul(sp, r2)
		c := ddMul(cp, invFact[n])
		s := ddMul(sp, invFact[n+1])
		if n%4 == 2 {
			c, s = ddNeg(c), ddNeg(s)
		}
		cos = ddAdd(cos, c)
		sin = ddAdd(sin, s)
	}
	return sin, cos
}

// sinCosKernel returns sin r and cos r for |r| <= about pi/4: r = a + t with
// a = i/64 from a table and |t| <= 1/128, whose short series are exact to
// about 2^-85, combined by the angle-sum formulas.
func sinCosKernel(r dd) (dd, dd) {
	neg := r.hi < 0
	if neg {
		r = ddNeg(r)
	}
	i := int(math.Round(r.hi * 64))
	if i >= len(sinTab) {
		i = len(sinTab) - 1
	}
	t := ddAddF(r, -float64(i)/64)
	t2 := ddMul(t, t)
	x2 := t2.hi
	st := ddAdd(t, ddMul(ddMul(t2, t), dd{-invFact[3].hi, -invFact[3].lo}))
	st = ddAddF(st, t.hi*x2*x2*(1.0/120-x2*(1.0/5040-x2*(1.0/362880))))
	ct := ddAddF(dd{-0.5 * t2.hi, -0.5 * t2.lo}, 1)
	ct = ddAddF(ct, x2*x2*(1.0/24-x2*(1.0/720-x2*(1.0/40320))))
	sin := ddAdd(ddMul(sinTab[i], ct), ddMul(cosTab[i], st))
	cos := ddSub(ddMul(cosTab[i], ct), ddMul(sinTab[i], st))
	if neg {
		sin = ddNeg(sin)
	}
	return sin, cos
}

// sinCosDD returns sin x and cos x as double-doubles.
func sinCosDD(x float64) (dd, dd) {
	r, q := reduce(x)
	s, c := sinCosKernel(r)
	switch q {
	case 1:
		return c, ddNeg(s)
	case 2:
		return ddNeg(s), ddNeg(c)
	case 3:
		return ddNeg(c), s
	}
	return s, c
}

func crSin(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return math.NaN()
	}
	if math.Abs(x) < 0x1p-26 {
		return x
	}
	s, _ := sinCosDD(x)
	return s.round()
}

func crCos(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return math.NaN()
	}
	if math.Abs(x) < 0x1p-27 {
		return 1
	}
	_, c := sinCosDD(x)
	return c.round()
}

func crTan(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return math.NaN()
	}
	if math.Abs(x) < 0x1p-27 {
		return x
	}
	s, c := sinCosDD(x)
	return ddDiv(s, c).round()
}

// atan2DD returns atan2(y, x) for finite y, x not both zero, by a Newton
// step from Go's atan2 (as the QD library does).
func atan2DD(y, x dd) dd {
	z := math.Atan2(y.hi, x.hi)
	r := ddSqrt(ddAdd(ddMul(x, x), ddMul(y, y)))
	xx, yy := ddDiv(x, r), ddDiv(y, r)
	s, c := sinCosDD(z)
	if math.Abs(xx.hi) > math.Abs(yy.hi) {
		return ddAddF(ddDiv(ddSub(yy, s), c), z)
	}
	return ddAddF(ddNeg(ddDiv(ddSub(xx, c), s)), z)
}

func crAtan2(y, x float64) float64 {
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) || x == 0 || y == 0 {
		return math.Atan2(y, x) // exact special values
	}
	// Scale both to avoid overflow and underflow in x^2 + y^2.
	_, e := math.Frexp(math.Max(math.Abs(x), math.Abs(y)))
	return atan2DD(dd{math.Ldexp(y, -e), 0}, dd{math.Ldexp(x, -e), 0}).round()
}

func crAtan(x float64) float64 {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0) || x == 0:
		return math.Atan(x)
	case math.Abs(x) < 0x1p-27:
		return x
	case math.Abs(x) > 0x1p60:
		return math.Copysign(math.Pi/2, x)
	}
	return crAtan2(x, 1)
}

// oneMinusSq returns 1 - x^2 as a double-double, exactly.
func oneMinusSq(x float64) dd {
	p, e := twoProd(x, x)
	return ddSub(dd{1, 0}, dd{p, e})
}

func crAsin(x float64) float64 {
	switch {
	case math.IsNaN(x) || math.Abs(x) > 1:
		return math.NaN()
	case math.Abs(x) == 1:
		return math.Copysign(math.Pi/2, x)
	case math.Abs(x) < 0x1p-26:
		return x
	}
	return atan2DD(dd{x, 0}, ddSqrt(oneMinusSq(x))).round()
}

func crAcos(x float64) float64 {
	switch {
	case math.IsNaN(x) || math.Abs(x) > 1:
		return math.NaN()
	case x == 1:
		return 0
	case x == -1:
		return math.Pi
	}
	return atan2DD(ddSqrt(oneMinusSq(x)), dd{x, 0}).round()
}

// crHypot is sqrt(x^2 + y^2) without overflow or underflow.
func crHypot(x, y float64) float64 {
	switch {
	case math.IsInf(x, 0) || math.IsInf(y, 0):
		return math.Inf(1)
	case math.IsNaN(x) || math.IsNaN(y):
		return math.NaN()
	}
	x, y = math.Abs(x), math.Abs(y)
	if x == 0 || y == 0 {
		return x + y
	}
	_, e := math.Frexp(math.Max(x, y))
	xs, ys := math.Ldexp(x, -e), math.Ldexp(y, -e)
	px, ex := twoProd(xs, xs)
	py, ey := twoProd(ys, ys)
	r := ddSqrt(ddAdd(dd{px, ex}, dd{py, ey}))
	if e > 1000 || e < -1000 {
		return math.Ldexp(r.round(), e)
	}
	return ddLdexp(r, e).round()
}

// The inverse hyperbolic functions are Rust's own formulas (std's f64),
// over the C library's log1p, log and hypot.

func rustAsinh(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	ax := math.Abs(x)
	ix := 1 / ax
	return math.Copysign(glibcLog1p(ax+ax/(crHypot(1, ix)+ix)), x)
}

func rustAcosh(x float64) float64 {
	if x < 1 || math.IsNaN(x) {
		return math.NaN()
	}
	return crLog(x + math.Sqrt(x-1)*math.Sqrt(x+1))
}

func rustAtanh(x float64) float64 {
	return 0.5 * glibcLog1p((2*x)/(1-x))
}
