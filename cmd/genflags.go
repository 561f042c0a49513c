package cmd

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/thingsim/thingsim/senmlgen"
)

// generatorFlags are the flags that shape generated packs, shared by gen and send.
type generatorFlags struct {
	devices  int
	seed     uint64
	now      string
	layout   string
	numbers  string
	jvm      int
	profile  string
	interval time.Duration
	device   string
	measures []string
	backlog  time.Duration // set by send --burst: the packs start this long before --now
}

func (g *generatorFlags) register(fs *pflag.FlagSet) {
	fs.Var(newCountValue(&g.devices, 1), "devices", "number of devices; packs go to them in turn")
	fs.Uint64Var(&g.seed, "seed", 1, "random seed: the same seed and --now give the same packs")
	fs.StringVar(&g.now, "now", "", "time of the first pack: Unix seconds or RFC 3339 (default the current time)")
	enumFlag(fs, &g.layout, "layout", "", "legacy", []string{"legacy", "merged"}, "pack layout: legacy (bn/bt record of their own) or merged")
	enumFlag(fs, &g.numbers, "numbers", "", "java", []string{"java", "plain"}, "number format: java (1.58565075E9, as the platform) or plain")
	fs.IntVar(&g.jvm, "jvm", 21, jvmUsage)
	fs.StringVar(&g.profile, "profile", "measurements", "records: "+strings.Join(senmlgen.ProfileNames(), ", "))
	fs.DurationVar(&g.interval, "interval", senmlgen.DefaultInterval, "each device's reporting interval")
	fs.StringVar(&g.device, "device", "", "base name of one exact pack built from --measure (urn:dev:DEVEUI:0000000000000000:)")
	fs.StringArrayVar(&g.measures, "measure", nil, "a record of the exact pack: NAME=VALUE[:UNIT] (repeatable)")
}

// jvmUsage describes --jvm, which gen, send, demo and audit share.
const jvmUsage = "the platform's Java feature release, which decides how Java numbers are written: 21 (Double.toString of JDK 19 and later) or 17 (of JDK 18 and older, where 1.0E23 is 9.999999999999999E22)"

// javaNumbers reads --jvm.
func javaNumbers(jvm int) (senmlgen.NumberStyle, error) {
	style, err := senmlgen.JavaNumbersOf(jvm)
	if err != nil {
		return style, usageErrorf("--jvm: %v", err)
	}
	return style, nil
}

// packSource yields the bodies to send or print, one per call.
type packSource interface {
	// Next appends the next body to dst and returns it with the device's base name.
	Next(dst []byte) ([]byte, string)
}

// source builds the generator the flags describe, or the one exact pack of --device/--measure.
func (g *generatorFlags) source() (packSource, error) {
	layout, err := senmlgen.ParseLayout(g.layout)
	if err != nil {
		return nil, usageErrorf("--layout: %v", err)
	}
	numbers, err := senmlgen.ParseNumberStyle(g.numbers)
	if err != nil {
		return nil, usageErrorf("--numbers: %v", err)
	}
	java, err := javaNumbers(g.jvm)
	if err != nil {
		return nil, err
	}
	if numbers == senmlgen.JavaNumbers {
		numbers = java
	}
	profile, err := senmlgen.ParseProfile(g.profile)
	if err != nil {
		return nil, usageErrorf("--profile: %v", err)
	}
	now, err := parseNow(g.now)
	if err != nil {
		return nil, err
	}
	now = now.Add(-g.backlog)
	if g.devices < 1 || g.devices > senmlgen.MaxDevices {
		return nil, usageErrorf("--devices: must be 1 to %d, not %d", senmlgen.MaxDevices, g.devices)
	}
	if g.interval <= 0 {
		return nil, usageErrorf("--interval: must be positive, not %v", g.interval)
	}
	gen, err := senmlgen.New(senmlgen.Config{Profile: profile, Layout: layout, Numbers: numbers, Devices: g.devices,
		Seed: g.seed, Now: now, Interval: g.interval})
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	if g.device == "" && len(g.measures) == 0 {
		return generated{gen}, nil
	}
	if len(g.measures) == 0 {
		return nil, usageErrorf("--device builds one exact pack: give its records with --measure NAME=VALUE[:UNIT]")
	}
	records := make([]senmlgen.Record, len(g.measures))
	for i, m := range g.measures {
		if records[i], err = senmlgen.ParseMeasure(m); err != nil {
			return nil, usageErrorf("--measure: %v", err)
		}
	}
	bn := g.device
	if bn == "" {
		bn = gen.BaseName(0)
	}
	body, err := senmlgen.ExactPack(bn, now, layout, records).Encode(senmlgen.Format{Numbers: numbers, Order: senmlgen.DocOrder})
	if err != nil {
		return nil, usageErrorf("--measure: %v", err)
	}
	return exact{body: body, device: bn}, nil
}

type generated struct{ g *senmlgen.Generator }

// Skip passes over the next pack: a shard's run skips the other shards' devices.
func (s generated) Skip() { s.g.Skip() }

func (s generated) Next(dst []byte) ([]byte, string) {
	pack := s.g.Next()
	dst, _ = pack.Append(dst, s.g.Format()) // generated values are finite
	return dst, pack[0].BaseName
}

type exact struct {
	body   []byte
	device string
}

func (s exact) Next(dst []byte) ([]byte, string) { return append(dst, s.body...), s.device }

// maxUnixSeconds is 9999-12-31T23:59:59Z, the last time RFC 3339 can write.
const maxUnixSeconds = 253402300799

// parseNow reads --now: Unix seconds (fractions allowed) or RFC 3339; empty is the current time.
func parseNow(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil {
		if !(x >= 0 && x <= maxUnixSeconds) {
			return time.Time{}, usageErrorf("--now: %s is not between 0 and %d (the year 9999) in Unix seconds", s, int64(maxUnixSeconds))
		}
		sec, frac := math.Modf(x)
		return time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, usageErrorf("--now: %q is neither Unix seconds (1585650750) nor RFC 3339 (2020-03-31T10:32:30Z)", s)
	}
	return t, nil
}

// countValue is a whole number that reads 1000, 1_000 or 1e6: a count of messages, devices,
// workers or bytes. Its range is checked where it is used.
type countValue[T int | int64] struct{ n *T }

func newCountValue[T int | int64](p *T, def T) *countValue[T] {
	*p = def
	return &countValue[T]{p}
}

func (c *countValue[T]) String() string { return strconv.FormatInt(int64(*c.n), 10) }
func (c *countValue[T]) Type() string   { return "count" }

func (c *countValue[T]) Set(s string) error {
	clean := strings.ReplaceAll(s, "_", "")
	if n, err := strconv.ParseInt(clean, 10, 64); err == nil {
		if n < 0 {
			return fmt.Errorf("%q is negative", s)
		}
		*c.n = T(n)
		return nil
	}
	x, err := strconv.ParseFloat(clean, 64)
	if err != nil || x != math.Trunc(x) || x < 0 {
		return fmt.Errorf("%q is not a whole number (such as 100, 1_000 or 1e6)", s)
	}
	if x > math.MaxInt64/2 {
		return fmt.Errorf("%q is too large", s)
	}
	*c.n = T(x)
	return nil
}
