package senmlgen

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/thingsim/thingsim/internal/jvmtest"
)

const java17Table = "../testdata/javadouble17.tsv"

// TestJava17Vectors checks every case of testdata/javadouble17.tsv, written by OpenJDK 17's
// Double.toString (TestJava17AgainstTheJVM -update rewrites it on a JDK 17).
func TestJava17Vectors(t *testing.T) {
	checkVectors(t, java17Table, 4000, AppendJava17Double)
}

// TestJava17AgainstTheJVM writes many doubles of every kind where the two Double.toString differ
// (powers of two, subnormals, whole numbers up to 2^63 and beyond, [2^84, 2^85), neighbours of
// powers of ten, short decimals, any bits) with the installed JVM and requires thingsim's style of
// that JVM to write them alike: AppendJava17Double on JDK 18 and older, AppendJavaDouble on 19 and
// later. .ci/run installs Debian's default JDK.
func TestJava17AgainstTheJVM(t *testing.T) {
	cp := jvmtest.CompileJDK(t, filepath.Join("testdata", "jvm", "DoubleToString.java"))
	doubles := append(tableDoubles(), java17Doubles(rand.New(rand.NewPCG(17, 21)), 120_000)...)
	var in bytes.Buffer
	for _, x := range doubles {
		fmt.Fprintf(&in, "%016x\n", math.Float64bits(x))
	}
	cmd := exec.Command("java", "-cp", cp, "DoubleToString")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("java: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(doubles)+1 {
		t.Fatalf("java answered %d lines to %d doubles", len(lines)-1, len(doubles))
	}
	featureText, version, _ := strings.Cut(lines[0], " ")
	feature, _ := strconv.Atoi(featureText)
	appendDouble, name := AppendJava17Double, "AppendJava17Double"
	if feature >= 19 {
		appendDouble, name = AppendJavaDouble, "AppendJavaDouble"
	}
	failed := 0
	for i, x := range doubles {
		_, theirs, _ := strings.Cut(lines[1+i], "\t")
		if ours := string(appendDouble(nil, x)); ours != theirs {
			failed++
			if failed <= 20 {
				t.Errorf("%016x: %s writes %s, Java %d %s", math.Float64bits(x), name, ours, feature, theirs)
			}
		}
	}
	if failed > 0 {
		t.Fatalf("%s: %d of %d doubles differ from Java %d", name, failed, len(doubles), feature)
	}
	t.Logf("Java %d and %s agree on %d doubles", feature, name, len(doubles))

	if !*update {
		return
	}
	if feature != 17 {
		t.Fatalf("%s holds JDK 17's strings: run -update with a JDK 17, not %d", java17Table, feature)
	}
	var table bytes.Buffer
	table.WriteString("# bits (hex of the IEEE 754 double)\tJava Double.toString (JDK " + version + ", written by TestJava17AgainstTheJVM -update)\n")
	for _, line := range lines[1 : 1+len(tableDoubles())] {
		table.WriteString(line + "\n")
	}
	if err := os.WriteFile(java17Table, table.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tableDoubles are the doubles of testdata/javadouble17.tsv: those of the JDK 25 table, every
// power of two of every fifth exponent and every subnormal one, and a fixed draw of the kinds of
// java17Doubles.
func tableDoubles() []float64 {
	var out []float64
	b, err := os.ReadFile("../testdata/javadouble.tsv")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			bits, _, ok := strings.Cut(line, "\t")
			if n, err := strconv.ParseUint(bits, 16, 64); ok && err == nil {
				out = append(out, math.Float64frombits(n))
			}
		}
	}
	for e := -1074; e <= 1023; e++ {
		if e < -1022 || e%5 == 0 {
			out = append(out, math.Ldexp(1, e))
		}
	}
	return append(out, java17Doubles(rand.New(rand.NewPCG(1, 17)), 1600)...)
}

