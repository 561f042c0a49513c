package senmlgen

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var goldenNow = time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)

// TestGolden pins the bytes of every profile in both layouts. Review a changed golden file by eye
// before committing it (go test ./senmlgen -update).
func TestGolden(t *testing.T) {
	for _, name := range ProfileNames() {
		for _, layout := range []Layout{Legacy, Merged} {
			t.Run(name+"-"+layout.String(), func(t *testing.T) {
				g, err := New(Config{Profile: Profile(name), Layout: layout, Devices: 2, Seed: 7, Now: goldenNow})
				if err != nil {
					t.Fatal(err)
				}
				var got []byte
				for range 4 {
					got = g.AppendNext(got)
					got = append(got, '\n')
				}
				path := filepath.Join("testdata", "golden", name+"-"+layout.String()+".jsonl")
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("packs differ from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
				}
			})
		}
	}
}

var (
	devEUIName = regexp.MustCompile(`^urn:dev:DEVEUI:[0-9A-F]{16}:$`)
	imeiName   = regexp.MustCompile(`^urn:dev:IMEI:([0-9]{15}):$`)
	dvnName    = regexp.MustCompile(`^urn:dev:DVNUUID:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}:$`)
)

// TestGeneratedPacks checks what every profile promises for many packs: valid SenML, the identity
// of its kind, one base name per device served in turn, times moving forward in the layout's
// resolution.
func TestGeneratedPacks(t *testing.T) {
	identities := map[IdentityKind]*regexp.Regexp{DevEUI: devEUIName, IMEI: imeiName, DVNUUID: dvnName}
	for _, name := range ProfileNames() {
		for _, layout := range []Layout{Legacy, Merged} {
			t.Run(name+"-"+layout.String(), func(t *testing.T) {
				const devices = 5
				g, err := New(Config{Profile: Profile(name), Layout: layout, Devices: devices, Seed: 1, Now: goldenNow})
				if err != nil {
					t.Fatal(err)
				}
				re := identities[profiles[Profile(name)].identity]
				lastBT := -1.0
				for k := range 200 {
					pack := g.Next()
					body, err := pack.Encode(g.Format())
					if err != nil {
						t.Fatal(err)
					}
					rep := Validate(body)
					if !rep.Valid() {
						t.Fatalf("pack %d %s: %v", k, body, rep.Findings)
					}
					if !re.MatchString(rep.BaseName) {
						t.Fatalf("pack %d: base name %q is not of the profile's kind", k, rep.BaseName)
					}
					if m := imeiName.FindStringSubmatch(rep.BaseName); m != nil && !LuhnValid(m[1]) {
						t.Fatalf("pack %d: IMEI %s fails the Luhn check", k, m[1])
					}
					if want := g.BaseName(k % devices); rep.BaseName != want {
						t.Fatalf("pack %d went to %s, want device %d (%s)", k, rep.BaseName, k%devices, want)
					}
					bt := pack[0].BaseTime
					if layout == Legacy && (len(pack[0].Name) > 0 || bt != float64(int64(bt))) {
						t.Fatalf("pack %d: legacy base record %+v", k, pack[0])
					}
					if layout == Merged && pack[0].Name == "" {
						t.Fatalf("pack %d: merged layout's first record has no measurement", k)
					}
					if bt+1 < lastBT { // merged packs carry up to a second of jitter
						t.Fatalf("pack %d: time went back from %v to %v", k, lastBT, bt)
					}
					lastBT = bt
				}
			})
		}
	}
}

// TestDeterministic: the same seed and clock give the same bytes; another seed other bytes; and a
// device's series does not depend on how many devices there are.
func TestDeterministic(t *testing.T) {
	gen := func(seed uint64, devices, n int) []string {
		g, err := New(Config{Profile: LoRaRawExtended, Seed: seed, Devices: devices, Now: goldenNow})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for range n {
			out = append(out, string(g.AppendNext(nil)))
		}
		return out
	}
	a, b := gen(3, 1, 10), gen(3, 1, 10)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatal("same seed, different packs")
	}
	if c := gen(4, 1, 10); c[0] == a[0] {
		t.Fatal("another seed, same first pack")
	}
	// Device 0 of a two-device fleet gets packs 0, 2, 4: the same values as a one-device fleet,
	// at other times.
	two := gen(3, 2, 4)
	stripTime := regexp.MustCompile(`"bt":[0-9.E]+`)
	if stripTime.ReplaceAllString(two[2], "") != stripTime.ReplaceAllString(a[1], "") {
		t.Fatalf("device 0's second pack depends on the fleet size:\n%s\n%s", two[2], a[1])
	}
}

