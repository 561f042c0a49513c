package inspector

import (
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/thingsim/thingsim/internal/record"
)

// Limits of what a Store keeps: the newest arrivals, at most so many and at most so many bytes of
// bodies and summaries; older ones leave the store (the count of all arrivals stays).
const (
	DefaultKeep      = 10000
	DefaultKeepBytes = 64 << 20
	// subscriberBuffer is how many arrivals a live subscriber may fall behind before it misses
	// some; the endpoint never waits for one.
	subscriberBuffer = 512
)

// Arrival is one message record in the store, numbered from 1 in order of arrival.
type Arrival struct {
	ID     int64
	Record record.MessageRecord

	once        sync.Once
	summary     *Summary
	summaryJSON []byte // as the live stream sends it

	store *Store // charged for the summary once it is made
	kept  bool   // still in the store's ring; guarded by the store's lock
	cost  int    // what the store counts for it: body and summary
}

// Summary returns what the list shows of the arrival, made once, on first use, by whoever asks
// first: never on the endpoint's path. Its size counts against the store's bound, as the body's.
func (a *Arrival) Summary() *Summary {
	a.once.Do(func() {
		a.summary = &newView(a.ID, &a.Record, false).Summary
		a.summaryJSON, _ = json.Marshal(a.summary)
		if a.store != nil {
			// The JSON twice over is about what the summary and its points take in memory.
			a.store.charge(a, 2*len(a.summaryJSON))
		}
	})
	return a.summary
}

// charge counts n more bytes for a, if it is still kept, and lets the oldest arrivals go while the
// store is over its bound.
func (s *Store) charge(a *Arrival, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !a.kept {
		return
	}
	a.cost += n
	s.bytes += n
	for s.bytes > s.keepBytes && s.n > 1 && s.ring[s.head] != a {
		s.dropOldest()
	}
}

// View returns everything the page shows of the arrival. It is made anew each time, for one
// arrival looked at, and not kept: the store keeps bodies, not their pretty forms.
func (a *Arrival) View() *View { return newView(a.ID, &a.Record, true) }

// Store keeps the newest arrivals and tells live subscribers of each one without ever waiting
// for them: a subscriber that falls behind misses arrivals, and is told how many.
type Store struct {
	keep, keepBytes int

	mu    sync.Mutex
	ring  []*Arrival // the kept arrivals: n of them, the oldest at head
	head  int
	n     int
	bytes int
	total int64
	subs  map[*subscriber]struct{}
}

type subscriber struct {
	arrivals chan *Arrival
	notes    chan any // other news: the answer changed
	missed   atomic.Int64
}

// NewStore returns a store that keeps the newest keep arrivals and keepBytes of bodies (zero: the
// defaults).
func NewStore(keep, keepBytes int) *Store {
	if keep <= 0 {
		keep = DefaultKeep
	}
	if keepBytes <= 0 {
		keepBytes = DefaultKeepBytes
	}
	return &Store{keep: keep, keepBytes: keepBytes, ring: make([]*Arrival, keep), subs: map[*subscriber]struct{}{}}
}

// at returns the i-th kept arrival, oldest first.
func (s *Store) at(i int) *Arrival { return s.ring[(s.head+i)%len(s.ring)] }

// dropOldest lets the oldest kept arrival go.
func (s *Store) dropOldest() {
	a := s.ring[s.head]
	s.bytes -= a.cost
	a.kept = false
	s.ring[s.head] = nil
	s.head = (s.head + 1) % len(s.ring)
	s.n--
}

// Add stores a record and tells the subscribers; it never blocks on them.
func (s *Store) Add(rec record.MessageRecord) *Arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total++
	a := &Arrival{ID: s.total, Record: rec, store: s, kept: true, cost: size(&rec)}
	if s.n == len(s.ring) {
		s.dropOldest()
	}
	s.ring[(s.head+s.n)%len(s.ring)] = a
	s.n++
	s.bytes += a.cost
	for s.bytes > s.keepBytes && s.n > 1 {
		s.dropOldest()
	}
	for sub := range s.subs {
		select {
		case sub.arrivals <- a:
		default:
			sub.missed.Add(1)
		}
	}
	return a
}

// Note tells every subscriber something other than an arrival, such as a new answer; a subscriber
// that is behind does not get it, and reads the state again when it catches up.
func (s *Store) Note(v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sub := range s.subs {
		select {
		case sub.notes <- v:
		default:
		}
	}
}

func size(rec *record.MessageRecord) int {
	n := len(rec.BodyBase64)
	if rec.Body != nil {
		n += len(*rec.Body)
	}
	return n
}

// Total is the number of arrivals so far, kept or not.
func (s *Store) Total() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Get returns the arrival numbered id while the store keeps it.
func (s *Store) Get(id int64) (*Arrival, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return nil, false
	}
	i := id - s.at(0).ID
	if i < 0 || i >= int64(s.n) {
		return nil, false
	}
	return s.at(int(i)), true
}

// Newest returns up to limit kept arrivals numbered above after, newest first.
func (s *Store) Newest(after int64, limit int) []*Arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Arrival
	for i := s.n - 1; i >= 0 && len(out) < limit; i-- {
		a := s.at(i)
		if a.ID <= after {
			break
		}
		out = append(out, a)
	}
	return out
}

// All returns every kept arrival, oldest first.
func (s *Store) All() []*Arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Arrival, s.n)
	for i := range out {
		out[i] = s.at(i)
	}
	return out
}

// Kept is the number of arrivals the store still has.
func (s *Store) Kept() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func (s *Store) subscribe() *subscriber {
	sub := &subscriber{arrivals: make(chan *Arrival, subscriberBuffer), notes: make(chan any, 8)}
	s.mu.Lock()
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	return sub
}

func (s *Store) unsubscribe(sub *subscriber) {
	s.mu.Lock()
	delete(s.subs, sub)
	s.mu.Unlock()
}
