package senmlgen

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"
)

// AppendJava17Double appends x as JDK 17's Double.toString writes it. JDK 19 rewrote
// Double.toString (JDK-4511638); before that it wrote some values with more digits than needed, or
// not the closest ones: 1.0E23 is 9.999999999999999E22 on JDK 17, 2.0E-3 is the same on both.
//
// This is not JDK 17's code. It is Steele and White's free-format digit generation with the
// differences from the shortest correctly rounded decimal that were measured against OpenJDK
// 17.0.15 (testdata/javadouble17.tsv and TestJava17AgainstTheJVM hold the evidence):
//
//   - the interval of decimals that read back as x is open: a decimal exactly halfway to the
//     neighbouring double is never written, even when reading it back would round to x;
//   - at a power of two both ends of the interval are a quarter of an ulp away, not only the lower;
//   - a whole number below 2^63 is written with its exact digits, of which the last
//     floor((p-54)·log10 2) are rounded off half up, p being the position of its highest bit;
//   - of two equally close candidates, the one ending in an even digit is written;
//   - in E notation, a subnormal whose decimal exponent JDK 17 estimates right gets at least two
//     digits from the digit loop (4.9E-324, not 5.0E-324);
//   - in [2^84, 2^85), a last digit that would round up stays when the rest is at least 0.947366912
//     of a unit of that digit. The rests there are multiples of 0.000000512; JDK 17 rounds up at
//     0.9473664, the one below, and keeps the digit at every rest measured from 0.947366912 up.
func AppendJava17Double(dst []byte, x float64) []byte {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return AppendJavaDouble(dst, x)
	}
	if x < 0 {
		dst = append(dst, '-')
		x = -x
	}
	var buf [32]byte
	var digits []byte
	var exp int
	b := math.Float64bits(x)
	biased, frac := int(b>>52), b&(1<<52-1)
	switch {
	case x < 1<<63 && x == math.Trunc(x):
		digits, exp = java17Whole(uint64(x), buf[:0])
	case biased == 0 || frac == 0 || x >= 1<<63:
		digits, exp = java17Digits(biased, frac, buf[:0])
	default:
		// A normal number below 2^52 that is neither whole nor a power of two: the ends of its
		// interval have at least 18 significant digits, so no candidate lies on them, and the
		// shortest correctly rounded decimal is JDK 17's.
		sci := strconv.AppendFloat(buf[:0], x, 'e', -1, 64)
		var dbuf [32]byte
		digits, exp = splitScientific(sci, dbuf[:0])
	}
	for len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	return appendJavaForm(dst, digits, exp)
}

// java17Whole gives the digits of a whole number below 2^63 as JDK 17 writes it.
func java17Whole(u uint64, dst []byte) ([]byte, int) {
	digits := strconv.AppendUint(dst, u, 10)
	exp := len(digits) - 1
	drop := 0
	if p := bits.Len64(u) - 1 - 54; p > 0 {
		drop = [...]int{0, 0, 0, 0, 1, 1, 1, 2, 2}[p] // floor(p·log10 2), p <= 8
	}
	if drop == 0 {
		return digits, exp
	}
	up := digits[len(digits)-drop] >= '5'
	digits = digits[:len(digits)-drop]
	if up {
		i := len(digits) - 1
		for ; i >= 0 && digits[i] == '9'; i-- {
			digits[i] = '0'
		}
		if i < 0 {
			// 99…9 rounded up: 1 followed by zeros, one decimal place higher.
			digits[0] = '1'
			exp++
		} else {
			digits[i]++
		}
	}
	return digits, exp
}

var bigTen = big.NewInt(10)

