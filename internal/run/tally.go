package run

import (
	"sync"
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

// Tallies are the tallies of a run's workers: worker w counts in tally w mod tallyShards, each
// behind its own lock, so that a run of a thousand workers (a slow endpoint at a fixed rate) keeps
// 16 latency histograms of 192 KB, not a thousand, and its hot path shares a lock with few others.
type Tallies struct {
	shards [tallyShards]lockedTally
	mu     sync.Mutex // guards added
	added  []*Tally   // finished tallies, a shard's each, read back by merge
}

type lockedTally struct {
	mu sync.Mutex
	t  *Tally // made on first use
}

// tallyShards is how many tallies a run's workers share.
const tallyShards = 16

// Count counts a result in worker w's tally.
func (ts *Tallies) Count(w int, res *sender.Result, latency time.Duration) {
	lt := &ts.shards[w%tallyShards]
	lt.mu.Lock()
	if lt.t == nil {
		lt.t = NewTally()
	}
	lt.t.Count(res, latency)
	lt.mu.Unlock()
}

// Totals merges every tally into a new one.
func (ts *Tallies) Totals() *Tally {
	sum := NewTally()
	for i := range ts.shards {
		lt := &ts.shards[i]
		lt.mu.Lock()
		if lt.t != nil {
			sum.Merge(lt.t)
		}
		lt.mu.Unlock()
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, t := range ts.added {
		sum.Merge(t)
	}
	return sum
}

// Add counts a finished tally as one more worker's: a shard's, read back by merge.
func (ts *Tallies) Add(t *Tally) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.added = append(ts.added, t)
}
