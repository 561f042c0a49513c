package run

import (
	"math/rand/v2"
	"time"
)

// Schedule gives the intended send time of each message of an open-loop run: messages leave at
// a fixed rate whatever the endpoint does. With jitter each falls at a random point of its slot,
// as a fleet of devices reporting on their own clocks does, and the times still never go back.
type Schedule struct {
	Start  time.Time
	Rate   float64 // messages per second; must be positive
	Jitter bool
	rand   *rand.Rand
}

// NewSchedule returns a schedule from start; seed draws the jitter.
func NewSchedule(start time.Time, rate float64, jitter bool, seed uint64) *Schedule {
	return &Schedule{Start: start, Rate: rate, Jitter: jitter, rand: rand.New(rand.NewPCG(seed, 0x5eed))}
}

// At returns the intended time of message k (0-based). Calls must come in order of k for the
// jitter to be reproducible.
func (s *Schedule) At(k int64) time.Time {
	slot := float64(k)
	if s.Jitter {
		slot += s.rand.Float64()
	}
	return s.Start.Add(time.Duration(slot / s.Rate * float64(time.Second)))
}

// Count returns how many messages fall within d of the start.
func (s *Schedule) Count(d time.Duration) int64 {
	return int64(d.Seconds() * s.Rate)
}
