package run

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/thingsim/thingsim/sender"
)

// Tally counts the outcomes of messages: one for each group of workers (Tallies), merged for
// progress and summaries, so that the hot path shares a lock with few other workers.
type Tally struct {
	Messages int64
	Attempts int64
	Outcomes map[sender.Outcome]int64
	Statuses map[int]int64              // the answers of every attempt
	Errors   map[sender.ErrorKind]int64 // attempts without an answer, by kind; interrupts are not counted
	Latency  *Latencies                 // of every message not interrupted
	// LastDeparture is when the last message to leave made its first attempt.
	LastDeparture time.Time
}

// NewTally returns an empty tally.
func NewTally() *Tally {
	return &Tally{Outcomes: map[sender.Outcome]int64{}, Statuses: map[int]int64{}, Errors: map[sender.ErrorKind]int64{}, Latency: NewLatencies()}
}

// Count counts one message's result and the latency measured for it.
func (t *Tally) Count(res *sender.Result, latency time.Duration) {
	t.Messages++
	t.Outcomes[res.Outcome]++
	t.Attempts += int64(len(res.Attempts))
	if len(res.Attempts) > 0 && res.Attempts[0].Start.After(t.LastDeparture) {
		t.LastDeparture = res.Attempts[0].Start
	}
	for _, a := range res.Attempts {
		if a.Status() != 0 {
			t.Statuses[a.Status()]++
		} else if a.Kind != "" && a.Kind != sender.KindInterrupted {
			t.Errors[a.Kind]++
		}
	}
	if res.Outcome != sender.Interrupted {
		t.Latency.Record(latency)
	}
}

// Merge adds o's counts to t.
func (t *Tally) Merge(o *Tally) {
	t.Messages += o.Messages
	t.Attempts += o.Attempts
	for k, v := range o.Outcomes {
		t.Outcomes[k] += v
	}
	for k, v := range o.Statuses {
		t.Statuses[k] += v
	}
	for k, v := range o.Errors {
		t.Errors[k] += v
	}
	t.Latency.Merge(o.Latency)
	if o.LastDeparture.After(t.LastDeparture) {
		t.LastDeparture = o.LastDeparture
	}
}

// Tallies are the tallies of a run's workers, tallyShards of them at most: worker w counts in
// tally w mod tallyShards, each behind its own lock, so that a run of a thousand workers (a slow
// endpoint at a fixed rate) keeps 16 latency histograms of 192 KB, not a thousand, and its hot
// path shares a lock with few others. A worker finds its tally without a lock shared with the
// others: the list is replaced, never changed, when a tally is added.
type Tallies struct {
	mu sync.Mutex // serializes adding
	ts atomic.Pointer[[]*lockedTally]
}

type lockedTally struct {
	mu sync.Mutex
	t  *Tally
}

func (ts *Tallies) list() []*lockedTally {
	if l := ts.ts.Load(); l != nil {
		return *l
	}
	return nil
}

// tallyShards is how many tallies a run's workers share.
const tallyShards = 16

// Count counts a result in worker w's tally, made on first use.
func (ts *Tallies) Count(w int, res *sender.Result, latency time.Duration) {
	w %= tallyShards
	l := ts.list()
	if w >= len(l) {
		ts.mu.Lock()
		l = ts.list()
		if w >= len(l) {
			grown := append(make([]*lockedTally, 0, w+1), l...)
			for len(grown) <= w {
				grown = append(grown, &lockedTally{t: NewTally()})
			}
			ts.ts.Store(&grown)
			l = grown
		}
		ts.mu.Unlock()
	}
	lt := l[w]
	lt.mu.Lock()
	lt.t.Count(res, latency)
	lt.mu.Unlock()
}

// Totals merges every worker's tally into a new one.
func (ts *Tallies) Totals() *Tally {
	sum := NewTally()
	for _, lt := range ts.list() {
		lt.mu.Lock()
		sum.Merge(lt.t)
		lt.mu.Unlock()
	}
	return sum
}

// Add counts a finished tally as one more worker's: a shard's, read back by merge.
func (ts *Tallies) Add(t *Tally) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	l := ts.list()
	grown := append(l[:len(l):len(l)], &lockedTally{t: t})
	ts.ts.Store(&grown)
}
