package run

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"
	"time"
)

// virtualClock is a clock whose time moves only when a worker waits or a delivery takes time:
// a run of minutes takes microseconds, and with one worker its times are exact.
type virtualClock struct {
	mu  sync.Mutex
	now time.Time
}

func newVirtualClock() *virtualClock { return &virtualClock{now: time.Unix(1_767_323_045, 0)} }

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *virtualClock) Sleeper() Sleeper { return virtualSleeper{c} }

type virtualSleeper struct{ c *virtualClock }

func (s virtualSleeper) Until(ctx context.Context, t time.Time) bool {
	if ctx.Err() != nil {
		return false
	}
	s.c.mu.Lock()
	if t.After(s.c.now) {
		s.c.now = t
	}
	s.c.mu.Unlock()
	return true
}

func (virtualSleeper) Stop() {}

// listFeed yields the numbers 0 to n-1 and keeps what is given back.
type listFeed struct {
	mu     sync.Mutex
	next   int
	n      int
	err    error // returned instead of io.EOF at the end, when set
	unread []int
}

func (f *listFeed) Next() (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.next >= f.n {
		if f.err != nil {
			return 0, f.err
		}
		return 0, io.EOF
	}
	f.next++
	return f.next - 1, nil
}

func (f *listFeed) Unread(m int) {
	f.mu.Lock()
	f.unread = append(f.unread, m)
	f.mu.Unlock()
}

// sent is what Done saw of one message.
type sent struct {
	m       int
	worker  int
	at      time.Duration // when its delivery started, from the run's start
	latency time.Duration
}

// runWith runs an engine over feed whose deliveries take took(m) of virtual time, and returns
// what Done saw in order of the messages.
func runWith(t *testing.T, ctx context.Context, o Options, feed *listFeed, took func(m int) time.Duration) ([]sent, error) {
	t.Helper()
	clock := newVirtualClock()
	o.Clock = clock
	start := clock.Now()
	var mu sync.Mutex
	var got []sent
	e := Engine[int, time.Duration]{
		Options: o,
		Feed:    feed,
		Deliver: func(ctx context.Context, m int) time.Duration {
			at := clock.Now().Sub(start)
			clock.advance(took(m))
			return at
		},
		Done: func(w int, m int, at time.Duration, latency time.Duration) {
			mu.Lock()
			got = append(got, sent{m: m, worker: w, at: at, latency: latency})
			mu.Unlock()
		},
	}
	err := e.Run(ctx)
	slices.SortFunc(got, func(a, b sent) int { return a.m - b.m })
	return got, err
}

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

