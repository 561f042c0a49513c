package senmlgen

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/thingsim/thingsim/internal/jvmtest"
)

// TestJacksonWritesTheSameBytes builds the trees of many packs in Java and requires thingsim's
// bytes to equal what Jackson's writeValueAsBytes writes for them: every profile in both layouts,
// strings with non-ASCII, control and non-BMP characters, and random doubles. It needs a JDK and
// Debian's Jackson, which .ci/run installs.
//
// Java's Double.toString changed in JDK 19: on an older JVM thingsim writes in JDK 17's style
// (--jvm 17), on a newer one in JDK 19's.
func TestJacksonWritesTheSameBytes(t *testing.T) {
	java := startJackson(t)
	version := java([]byte("V\n"))[0]
	style := JavaNumbers
	if major(version) < 19 {
		style = Java17Numbers
	}
	var packs [][]byte
	for _, name := range ProfileNames() {
		for _, l := range []Layout{Legacy, Merged} {
			g, _ := New(Config{Profile: Profile(name), Layout: l, Numbers: style, Devices: 3, Seed: 11, Now: time.Unix(1767323045, 0)})
			for i := 0; i < 25; i++ {
				packs = append(packs, g.AppendNext(nil))
			}
		}
	}
	strs := []string{"café über ñ 日本", "quote \" backslash \\ slash /", "\x00\x01\x08\t\n\x0b\x0c\r\x1f\x7f", "\u2028\u2029\ufeff\uffff",
		"ok 👍", "𝄞 clef, 🌡 thermometer", "mixed é\t👍\"", ""}
	for _, s := range strs {
		body, err := ExactPack("urn:dev:DEVEUI:0000000000000000:", time.Unix(1585650750, 0), Legacy, []Record{
			{Name: "label", Kind: StringValue, Text: s}, {Name: "t", Unit: s, Kind: NumberValue, Number: 1}, {Name: s + "x", Kind: BoolValue, Bool: true},
		}).Encode(Format{Numbers: style, Order: CaptureOrder})
		if err != nil {
			t.Fatal(err)
		}
		packs = append(packs, body)
	}
	doubles := append(vectorDoubles(t), randomDoubles(rand.New(rand.NewPCG(1, 2)), 3000)...)
	for _, x := range doubles {
		body, _ := ExactPack("urn:dev:DEVEUI:0000000000000000:", time.Unix(1585650750, 0), Merged,
			[]Record{{Name: "x", Kind: NumberValue, Number: x}}).Encode(Format{Numbers: style, Order: CaptureOrder})
		packs = append(packs, body)
	}

	var in bytes.Buffer
	for _, x := range doubles {
		fmt.Fprintf(&in, "D %x\n", math.Float64bits(x))
	}
	for _, p := range packs {
		in.WriteString("P " + describe(t, p) + "\n")
	}
	out := java(in.Bytes())
	var differ []string
	for i, x := range doubles {
		if ours, theirs := string(AppendNumber(nil, x, style)), out[i]; ours != theirs {
			differ = append(differ, ours+" (JVM: "+theirs+")")
		}
	}
	if len(differ) > 0 {
		t.Errorf("Java %s writes %d of %d doubles otherwise than the %s style: %s", version, len(differ), len(doubles), style, strings.Join(differ[:min(5, len(differ))], ", "))
	}
	for i, p := range packs {
		want, err := hex.DecodeString(out[len(doubles)+i])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p, want) {
			t.Errorf("pack %d:\n thingsim %s\n  Jackson %s", i, p, want)
		}
	}
	t.Logf("Java %s with Jackson, %s style: %d packs compared, %d doubles", version, style, len(packs), len(doubles))
}

// startJackson compiles JacksonWriter and returns a function that runs it on its input lines.
func startJackson(t *testing.T) func(in []byte) []string {
	t.Helper()
	cp := jvmtest.Compile(t, filepath.Join("testdata", "jackson", "JacksonWriter.java"))
	return func(in []byte) []string {
		cmd := exec.Command("java", "-cp", cp, "JacksonWriter")
		cmd.Stdin = bytes.NewReader(in)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("java: %v", err)
		}
		var lines []string
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if want := bytes.Count(in, []byte("\n")); len(lines) != want {
			t.Fatalf("java answered %d lines to %d", len(lines), want)
		}
		return lines
	}
}

// describe writes a pack's tree in JacksonWriter's line format, from the pack's own bytes: members
// in order, strings as hex of their UTF-8, numbers as the bits of the double they read as.
func describe(t *testing.T, body []byte) string {
	var pack []json.RawMessage
	if err := json.Unmarshal(body, &pack); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	var records []string
	for _, raw := range pack {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		dec.Token()
		var members []string
		for dec.More() {
			key, _ := dec.Token()
			v, _ := dec.Token()
			switch v := v.(type) {
			case string:
				members = append(members, fmt.Sprintf("%s:s:%x", key, v))
			case json.Number:
				x, _ := strconv.ParseFloat(string(v), 64)
				members = append(members, fmt.Sprintf("%s:d:%x", key, math.Float64bits(x)))
			case bool:
				b := "0"
				if v {
					b = "1"
				}
				members = append(members, fmt.Sprintf("%s:b:%s", key, b))
			}
		}
		records = append(records, strings.Join(members, ","))
	}
	return strings.Join(records, " ")
}

// vectorDoubles reads the doubles of testdata/javadouble.tsv.
func vectorDoubles(t *testing.T) []float64 {
	b, err := os.ReadFile("../testdata/javadouble.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var out []float64
	for _, line := range strings.Split(string(b), "\n") {
		bits, _, ok := strings.Cut(line, "\t")
		if n, err := strconv.ParseUint(bits, 16, 64); ok && err == nil {
			out = append(out, math.Float64frombits(n))
		}
	}
	return out
}

// randomDoubles draws doubles of four kinds: any finite bit pattern, values in the range Java
// writes in plain notation, whole numbers from 2^54 to 2^63 (where JDK 17 writes more digits than
// JDK 19), and short decimals as sensors report them.
func randomDoubles(r *rand.Rand, n int) []float64 {
	var out []float64
	for len(out) < n {
		var x float64
		switch len(out) % 4 {
		case 0:
			x = math.Float64frombits(r.Uint64())
		case 1:
			x = math.Pow(10, r.Float64()*10-3)
		case 2:
			x = math.Ldexp(float64(1<<52|r.Uint64()&(1<<52-1)), 2+r.IntN(9))
		default:
			x, _ = strconv.ParseFloat(strconv.FormatFloat(r.Float64()*2000-1000, 'f', r.IntN(7), 64), 64)
		}
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}

// major reads the feature release of a java.version: "17.0.15" is 17, "1.8.0_392" is 8.
func major(v string) int {
	v = strings.TrimPrefix(v, "1.")
	n, _ := strconv.Atoi(strings.FieldsFunc(v, func(r rune) bool { return r < '0' || r > '9' })[0])
	return n
}
