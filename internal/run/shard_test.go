package run

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

// countingPacks numbers its packs and says how many it made and skipped.
type countingPacks struct{ made, skipped int }

func (p *countingPacks) Next(dst []byte) ([]byte, string) {
	p.made++
	return fmt.Appendf(dst, "pack %d", p.made+p.skipped-1), "d"
}

func (p *countingPacks) Skip() { p.skipped++ }

// TestShardsPartition: N shards of a run, by device or by message, give each message of the
// whole run once, with its number and its pack, and Size counts them; skipped devices cost no
// pack.
func TestShardsPartition(t *testing.T) {
	for _, c := range []struct{ count, devices, n int }{{100, 10, 4}, {97, 7, 3}, {50, 1, 4}, {10, 2, 4}, {3, 5, 4}} {
		seen := map[int]int{}
		for i := range c.n {
			src := &countingPacks{}
			f := Generated(src, int64(c.count))
			f.ShardOf(Shard{I: i, N: c.n, Devices: c.devices})
			size := f.Size()
			got := 0
			for {
				m, err := f.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if string(m.Body) != fmt.Sprintf("pack %d", m.Index) {
					t.Fatalf("%+v shard %d: message %d got %q", c, i, m.Index, m.Body)
				}
				seen[m.Index]++
				got++
			}
			if int64(got) != size {
				t.Errorf("%+v shard %d: %d messages, Size %d", c, i, got, size)
			}
			if c.devices >= c.n && src.made != got {
				t.Errorf("%+v shard %d: made %d packs for %d messages", c, i, src.made, got)
			}
		}
		for k := range c.count {
			if seen[k] != 1 {
				t.Errorf("%+v: message %d sent %d times", c, k, seen[k])
			}
		}
	}
}

func TestShardedCopies(t *testing.T) {
	seen := map[int]int{}
	for i := range 3 {
		f := Copies([]byte("[]"), "d", "pack.json", 10)
		f.ShardOf(Shard{I: i, N: 3})
		for {
			m, err := f.Next()
			if err != nil {
				break
			}
			seen[m.Index]++
		}
	}
	for k := range 10 {
		if seen[k] != 1 {
			t.Errorf("copy %d sent %d times", k, seen[k])
		}
	}
	if len(seen) != 10 {
		t.Errorf("copies numbered %v", seen)
	}
}

// BenchmarkShardedFeed: what a message costs the feed, whole and as one of four shards of a fleet
// (the other shards' devices are skipped, never made).
func BenchmarkShardedFeed(b *testing.B) {
	for _, n := range []int{1, 4} {
		b.Run(fmt.Sprintf("shards=%d", n), func(b *testing.B) {
			f := Generated(&countingPacks{}, -1)
			f.ShardOf(Shard{I: 1, N: n, Devices: 1000})
			for b.Loop() {
				m, _ := f.Next()
				m.Release()
			}
		})
	}
}