// java17Doubles draws n doubles, in turn of each kind where JDK 17 and 19 may write them otherwise.
func java17Doubles(r *rand.Rand, n int) []float64 {
	significand := func() uint64 { return 1<<52 | r.Uint64()&(1<<52-1) }
	kinds := []func() float64{
		func() float64 { return math.Float64frombits(r.Uint64() & (1<<63 - 1) % 0x7ff0000000000000) },
		func() float64 { return math.Ldexp(1, r.IntN(2098)-1074) },
		func() float64 { return math.Float64frombits(r.Uint64() >> (12 + r.IntN(52))) }, // subnormal
		func() float64 { return float64(r.Uint64() >> (1 + r.IntN(12))) },               // whole, 2^52 to 2^63
		func() float64 { return math.Ldexp(float64(significand()), r.IntN(120)) },       // whole, to 2^172
		func() float64 { return math.Ldexp(float64(significand()), 84-52) },             // [2^84, 2^85)
		func() float64 {
			p := math.Pow10(r.IntN(600) - 300)
			return math.Float64frombits(math.Float64bits(p) + uint64(r.IntN(5)) - 2)
		},
		func() float64 {
			x, _ := strconv.ParseFloat(strconv.FormatFloat(r.Float64()*2e6-1e6, 'f', r.IntN(7), 64), 64)
			return x
		},
		func() float64 { return -float64(r.Int64N(2e12)) / 1000 }, // times in milliseconds
	}
	out := make([]float64, 0, n)
	for i := 0; len(out) < n; i++ {
		if x := kinds[i%len(kinds)](); !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}

// TestJava17RoundTrips requires what AppendJava17Double writes to read back as the same double,
// for every kind of java17Doubles: JDK 17 writes more digits than needed, never too few.
func TestJava17RoundTrips(t *testing.T) {
	for _, x := range java17Doubles(rand.New(rand.NewPCG(3, 4)), 50_000) {
		s := string(AppendJava17Double(nil, x))
		if y, err := strconv.ParseFloat(s, 64); err != nil || y != x {
			t.Fatalf("%016x written as %s reads back as %v (%v)", math.Float64bits(x), s, y, err)
		}
	}
}

// TestJava17Differences pins the cases the two styles write otherwise, and one each they share.
func TestJava17Differences(t *testing.T) {
	cases := []struct {
		bits       uint64
		jdk17, jdk string
	}{
		{math.Float64bits(1e23), "9.999999999999999E22", "1.0E23"},                             // an end of the interval
		{math.Float64bits(2e-3), "0.002", "0.002"},                                             // plain notation, the same
		{math.Float64bits(math.Ldexp(1, 69)), "5.9029581035870565E20", "5.902958103587057E20"}, // a power of two
		{1, "4.9E-324", "4.9E-324"},                                                            // the smallest subnormal
		{2, "1.0E-323", "9.9E-324"},                                                            // at least two digits, on 19
		{math.Float64bits(1 << 62), "4.6116860184273879E18", "4.611686018427388E18"},           // whole
		{math.Float64bits(-1585650750.5), "-1.5856507505E9", "-1.5856507505E9"},
	}
	for _, c := range cases {
		x := math.Float64frombits(c.bits)
		if got := string(AppendNumber(nil, x, Java17Numbers)); got != c.jdk17 {
			t.Errorf("%016x on JDK 17: got %s, want %s", c.bits, got, c.jdk17)
		}
		if got := string(AppendNumber(nil, x, JavaNumbers)); got != c.jdk {
			t.Errorf("%016x on JDK 19+: got %s, want %s", c.bits, got, c.jdk)
		}
	}
}

func BenchmarkAppendJava17Double(b *testing.B) {
	buf := make([]byte, 0, 32)
	for i := 0; b.Loop(); i++ {
		buf = AppendJava17Double(buf[:0], 1585650750+float64(i%1000)/1000)
	}
}
