package senmlgen

import (
	"fmt"
	"math"
	"strconv"
)

// NumberStyle says how numbers are written in a pack.
type NumberStyle int

const (
	// JavaNumbers writes numbers as Java's Double.toString does (the platform runs on the JVM):
	// 1.58565075E9, 21.22, 3.0, 1.0E-4. It is the default.
	JavaNumbers NumberStyle = iota
	// PlainNumbers writes Go's shortest form: 1.58565075e+09, 21.22, 3, 0.0001.
	PlainNumbers
	// Java17Numbers writes numbers as JDK 17's Double.toString does, which differs from JDK 19's
	// on a few values: 1.0E23 is 9.999999999999999E22 (see AppendJava17Double).
	Java17Numbers
)

// String returns the style's name.
func (s NumberStyle) String() string {
	switch s {
	case PlainNumbers:
		return "plain"
	case Java17Numbers:
		return "java (JDK 17)"
	}
	return "java"
}

// JavaNumbersOf returns the style of the Java feature release jvm: 21 for Double.toString as JDK 19
// and later write it, 17 for JDK 18 and older (measured on 17).
// JavaReleases are the feature releases JavaNumbersOf knows, the default first: 21 for JDK 19 and
// later, 17 for JDK 18 and earlier.
var JavaReleases = []int{21, 17}

func JavaNumbersOf(jvm int) (NumberStyle, error) {
	switch jvm {
	case 21:
		return JavaNumbers, nil
	case 17:
		return Java17Numbers, nil
	}
	return JavaNumbers, fmt.Errorf("no Java number format for %d (want 17 or 21)", jvm)
}

// AppendNumber appends x in the given style. x must be finite: JSON has no NaN or Infinity.
func AppendNumber(dst []byte, x float64, style NumberStyle) []byte {
	switch style {
	case PlainNumbers:
		return strconv.AppendFloat(dst, x, 'g', -1, 64)
	case Java17Numbers:
		return AppendJava17Double(dst, x)
	}
	return AppendJavaDouble(dst, x)
}

// AppendJavaDouble appends x as Java's Double.toString (JDK 19 and later) writes it: the shortest
// decimal that reads back as x, with at least two significant digits; plain notation with at least
// one fractional digit when 1e-3 <= |x| < 1e7, otherwise d.ddd followed by E and the exponent.
func AppendJavaDouble(dst []byte, x float64) []byte {
	switch {
	case math.IsNaN(x):
		return append(dst, "NaN"...)
	case math.IsInf(x, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(x, -1):
		return append(dst, "-Infinity"...)
	case x == 0:
		if math.Signbit(x) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}

	var buf [32]byte
	// 'e' with -1 precision gives the shortest digits that round-trip: d[.ddd]e±XX.
	sci := strconv.AppendFloat(buf[:0], x, 'e', -1, 64)
	neg := sci[0] == '-'
	if neg {
		sci = sci[1:]
	}
	var dbuf [32]byte
	digits, exp := splitScientific(sci, dbuf[:0])
	if len(digits) == 1 {
		// Java renders at least two digits and, of the two-digit decimals that read back as x, picks
		// the closest: 4.9E-324 where the shortest is 5e-324.
		var buf2 [32]byte
		two := strconv.AppendFloat(buf2[:0], math.Abs(x), 'e', 1, 64)
		if y, err := strconv.ParseFloat(string(two), 64); err == nil && y == math.Abs(x) {
			digits, exp = splitScientific(two, dbuf[:0])
		}
	}
	// Trailing zeros are not significant: "10" at exponent 1 is 1.0E1's digits "1".
	for len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}

	if neg {
		dst = append(dst, '-')
	}
	return appendJavaForm(dst, digits, exp)
}

// appendJavaForm writes digits (d1 d2 ..., no trailing zero, d1 at 10^exp) as Java does: plain
// notation with at least one fractional digit when -3 <= exp < 7, otherwise d.ddd followed by E and
// the exponent.
func appendJavaForm(dst, digits []byte, exp int) []byte {
	if exp >= -3 && exp < 7 {
		return appendPlain(dst, digits, exp)
	}
	dst = append(dst, digits[0], '.')
	if len(digits) > 1 {
		dst = append(dst, digits[1:]...)
	} else {
		dst = append(dst, '0')
	}
	dst = append(dst, 'E')
	return strconv.AppendInt(dst, int64(exp), 10)
}

// splitScientific splits Go's "d.ddde±XX" into the digit string, appended to digits, and the
// decimal exponent of the first digit.
func splitScientific(sci, digits []byte) ([]byte, int) {
	e := len(sci) - 1
	for sci[e] != 'e' {
		e--
	}
	exp := 0
	for _, c := range sci[e+2:] {
		exp = exp*10 + int(c-'0')
	}
	if sci[e+1] == '-' {
		exp = -exp
	}
	for _, c := range sci[:e] {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	return digits, exp
}

// appendPlain writes digits (d1 d2 ... with d1 at 10^exp) in plain notation with at least one
// fractional digit.
func appendPlain(dst, digits []byte, exp int) []byte {
	if exp < 0 {
		dst = append(dst, '0', '.')
		for i := -1; i > exp; i-- {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	intLen := exp + 1
	if len(digits) <= intLen {
		dst = append(dst, digits...)
		for i := len(digits); i < intLen; i++ {
			dst = append(dst, '0')
		}
		return append(dst, '.', '0')
	}
	dst = append(dst, digits[:intLen]...)
	dst = append(dst, '.')
	return append(dst, digits[intLen:]...)
}
