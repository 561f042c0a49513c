package senmlgen

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// Layout is one of the two pack layouts the platform sends.
type Layout uint8

const (
	// Legacy puts bn and bt in a first record of their own, times in whole seconds (the
	// documentation's example).
	Legacy Layout = iota
	// Merged puts bn and bt on the first measurement record, times with milliseconds (sent to some
	// projects since December 2022).
	Merged
)

// String returns the layout's flag name.
func (l Layout) String() string {
	if l == Merged {
		return "merged"
	}
	return "legacy"
}

// ParseLayout reads a layout's flag name.
func ParseLayout(s string) (Layout, error) {
	switch strings.ToLower(s) {
	case "legacy":
		return Legacy, nil
	case "merged":
		return Merged, nil
	}
	return Legacy, fmt.Errorf("unknown layout %q (want legacy or merged)", s)
}

// ParseNumberStyle reads a number style's flag name.
func ParseNumberStyle(s string) (NumberStyle, error) {
	switch strings.ToLower(s) {
	case "java":
		return JavaNumbers, nil
	case "plain":
		return PlainNumbers, nil
	}
	return JavaNumbers, fmt.Errorf("unknown number style %q (want java or plain)", s)
}

// MaxDevices is the largest fleet a Generator serves.
const MaxDevices = 1_000_000_000

// DefaultInterval is how often a generated device reports when Config.Interval is zero.
const DefaultInterval = 15 * time.Minute

// Config says what a Generator produces. The zero value generates the measurements profile in the
// legacy layout with Java numbers for one device, seed 0, from the Unix epoch.
type Config struct {
	Profile  Profile       // default Measurements
	Layout   Layout        // default Legacy
	Numbers  NumberStyle   // default JavaNumbers
	Devices  int           // number of devices, served in turn; default 1
	Seed     uint64        // the same seed and Now give the same packs
	Now      time.Time     // time of the first pack
	Interval time.Duration // each device's reporting interval; default DefaultInterval
}

// Generator produces packs for a fleet of devices: pack k goes to device k mod Devices, and the
// devices' reports are spread evenly over the interval, so pack times only move forward. Each
// device's values move as a bounded random walk drawn from its own random source, so a device's
// series depends only on the seed and its index. A Generator is not safe for concurrent use.
type Generator struct {
	cfg     Config
	spec    *profileSpec
	format  Format
	devices []*device
	next    int64
	startMs int64
	stepMs  float64
	pack    Pack
}

// New validates cfg and returns a generator.
func New(cfg Config) (*Generator, error) {
	if cfg.Profile == "" {
		cfg.Profile = Measurements
	}
	spec, ok := profiles[cfg.Profile]
	if !ok {
		return nil, fmt.Errorf("unknown profile %q (want one of %s)", cfg.Profile, strings.Join(ProfileNames(), ", "))
	}
	if cfg.Devices == 0 {
		cfg.Devices = 1
	}
	if cfg.Devices < 0 || cfg.Devices > MaxDevices {
		return nil, fmt.Errorf("devices must be 1 to %d, not %d", MaxDevices, cfg.Devices)
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Interval < 0 {
		return nil, errors.New("interval must be positive")
	}
	return &Generator{
		cfg:     cfg,
		spec:    spec,
		format:  Format{Numbers: cfg.Numbers, Order: CaptureOrder},
		startMs: cfg.Now.UnixMilli(),
		stepMs:  float64(cfg.Interval.Milliseconds()) / float64(cfg.Devices),
	}, nil
}

// Format returns how the generator's packs are written.
func (g *Generator) Format() Format { return g.format }

// Next returns the next pack. The pack is reused by the following call.
func (g *Generator) Next() Pack {
	k := g.next
	g.next++
	d := g.device(int(k % int64(g.cfg.Devices)))
	ms := g.startMs + int64(float64(k)*g.stepMs)
	if g.cfg.Layout == Merged {
		// Merged packs carry milliseconds; spread them as network arrival does.
		ms += int64(d.rand.IntN(1000))
	}
	bt := float64(ms) / 1000
	out := g.pack[:0]
	if g.cfg.Layout == Legacy {
		out = append(out, Record{BaseName: d.baseName, BaseTime: math.Floor(bt), HasBaseTime: true})
	}
	first := len(out)
	out = g.spec.records(d, reading{layout: g.cfg.Layout, ms: ms, numbers: g.cfg.Numbers}, out)
	if g.cfg.Layout == Merged {
		out[first].BaseName, out[first].BaseTime, out[first].HasBaseTime = d.baseName, bt, true
	}
	g.pack = out
	return g.pack
}

// Skip passes over the next pack without making it. The other devices' packs stay as they were:
// each device draws from a source of its own.
func (g *Generator) Skip() { g.next++ }

// AppendNext appends the next pack's encoding to dst.
func (g *Generator) AppendNext(dst []byte) []byte {
	// Generated values are always finite, so encoding cannot fail.
	dst, _ = g.Next().Append(dst, g.format)
	return dst
}

// BaseName returns the base name of device i (0-based), the same one its packs carry.
func (g *Generator) BaseName(i int) string { return g.device(i).baseName }

func (g *Generator) device(i int) *device {
	if i < len(g.devices) && g.devices[i] != nil {
		return g.devices[i]
	}
	if i >= len(g.devices) {
		// Devices are made as packs reach them, so a large fleet costs what it is used for.
		g.devices = append(g.devices, make([]*device, i+1-len(g.devices))...)
	}
	r := rand.New(rand.NewPCG(g.cfg.Seed, uint64(i)))
	d := &device{rand: r, baseName: baseName(g.spec.identity, r)}
	g.spec.setup(d)
	g.devices[i] = d
	return d
}

// device is one generated device's identity and state.
type device struct {
	rand     *rand.Rand
	baseName string
	walks    []walk
	counters []int64
	payload  []byte // raw LoRa payload buffer, reused
	port     float64
}

// walk is a quantity moving as a bounded random walk: each step moves it by up to step either way,
// reflecting at the bounds, and it is written rounded to a number of decimals.
type walk struct {
	value, min, max, step float64
	decimals              int
}

func newWalk(r *rand.Rand, min, max, step float64, decimals int) walk {
	// Start in the middle half of the range, so the first steps are not at a bound.
	span := max - min
	return walk{value: min + span/4 + r.Float64()*span/2, min: min, max: max, step: step, decimals: decimals}
}

// advance moves the walk one step and returns its rounded value.
func (w *walk) advance(r *rand.Rand) float64 {
	w.value += (r.Float64()*2 - 1) * w.step
	if w.value > w.max {
		w.value = 2*w.max - w.value
	}
	if w.value < w.min {
		w.value = 2*w.min - w.value
	}
	return round(w.value, w.decimals)
}

// round rounds x to d decimals such that its shortest decimal form is the rounded decimal.
func round(x float64, d int) float64 {
	p := math.Pow10(d)
	return math.Round(x*p) / p
}
