// Package run is thingsim's load engine. It takes messages from a feed and delivers them, as fast
// as they are answered (closed loop) or at a fixed rate whatever the endpoint does (open loop),
// measures their latency honestly in each mode, and counts their outcomes per worker in tallies
// merged for reports; its latency histograms have constant memory. The commands turn its results
// into text or JSON; the engine prints nothing.
package run

import (
	"context"
	"errors"
	"io"
	"math"
	"sort"
	"sync"
	"time"
)

// Feed yields a run's messages in order. Next returns io.EOF after the last one; any other error
// ends the run and is returned by Run. Unread gives back a message the run took but did not start.
// The engine calls Next from one worker at a time.
type Feed[M any] interface {
	Next() (M, error)
	Unread(M)
}

// Options shape a run.
type Options struct {
	// Concurrency is how many messages may be in flight at once: the number of workers.
	Concurrency int
	// Rate, when positive, sends that many messages a second on a fixed schedule (open loop);
	// zero sends each as soon as a worker is free (closed loop).
	Rate float64
	// Jitter puts each scheduled message at a random point of its slot, as a fleet of devices on
	// their own clocks sends; the times never go back.
	Jitter bool
	// Duration, when positive, stops starting messages after that long.
	Duration time.Duration
	// Grace is how long messages in flight may go on once the run's context ends.
	Grace time.Duration
	// Clock is the engine's time; nil is the real clock.
	Clock Clock
}

// Engine runs messages of type M through Deliver, which returns an R, and hands each result to
// Done.
type Engine[M, R any] struct {
	Options
	Feed Feed[M]
	// Deliver sends one message: all its attempts. Its context ends Grace after the run's.
	Deliver func(ctx context.Context, m M) R
	// Done receives each delivered message's result, with the worker that sent it (0 to
	// Concurrency-1) and its latency: in a closed loop from the moment Deliver started it, so
	// that a message does not count the wait for the one before it; in an open loop from its
	// intended send time, so that a message that waited for a free worker counts the wait and a
	// slow endpoint cannot hide its queueing. Calls come from the workers, concurrently.
	Done func(worker int, m M, r R, latency time.Duration)

	// Waited is set by Run: how many messages of an open loop came due while all Concurrency
	// workers were busy, and started late for want of one (by more than lateness). Their latency
	// counts the wait; the bound, not the endpoint, may be what held them.
	Waited int
}

// lateness is how late a message must start for want of a worker to count as having waited for
// one: more than a scheduler's hiccup.
const lateness = time.Millisecond

// Run delivers the feed's messages until it ends, Duration is over or ctx ends. After ctx ends no
// message starts: those taken from the feed and not started are given back to it (the latest
// first, so that the earliest is the last given back), and those in flight have Grace to finish.
// It returns the feed's error, if reading it failed.
func (e *Engine[M, R]) Run(ctx context.Context) error {
	clock := e.Clock
	if clock == nil {
		clock = Real
	}
	deliverCtx, cancelDeliveries := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelDeliveries()
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(e.Grace, cancelDeliveries)
		context.AfterFunc(deliverCtx, func() { t.Stop() })
	})
	defer stopGrace()

	start := clock.Now()
	var schedule *Schedule
	if e.Rate > 0 {
		schedule = NewSchedule(start, e.Rate, e.Jitter, uint64(start.UnixNano()))
	}
	c := claims[M]{feed: e.Feed, schedule: schedule, start: start, duration: e.Duration, clock: clock}
	var wg sync.WaitGroup
	// In a closed loop every worker starts at once: Concurrency is what is in flight. In an open
	// loop Concurrency is a bound: the workers start few, and one more whenever the last one free
	// starts a delivery, so that one always waits for the next message's time. What is in flight
	// then follows rate × latency, instead of opening Concurrency connections to an endpoint that
	// needs few. A worker lets itself go when two others are free. New workers start slowly: at
	// most maxStarting at a time, each counting until its first delivery ends or slowStart has
	// passed, so that a burst of late messages cannot open hundreds of connections at once, each
	// with a TLS handshake, on an endpoint already behind; but as many at once as the endpoint's
	// answer time calls for at the rate (startAllowance), so that an endpoint that answers slowly
	// but surely is measured at the rate from its first seconds, not at the ramp's. The answer
	// time is the least of the recent ones: an endpoint that stalls now and then answers fast
	// between the stalls, and opening connections for a stall would cost more than the stall.
	limit := max(e.Concurrency, 1)
	var mu sync.Mutex
	running, free, starting := 0, 0, 0
	var service serviceFloor // the deliveries' time, in an open loop
	waited := 0
	var ids []int // the numbers of workers that ended, for the next to start
	var startWorker func()
	worker := func(w int, started func()) {
		defer wg.Done()
		defer func() { mu.Lock(); free--; running--; ids = append(ids, w); mu.Unlock() }()
		defer started()
		sleeper := clock.Sleeper()
		defer sleeper.Stop()
		for ctx.Err() == nil {
			cl, ok := c.next()
			if !ok {
				return
			}
			if schedule != nil && clock.Now().Sub(cl.intended) > lateness {
				// No worker was free at its time: counted when the bound kept another from starting.
				mu.Lock()
				if running == limit {
					waited++
				}
				mu.Unlock()
			}
			if schedule != nil && !sleeper.Until(ctx, cl.intended) || ctx.Err() != nil {
				// After the run's end no message starts; those in flight finish within Grace.
				c.giveBack(cl)
				return
			}
			if schedule != nil {
				// Only an open loop counts its free workers: a closed loop's are all busy.
				mu.Lock()
				free--
				last := free == 0
				mu.Unlock()
				if last {
					startWorker()
				}
			}
			begin := clock.Now()
			r := e.Deliver(deliverCtx, cl.m)
			end := clock.Now()
			started()
			latency := end.Sub(begin)
			if schedule != nil {
				latency = end.Sub(cl.intended)
			}
			e.Done(w, cl.m, r, latency)
			if schedule != nil {
				mu.Lock()
				free++
				service.observe(end.Sub(begin), end)
				surplus := free > 2 && running > openLoopStart
				mu.Unlock()
				if surplus {
					return
				}
			}
		}
	}
	// startWorker starts a worker; slowly is for the ones an open loop adds as it goes.
	add := func(slowly bool) {
		mu.Lock()
		defer mu.Unlock()
		if running == limit || slowly && (starting >= startAllowance(e.Rate, service.floor(), running, starting) || running == 0) {
			return // (no worker running: the run is over)
		}
		w := running
		if n := len(ids); n > 0 {
			w, ids = ids[n-1], ids[:n-1]
		}
		started := func() {}
		if slowly {
			starting++
			var once sync.Once
			// When a slot frees and no worker is free, one more starts: the one the last to start
			// a delivery could not.
			done := func() {
				once.Do(func() {
					mu.Lock()
					starting--
					more := free == 0
					mu.Unlock()
					if more {
						startWorker()
					}
				})
			}
			t := time.AfterFunc(slowStart, done)
			started = func() { t.Stop(); done() }
		}
		wg.Add(1)
		go worker(w, started)
		running++
		free++
	}
	startWorker = func() { add(true) }
	initial := limit
	if schedule != nil {
		initial = OpenLoopWorkers(e.Rate, limit)
	}
	for range initial {
		add(false)
	}
	wg.Wait()
	e.Waited = waited
	sort.Slice(c.unsent, func(a, b int) bool { return c.unsent[a].k > c.unsent[b].k })
	for _, cl := range c.unsent {
		e.Feed.Unread(cl.m)
	}
	return c.err
}

