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
	f, err := os.Open("../testdata/javadouble.tsv")
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
			t.Fatalf("line %d: no tab: %q", line, text)
		}
		bits, err := strconv.ParseUint(bitsHex, 16, 64)
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		n++
		x := math.Float64frombits(bits)
		if got := string(AppendJavaDouble(nil, x)); got != want {
			failed++
			if failed <= 20 {
				t.Errorf("line %d: bits %s (%g): got %s, want %s", line, bitsHex, x, got, want)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 3000 {
		t.Fatalf("read only %d vectors", n)
	}
	if failed > 0 {
		t.Errorf("%d of %d vectors failed", failed, n)
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
		s := string(AppendJavaDouble(nil, x))
		y, err := strconv.ParseFloat(s, 64)
		if err != nil || y != x {
			t.Fatalf("%v written as %s reads back as %v (%v)", x, s, y, err)
		}
	})
}

func BenchmarkAppendJavaDouble(b *testing.B) {
	buf := make([]byte, 0, 32)
	for i := 0; b.Loop(); i++ {
		buf = AppendJavaDouble(buf[:0], 1585650750+float64(i%1000)/1000)
	}
}
