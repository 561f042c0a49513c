package run

import (
	"sync"
	"testing"
	"time"

	"github.com/thingsim/thingsim/sender"
)

// TestTalliesConcurrent: workers count every result once while totals are read beside them, and a
// finished tally added (a shard's) counts too; -race holds the locks to the memory model.
func TestTalliesConcurrent(t *testing.T) {
	var ts Tallies
	const workers, each = 16, 500
	var wg sync.WaitGroup
	stop := make(chan struct{})
	reads := make(chan int64)
	go func() {
		var last int64
		for {
			select {
			case <-stop:
				reads <- last
				return
			default:
				last = ts.Totals().Messages
			}
		}
	}()
	for w := workers - 1; w >= 0; w-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				res := &sender.Result{Outcome: sender.Delivered, Attempts: []sender.Attempt{{Number: 1, Response: sender.Response{Status: 200 + w%2}}}}
				ts.Count(w, res, time.Duration(i+1)*time.Millisecond)
			}
		}()
	}
	wg.Wait()
	close(stop)
	if seen := <-reads; seen > workers*each {
		t.Fatalf("totals read %d messages, more than were counted", seen)
	}
	tot := ts.Totals()
	if tot.Messages != workers*each || tot.Statuses[200] != workers/2*each || tot.Statuses[201] != workers/2*each || tot.Latency.Count() != workers*each {
		t.Fatalf("totals %d messages, statuses %v, %d latencies; want %d", tot.Messages, tot.Statuses, tot.Latency.Count(), workers*each)
	}
	shard := NewTally()
	shard.Count(&sender.Result{Outcome: sender.Discarded}, time.Second)
	ts.Add(shard)
	if tot := ts.Totals(); tot.Messages != workers*each+1 || tot.Outcomes[sender.Discarded] != 1 {
		t.Fatalf("after Add: %d messages, %d discarded; want %d and 1", tot.Messages, tot.Outcomes[sender.Discarded], workers*each+1)
	}
}

// TestTalliesShared: a thousand workers count in tallyShards tallies, every result once.
func TestTalliesShared(t *testing.T) {
	var ts Tallies
	for w := range 1000 {
		ts.Count(w, &sender.Result{Outcome: sender.Delivered}, time.Millisecond)
	}
	made := 0
	for i := range ts.shards {
		if ts.shards[i].t != nil {
			made++
		}
	}
	if made != tallyShards {
		t.Fatalf("%d tallies for 1000 workers, want %d", made, tallyShards)
	}
	if tot := ts.Totals(); tot.Messages != 1000 || tot.Latency.Count() != 1000 {
		t.Fatalf("totals %d messages, %d latencies; want 1000", tot.Messages, tot.Latency.Count())
	}
}