// OpenLoopWorkers is how many workers an open loop of rate a second starts with, limit at most:
// enough for answers of startLatency at the rate, and at least openLoopStart.
func OpenLoopWorkers(rate float64, limit int) int {
	return min(limit, max(openLoopStart, int(rate*startLatency.Seconds())))
}

// serviceFloor is the least time of the recent deliveries: of those that ended in the current
// serviceWindow of the clock and in the one before, so one to two windows' worth. A window is far
// longer than an endpoint's (or a machine's) stall, so that a stall does not raise the floor.
type serviceFloor struct {
	cur, prev time.Duration // the least of the current window and of the one before; 0: none
	since     time.Time     // when the current window began
}

const serviceWindow = time.Second

func (s *serviceFloor) observe(d time.Duration, at time.Time) {
	switch {
	case s.since.IsZero():
		s.cur, s.since = d, at
	case at.Sub(s.since) >= serviceWindow:
		s.prev, s.cur, s.since = s.cur, d, at
	case d < s.cur:
		s.cur = d
	}
}

// floor returns the least recent delivery time, 0 before the first.
func (s *serviceFloor) floor() time.Duration {
	if s.prev == 0 {
		return s.cur
	}
	return min(s.cur, s.prev)
}

// startAllowance is how many workers an open loop of rate a second may have starting at once,
// with running workers (starting of them) and deliveries that take at least service: maxStarting,
// or as many more as answers of that time call for at the rate, with a quarter to spare, but no
// more than three for each that has started already, so that the workers at most quadruple while
// the new ones start (as TCP's slow start grows by rounds): a sender whose own machine is what
// slows every answer does not open a burst of connections it cannot serve.
func startAllowance(rate float64, service time.Duration, running, starting int) int {
	want := int(math.Ceil(rate * service.Seconds() * 1.25))
	return max(maxStarting, min(want-running, 3*(running-starting)))
}

// An open loop starts enough workers for answers of startLatency at the rate (openLoopStart at
// least), and adds others at most maxStarting at a time (more when the answers' time calls for
// them: startAllowance), each counting as starting until its first delivery ends or slowStart has
// passed.
const (
	openLoopStart = 4
	startLatency  = 2 * time.Millisecond
	maxStarting   = 4
	slowStart     = 100 * time.Millisecond
)

// claim is a message a worker took from the feed: the k-th of the run, meant to leave at intended.
type claim[M any] struct {
	m        M
	k        int64
	intended time.Time
}

// claims hands out the feed's messages to the workers, in order, with their intended times.
type claims[M any] struct {
	mu       sync.Mutex
	feed     Feed[M]
	schedule *Schedule
	start    time.Time
	duration time.Duration
	clock    Clock
	k        int64
	done     bool
	err      error
	unsent   []claim[M]
}

// next takes the next message, or says there is none: the feed ended or failed, or the run's
// duration is over.
func (c *claims[M]) next() (claim[M], bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return claim[M]{}, false
	}
	intended := c.clock.Now()
	if c.schedule != nil {
		intended = c.schedule.At(c.k)
	}
	if c.duration > 0 && intended.Sub(c.start) >= c.duration {
		c.done = true
		return claim[M]{}, false
	}
	m, err := c.feed.Next()
	if err != nil {
		c.done = true
		if !errors.Is(err, io.EOF) {
			c.err = err
		}
		return claim[M]{}, false
	}
	cl := claim[M]{m: m, k: c.k, intended: intended}
	c.k++
	return cl, true
}

// giveBack keeps a message that was taken but not started, for the feed.
func (c *claims[M]) giveBack(cl claim[M]) {
	c.mu.Lock()
	c.unsent = append(c.unsent, cl)
	c.mu.Unlock()
}