// TestWalkBounded: values stay within their bounds and move by at most a step.
func TestWalkBounded(t *testing.T) {
	g, _ := New(Config{Seed: 9, Now: goldenNow})
	d := g.device(0)
	w := d.walks[0]
	prev := w.value
	for range 10000 {
		w.advance(d.rand)
		if w.value < w.min || w.value > w.max {
			t.Fatalf("walk left [%v, %v]: %v", w.min, w.max, w.value)
		}
		if diff := w.value - prev; diff > w.step+1e-9 || diff < -w.step-1e-9 {
			t.Fatalf("walk jumped by %v, step is %v", diff, w.step)
		}
		prev = w.value
	}
}

func TestDocExampleByteForByte(t *testing.T) {
	m, err := ParseMeasure("temperature=21.22:Celsius")
	if err != nil {
		t.Fatal(err)
	}
	body, err := ExactPack("urn:dev:DEVEUI:0000000000000000:", time.Unix(1585650750, 0), Legacy, []Record{m}).Encode(Format{Order: DocOrder})
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../testdata/payloads/doc-example.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, bytes.TrimRight(want, "\n")) {
		t.Fatalf("got  %s\nwant %s", body, want)
	}
}

func TestParseMeasure(t *testing.T) {
	for in, want := range map[string]string{
		"temperature=21.22:Celsius": `{"n":"temperature","v":21.22,"u":"Celsius"}`,
		"count=3":                   `{"n":"count","v":3.0}`,
		"big=1e7:m":                 `{"n":"big","v":1.0E7,"u":"m"}`,
		"active=true":               `{"n":"active","vb":true}`,
		"modus=Active":              `{"n":"modus","vs":"Active"}`,
		`code="42"`:                 `{"n":"code","vs":"42"}`,
		`clock="12:30":h`:           `{"n":"clock","vs":"12:30","u":"h"}`,
		"clock=12:30:":              `{"n":"clock","vs":"12:30"}`,
		`quote=say "hi"`:            `{"n":"quote","vs":"say \"hi\""}`,
	} {
		r, err := ParseMeasure(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		got, _ := Pack{r}.Encode(Format{Order: DocOrder})
		if string(got) != "["+want+"]" {
			t.Errorf("%s: got %s, want [%s]", in, got, want)
		}
	}
	for _, bad := range []string{"temperature", "=3", "x=", "x=:Cel", "x=NaN", "x=Inf", `x="a"b`} {
		if _, err := ParseMeasure(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestAppendStringEscapesAsJackson(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:        `"plain"`,
		`a"b\c`:        `"a\"b\\c"`,
		"tab\tnl\n":    `"tab\tnl\n"`,
		"\x01\x1f\x7f": `"\u0001\u001F` + "\x7f\"",
		"é 🌡 /":        `"é \uD83C\uDF21 /"`,
	} {
		if got := string(AppendString(nil, in)); got != want {
			t.Errorf("%q: got %s, want %s", in, got, want)
		}
	}
}

func TestEncodeRefusesNonFinite(t *testing.T) {
	for _, x := range []float64{posInf(), negInf(), nan()} {
		if _, err := (Pack{{Name: "x", Kind: NumberValue, Number: x}}).Encode(Format{}); err == nil {
			t.Errorf("%v encoded without error", x)
		}
	}
}

func TestNewRejects(t *testing.T) {
	for _, cfg := range []Config{{Profile: "nope"}, {Devices: -1}, {Interval: -time.Second}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
	if _, err := ParseProfile("LORA-GEO"); err != nil {
		t.Errorf("profile names are case-insensitive: %v", err)
	}
	if _, err := ParseLayout("flat"); err == nil || !strings.Contains(err.Error(), "legacy or merged") {
		t.Errorf("bad layout: %v", err)
	}
}

func BenchmarkGenerateEncode(b *testing.B) {
	for _, p := range []Profile{Measurements, LoRaRawExtended} {
		b.Run(string(p), func(b *testing.B) {
			g, _ := New(Config{Profile: p, Devices: 1000, Now: goldenNow})
			buf := make([]byte, 0, 1024)
			for b.Loop() {
				buf = g.AppendNext(buf[:0])
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

func ExampleExactPack() {
	m, _ := ParseMeasure("temperature=21.22:Celsius")
	body, _ := ExactPack("urn:dev:DEVEUI:0000000000000000:", time.Unix(1585650750, 0), Legacy, []Record{m}).Encode(Format{Order: DocOrder})
	fmt.Println(string(body))
	// Output: [{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9},{"n":"temperature","v":21.22,"u":"Celsius"}]
}