// java17Digits generates the digits of a positive finite double, given its biased exponent and
// fraction bits, and returns them with the decimal exponent of the first digit. It works in exact
// arithmetic: value, margins and scale are integers, the value being R/S.
func java17Digits(biased int, frac uint64, dst []byte) ([]byte, int) {
	f, e := frac, -1074
	if biased > 0 {
		f, e = frac|1<<52, biased-1075
	}
	// x = f·2^e; the interval's ends are half an ulp (2^e/2) away. Everything is scaled by 4 so
	// that a quarter ulp is whole.
	R := new(big.Int).SetUint64(f)
	R.Lsh(R, 2)
	S := big.NewInt(4)
	high := big.NewInt(2)
	if e >= 0 {
		R.Lsh(R, uint(e))
		high.Lsh(high, uint(e))
	} else {
		S.Lsh(S, uint(-e))
	}
	low := new(big.Int).Set(high)
	if f&(f-1) == 0 && (biased > 1 || biased == 0) {
		// A power of two (normal, or subnormal with one bit): a quarter ulp either way.
		low.Rsh(low, 1)
		high.Rsh(high, 1)
	}

	// Scale so that the upper end is at most 1 and ten times it more: the first digit is then the
	// one of 10^(k-1).
	x := math.Ldexp(float64(f), e)
	k := int(math.Floor(math.Log10(x)))
	if biased == 0 {
		// math.Log10 is not exact for subnormals; start from below and let the loops settle it.
		k = -324
	}
	if k >= 0 {
		S.Mul(S, new(big.Int).Exp(bigTen, big.NewInt(int64(k)), nil))
	} else {
		p := new(big.Int).Exp(bigTen, big.NewInt(int64(-k)), nil)
		R.Mul(R, p)
		low.Mul(low, p)
		high.Mul(high, p)
	}
	t := new(big.Int)
	for t.Add(R, high).Cmp(S) > 0 {
		S.Mul(S, bigTen)
		k++
	}
	for t.Mul(t.Add(R, high), bigTen).Cmp(S) <= 0 {
		R.Mul(R, bigTen)
		low.Mul(low, bigTen)
		high.Mul(high, bigTen)
		k--
	}

	// In E notation JDK 17 lets the first digit end the digits only when its estimate of the
	// decimal exponent (David Gay's linear one) was one too high; measured to matter for
	// subnormals only.
	atLeastTwo := false
	if biased == 0 {
		lead := bits.Len64(f) - 1
		m := float64(f) / float64(uint64(1)<<lead)
		est := int(math.Floor((m-1.5)*0.289529654602168 + 0.1760912590558 + float64(lead-1074)*0.301029995663981))
		atLeastTwo = est == java17Exponent(x)
	}

	digits := dst
	U := new(big.Int)
	for {
		R.Mul(R, bigTen)
		low.Mul(low, bigTen)
		high.Mul(high, bigTen)
		U.QuoRem(R, S, R)
		d := byte(U.Int64())
		isLow := R.Cmp(low) < 0
		isHigh := t.Add(R, high).Cmp(S) > 0
		if atLeastTwo && len(digits) == 0 && d != 0 {
			isLow, isHigh = false, false
		}
		if !isLow && !isHigh {
			digits = append(digits, '0'+d)
			continue
		}
		switch {
		case isLow && isHigh:
			c := t.Lsh(R, 1).Cmp(S)
			if c > 0 && biased == 1023+84 && new(big.Int).Mul(R, big.NewInt(1e9)).Cmp(new(big.Int).Mul(S, big.NewInt(947366912))) >= 0 {
				c = -1 // JDK 17 keeps the digit (see above)
			}
			if c > 0 || (c == 0 && d%2 == 1) {
				d++
			}
		case isHigh:
			d++
		}
		digits = append(digits, '0'+d)
		break
	}
	// A digit rounded up to ten carries.
	for i := len(digits) - 1; i > 0 && digits[i] > '9'; i-- {
		digits[i] = '0'
		digits[i-1]++
	}
	if digits[0] == '0' {
		digits = digits[1:]
		k--
	}
	if digits[0] > '9' {
		digits[0] = '1'
		k++
	}
	return digits, k - 1
}

// java17Exponent is the decimal exponent of x's first significant digit.
func java17Exponent(x float64) int {
	var buf [40]byte
	sci := strconv.AppendFloat(buf[:0], x, 'e', 25, 64)
	var dbuf [40]byte
	_, exp := splitScientific(sci, dbuf[:0])
	return exp
}
