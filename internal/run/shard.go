package run

// Shard is the I-th (from 0) of N parts of a run. A fleet of at least N devices is split by
// device (device d of pack k = k mod Devices goes to shard d mod N), so that each device's packs
// all go from one shard, as from one platform node; a smaller one is split by message (k mod N).
// The same seed gives each shard the very packs the whole run would send for its messages, with
// the same message numbers.
type Shard struct {
	I, N    int
	Devices int // of the generated fleet; 0 or 1 for copies of a payload
}

// byDevice reports whether the run is split by device.
func (s Shard) byDevice() bool { return s.Devices >= s.N }

// Has reports whether message k is the shard's.
func (s Shard) Has(k int64) bool {
	if s.N <= 1 {
		return true
	}
	if s.byDevice() {
		return int((k%int64(s.Devices))%int64(s.N)) == s.I
	}
	return int(k%int64(s.N)) == s.I
}

// Count returns how many of the first count messages are the shard's; -1 for a run without end.
func (s Shard) Count(count int64) int64 {
	if count < 0 || s.N <= 1 {
		return count
	}
	if !s.byDevice() {
		if count <= int64(s.I) {
			return 0
		}
		return (count-int64(s.I)-1)/int64(s.N) + 1
	}
	d := int64(s.Devices)
	mine := func(upTo int64) int64 { // devices below upTo that are the shard's
		if upTo <= int64(s.I) {
			return 0
		}
		return (upTo-int64(s.I)-1)/int64(s.N) + 1
	}
	return (count/d)*mine(d) + mine(count%d)
}

// Skipper is a Packs that can pass over the next pack without making it: a generator whose
// devices draw from sources of their own.
type Skipper interface {
	Skip()
}
