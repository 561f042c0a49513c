package senmlgen

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestJavaDoubleVectors checks every case of testdata/javadouble.tsv, written by JDK 25's
// Double.toString.
func TestJavaDoubleVectors(t *testing.T) {
	checkVectors(t, "../testdata/javadouble.tsv", 3000, AppendJavaDouble)
}

// checkVectors checks append against every case of a table of IEEE 754 bits (hex) and the string
// a JVM wrote for them, requiring at least least cases.
func checkVectors(t *testing.T, path string, least int, appendDouble func([]byte, float64) []byte) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, failed := 0, 0
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		bitsHex, want, ok := strings.Cut(text, "\t")
		if !ok {
			t.Fatalf("%s:%d: no tab: %q", path, line, text)
		}
		bits, err := strconv.ParseUint(bitsHex, 16, 64)
		if err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		n++
		x := math.Float64frombits(bits)
		if got := string(appendDouble(nil, x)); got != want {
			failed++
			if failed <= 20 {
				t.Errorf("%s:%d: bits %s (%g): got %s, want %s", path, line, bitsHex, x, got, want)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < least {
		t.Fatalf("%s: read only %d vectors", path, n)
	}
	if failed > 0 {
		t.Errorf("%s: %d of %d vectors failed", path, failed, n)
	}
}

func TestPlainNumbers(t *testing.T) {
	for x, want := range map[float64]string{3: "3", 21.22: "21.22", 1585650750: "1.58565075e+09", 0.0001: "0.0001"} {
		if got := string(AppendNumber(nil, x, PlainNumbers)); got != want {
			t.Errorf("plain %v: got %s, want %s", x, got, want)
		}
	}
}

func FuzzJavaDoubleRoundTrips(f *testing.F) {
	f.Add(uint64(0x41d7a0c70f800000))
	f.Add(uint64(1))
	f.Fuzz(func(t *testing.T, bits uint64) {
		x := math.Float64frombits(bits)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		for _, style := range []NumberStyle{JavaNumbers, Java17Numbers} {
			s := string(AppendNumber(nil, x, style))
			y, err := strconv.ParseFloat(s, 64)
			if err != nil || y != x {
				t.Fatalf("%v written in the %s style as %s reads back as %v (%v)", x, style, s, y, err)
			}
		}
	})
}

func BenchmarkAppendJavaDouble(b *testing.B) {
	buf := make([]byte, 0, 32)
	for i := 0; b.Loop(); i++ {
		buf = AppendJavaDouble(buf[:0], 1585650750+float64(i%1000)/1000)
	}
}
