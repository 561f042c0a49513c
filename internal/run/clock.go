package run

import (
	"context"
	"time"
)

// Clock is the engine's time: the real one, or a virtual one in tests.
type Clock interface {
	Now() time.Time
	// Sleeper returns a waiter for one worker, which it reuses for every wait.
	Sleeper() Sleeper
}

// Sleeper waits until a time.
type Sleeper interface {
	// Until waits until t, or until ctx ends; it reports whether t came first.
	Until(ctx context.Context, t time.Time) bool
	// Stop releases the sleeper.
	Stop()
}

// Real is the clock of the machine.
var Real Clock = realClock{}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleeper() Sleeper {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &realSleeper{t}
}

// realSleeper waits on one timer, reset for each wait: a worker of an open loop waits once a
// message, and a timer made for each would cost an allocation each.
type realSleeper struct{ t *time.Timer }

func (s *realSleeper) Until(ctx context.Context, at time.Time) bool {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err() == nil
	}
	s.t.Reset(d)
	select {
	case <-s.t.C:
		return true
	case <-ctx.Done():
		s.t.Stop()
		return false
	}
}

func (s *realSleeper) Stop() { s.t.Stop() }