// TestClosedLoopLatencyIsTheMessagesOwn: one worker, a message that takes 300 ms, then one that
// takes 1 ms: the second's latency is 1 ms, not the wait for the first.
func TestClosedLoopLatencyIsTheMessagesOwn(t *testing.T) {
	got, err := runWith(t, context.Background(), Options{Concurrency: 1}, &listFeed{n: 3}, func(m int) time.Duration {
		return []time.Duration{ms(300), ms(1), ms(2)}[m]
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []sent{{0, 0, 0, ms(300)}, {1, 0, ms(300), ms(1)}, {2, 0, ms(301), ms(2)}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestOpenLoopSchedule: at 100 a second messages leave every 10 ms whatever the endpoint does,
// and a message that waited for the one before counts the wait: latency from its intended time.
func TestOpenLoopSchedule(t *testing.T) {
	got, err := runWith(t, context.Background(), Options{Concurrency: 1, Rate: 100}, &listFeed{n: 4}, func(m int) time.Duration {
		return []time.Duration{ms(1), ms(25), ms(1), ms(1)}[m]
	})
	if err != nil {
		t.Fatal(err)
	}
	// Message 2 was meant for 20 ms and left at 35 ms, when message 1 (10 to 35 ms) was done: 16 ms.
	want := []sent{{0, 0, 0, ms(1)}, {1, 0, ms(10), ms(25)}, {2, 0, ms(35), ms(16)}, {3, 0, ms(36), ms(7)}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestJitterStaysInItsSlot: with jitter each message leaves at a random point of its own slot,
// never before an earlier one.
func TestJitterStaysInItsSlot(t *testing.T) {
	got, err := runWith(t, context.Background(), Options{Concurrency: 1, Rate: 10, Jitter: true}, &listFeed{n: 50}, func(int) time.Duration { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	onSlotStart := 0
	for i, s := range got {
		slot := time.Duration(i) * ms(100)
		if s.at < slot || s.at >= slot+ms(100) {
			t.Fatalf("message %d left at %v, outside its slot from %v", i, s.at, slot)
		}
		if s.at == slot {
			onSlotStart++
		}
	}
	if onSlotStart > 2 {
		t.Errorf("%d of 50 messages left at the start of their slot: no jitter", onSlotStart)
	}
}

// TestDurationBoundsTheRun: a 1 s run at 20 a second sends 20 messages, whatever the feed holds.
func TestDurationBoundsTheRun(t *testing.T) {
	feed := &listFeed{n: 1000}
	got, err := runWith(t, context.Background(), Options{Concurrency: 4, Rate: 20, Duration: time.Second}, feed, func(int) time.Duration { return ms(5) })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 || feed.next != 20 {
		t.Fatalf("%d messages sent, %d taken from the feed; want 20", len(got), feed.next)
	}
	// A closed loop is bounded by the clock: 1 s of 10 ms messages on one worker.
	feed = &listFeed{n: 1000}
	got, _ = runWith(t, context.Background(), Options{Concurrency: 1, Duration: time.Second}, feed, func(int) time.Duration { return ms(10) })
	if len(got) != 100 {
		t.Fatalf("closed loop: %d messages in 1 s of 10 ms each, want 100", len(got))
	}
}

// TestInterruptStartsNothingNewAndGivesBack: the run's end lets the message in flight finish and
// starts no other; the messages taken and not started go back to the feed, the earliest last.
func TestInterruptStartsNothingNewAndGivesBack(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	feed := &listFeed{n: 100}
	var mu sync.Mutex
	interrupted, startedAfter := false, 0
	got, err := runWith(t, ctx, Options{Concurrency: 3, Rate: 1000, Grace: time.Second}, feed, func(m int) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		if interrupted {
			startedAfter++
		}
		if m == 5 {
			cancel()
			interrupted = true
		}
		return ms(1)
	})
	if err != nil {
		t.Fatal(err)
	}
	// At most the two other workers can have been past their last look at the run's end.
	if startedAfter > 2 {
		t.Fatalf("%d messages started after the interrupt at message 5", startedAfter)
	}
	delivered := map[int]bool{}
	for _, s := range got {
		delivered[s.m] = true
	}
	if !delivered[5] {
		t.Fatal("the message in flight at the interrupt was not let finish")
	}
	// Every message taken is either delivered or given back, and given back latest first.
	for m := 0; m < feed.next; m++ {
		if !delivered[m] && !slices.Contains(feed.unread, m) {
			t.Errorf("message %d was taken from the feed, neither delivered nor given back", m)
		}
	}
	if !slices.IsSortedFunc(feed.unread, func(a, b int) int { return b - a }) {
		t.Errorf("given back %v, want the latest first", feed.unread)
	}
}

// TestGraceEndsDeliveries: a delivery still going after the grace period has its context ended.
func TestGraceEndsDeliveries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan time.Duration, 1)
	e := Engine[int, bool]{
		Options: Options{Concurrency: 1, Grace: 20 * time.Millisecond},
		Feed:    &listFeed{n: 1},
		Deliver: func(dctx context.Context, m int) bool {
			start := time.Now()
			cancel()
			select {
			case <-dctx.Done():
				ended <- time.Since(start)
				return true
			case <-time.After(5 * time.Second):
				ended <- -1
				return false
			}
		},
		Done: func(int, int, bool, time.Duration) {},
	}
	e.Run(ctx)
	switch d := <-ended; {
	case d < 0:
		t.Fatal("the delivery's context did not end after the grace period")
	case d < 20*time.Millisecond:
		t.Fatalf("the delivery's context ended %v after the run's, within the grace period of 20ms", d)
	}
}

// TestFeedErrorEndsTheRun: a feed that cannot be read ends the run with its error, after the
// messages before it.
func TestFeedErrorEndsTheRun(t *testing.T) {
	broken := errors.New("line 4 is longer than 1 MiB")
	got, err := runWith(t, context.Background(), Options{Concurrency: 2}, &listFeed{n: 3, err: broken}, func(int) time.Duration { return ms(1) })
	if !errors.Is(err, broken) || len(got) != 3 {
		t.Fatalf("%d delivered, error %v", len(got), err)
	}
}

// TestWorkersShareTheLoad: every message is delivered once, by a worker in range.
func TestWorkersShareTheLoad(t *testing.T) {
	got, err := runWith(t, context.Background(), Options{Concurrency: 8}, &listFeed{n: 500}, func(int) time.Duration { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 500 {
		t.Fatalf("%d messages delivered, want 500", len(got))
	}
	for i, s := range got {
		if s.m != i || s.worker < 0 || s.worker >= 8 {
			t.Fatalf("message %d: %+v", i, s)
		}
	}
}

// TestOpenLoopWorkersFollowTheLoad: in an open loop, Concurrency bounds what is in flight, and
// the workers grow only when a message finds none free. On the real clock: against an endpoint
// that answers at once a handful do, whatever the bound; against one that answers none until
// released, they grow to the bound and no further.
func TestOpenLoopWorkersFollowTheLoad(t *testing.T) {
	workers := func(got []sent) int {
		seen := map[int]bool{}
		for _, s := range got {
			seen[s.worker] = true
		}
		return len(seen)
	}
	var mu sync.Mutex
	var got []sent
	e := Engine[int, struct{}]{
		Options: Options{Concurrency: 1000, Rate: 50, Duration: 400 * time.Millisecond},
		Feed:    &listFeed{n: 1000},
		Deliver: func(context.Context, int) struct{} { return struct{}{} },
		Done: func(w, m int, _ struct{}, _ time.Duration) {
			mu.Lock()
			got = append(got, sent{m: m, worker: w})
			mu.Unlock()
		},
	}
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// 20 messages; a worker more for each that this machine made late, 6 of them at most.
	if len(got) != 20 || workers(got) > openLoopStart+6 {
		t.Fatalf("%d messages by %d workers of 1000 allowed, to an endpoint that answers at once", len(got), workers(got))
	}

	release := make(chan struct{})
	var once sync.Once
	var inFlight, most int
	got = nil
	blocked := Engine[int, struct{}]{
		Options: Options{Concurrency: 10, Rate: 1000},
		Feed:    &listFeed{n: 40},
		Deliver: func(context.Context, int) struct{} {
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			full := inFlight == 10
			mu.Unlock()
			if full {
				once.Do(func() { close(release) })
			}
			<-release
			mu.Lock()
			inFlight--
			mu.Unlock()
			return struct{}{}
		},
		Done: func(w, m int, _ struct{}, _ time.Duration) {
			mu.Lock()
			got = append(got, sent{m: m, worker: w})
			mu.Unlock()
		},
	}
	if err := blocked.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if most != 10 || workers(got) != 10 || len(got) != 40 {
		t.Fatalf("at most %d in flight by %d workers for %d messages; want 10, 10 and 40", most, workers(got), len(got))
	}
	for _, s := range got {
		if s.worker < 0 || s.worker >= 10 {
			t.Fatalf("a worker numbered %d of 10", s.worker)
		}
	}
}

// TestOpenLoopStartsWorkersSlowly: when an endpoint stops answering, the messages due pile up,
// but the workers do not jump to the bound: a few start at a time, each counting as starting until
// its first delivery ends or a while has passed. (Each new worker may open a connection, with a TLS
// handshake, on an endpoint that is already behind.)
func TestOpenLoopStartsWorkersSlowly(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	inFlight, most := 0, 0
	e := Engine[int, struct{}]{
		Options: Options{Concurrency: 1000, Rate: 10000, Duration: 100 * time.Millisecond},
		Feed:    &listFeed{n: 100000},
		Deliver: func(context.Context, int) struct{} {
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			mu.Unlock()
			<-release
			mu.Lock()
			inFlight--
			mu.Unlock()
			return struct{}{}
		},
		Done: func(int, int, struct{}, time.Duration) {},
	}
	time.AfterFunc(slowStart/2, func() { close(release) })
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// 500 messages were due while nothing answered; the workers at the start, those that began
	// then, and (on a slow machine) one more round of starters.
	initial := int(10000 * startLatency.Seconds())
	if most > initial+2*maxStarting {
		t.Fatalf("%d in flight while the endpoint did not answer: more than %d+%d started", most, initial, 2*maxStarting)
	}
}

// TestServiceFloor: the floor is the least delivery time of the current and the last window of
// the clock, so that a stall (every answer slow for less than a window) does not raise it, and an
// endpoint that has become slow does once a window has passed.
func TestServiceFloor(t *testing.T) {
	var s serviceFloor
	at := time.Unix(1_767_323_045, 0)
	if s.floor() != 0 {
		t.Fatalf("floor %v before any delivery", s.floor())
	}
	for _, d := range []time.Duration{ms(100), ms(30), ms(500)} {
		s.observe(d, at)
		at = at.Add(ms(10))
	}
	if s.floor() != ms(30) {
		t.Fatalf("floor %v, want 30ms", s.floor())
	}
	for range 300 { // a stall of 600 ms: every answer 200 ms
		s.observe(ms(200), at)
		at = at.Add(ms(2))
	}
	if s.floor() != ms(30) {
		t.Fatalf("floor %v after a stall shorter than a window, want 30ms", s.floor())
	}
	for range 1500 { // three more seconds of it: the endpoint is slow now
		s.observe(ms(200), at)
		at = at.Add(ms(2))
	}
	if s.floor() != ms(200) {
		t.Fatalf("floor %v after two windows of 200ms answers, want 200ms", s.floor())
	}
	s.observe(ms(1), at)
	if s.floor() != ms(1) {
		t.Fatalf("floor %v after a fast answer, want 1ms", s.floor())
	}
}

// TestStartAllowance: before any answer, or with answers a few workers carry, a few start at a
// time; answers of 100 ms at 500/s call for 63 workers (a quarter to spare), so the missing ones
// may start, three for each that has started already.
func TestStartAllowance(t *testing.T) {
	for _, c := range []struct {
		rate              float64
		service           time.Duration
		running, starting int
		want              int
	}{
		{500, 0, 4, 0, maxStarting},
		{20000, ms(0.2), 8, 0, maxStarting},
		{500, ms(100), 4, 0, 12},
		{500, ms(100), 16, 0, 47},
		{500, ms(100), 40, 8, 23},
		{500, ms(100), 60, 0, maxStarting},
	} {
		if got := startAllowance(c.rate, c.service, c.running, c.starting); got != c.want {
			t.Errorf("startAllowance(%v/s, %v, %d running, %d starting) = %d, want %d", c.rate, c.service, c.running, c.starting, got, c.want)
		}
	}
}

// TestWaitedCountsMessagesHeldByTheBound: with one worker allowed, the messages due while it was
// busy are counted as having waited for one; with deliveries shorter than the slots, none is.
func TestWaitedCountsMessagesHeldByTheBound(t *testing.T) {
	waited := func(took []time.Duration) int {
		clock := newVirtualClock()
		e := Engine[int, struct{}]{
			Options: Options{Concurrency: 1, Rate: 100, Clock: clock},
			Feed:    &listFeed{n: len(took)},
			Deliver: func(_ context.Context, m int) struct{} { clock.advance(took[m]); return struct{}{} },
			Done:    func(int, int, struct{}, time.Duration) {},
		}
		if err := e.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return e.Waited
	}
	// As in TestOpenLoopSchedule: message 2 (due at 20 ms) and 3 (due at 30 ms) left at 35 and 36 ms.
	if n := waited([]time.Duration{ms(1), ms(25), ms(1), ms(1)}); n != 2 {
		t.Errorf("%d messages counted as waiting for the one worker, want 2", n)
	}
	if n := waited([]time.Duration{ms(1), ms(9), ms(9), ms(1)}); n != 0 {
		t.Errorf("%d messages counted as waiting, want none: every delivery ended within its slot", n)
	}
}
