package senml_test

import (
	"testing"

	"github.com/thingsim/thingsim/senml"
	"github.com/thingsim/thingsim/senmlgen"
)

// An external test: senmlgen writes packs with senml's validator, so senml's own tests cannot
// import it. It uses the helpers senml_test.go exports to tests (Now, Resolved, Of, Same, Naive).

// TestGeneratedProfiles: every profile's packs, in both layouts, decode to the same measurements,
// and as the independent resolution reads them.
func TestGeneratedProfiles(t *testing.T) {
	for _, name := range senmlgen.ProfileNames() {
		g, _ := senmlgen.New(senmlgen.Config{Profile: senmlgen.Profile(name), Devices: 3, Seed: 5, Now: senml.Now})
		for i := 0; i < 20; i++ {
			legacy := g.AppendNext(nil)
			p, _, format, err := senmlgen.Parse(legacy)
			if err != nil {
				t.Fatal(err)
			}
			q, err := senmlgen.Relayout(p, senmlgen.Merged)
			if err != nil {
				t.Fatal(err)
			}
			merged, _ := q.Encode(format)
			a, errA := senml.DecodeAt(legacy, senml.Now)
			b, errB := senml.DecodeAt(merged, senml.Now)
			if errA != nil || errB != nil {
				t.Fatalf("%s: %v %v", name, errA, errB)
			}
			var ra, rb []senml.Resolved
			for _, m := range a {
				ra = append(ra, senml.Of(m))
			}
			for _, m := range b {
				rb = append(rb, senml.Of(m))
			}
			if !senml.Same(ra, rb) || !senml.Same(ra, senml.Naive(t, legacy)) || len(ra) == 0 {
				t.Fatalf("%s pack %d:\nlegacy %v\nmerged %v\n%s\n%s", name, i, ra, rb, legacy, merged)
			}
		}
	}
}

// TestLayoutAsParsed: Layout tells the layout of every profile's packs as senmlgen.Parse, the
// writer's strict reader, does, and calls other what Parse refuses.
func TestLayoutAsParsed(t *testing.T) {
	for _, name := range senmlgen.ProfileNames() {
		for _, layout := range []senmlgen.Layout{senmlgen.Legacy, senmlgen.Merged} {
			g, _ := senmlgen.New(senmlgen.Config{Profile: senmlgen.Profile(name), Layout: layout, Seed: 5, Now: senml.Now})
			body := g.AppendNext(nil)
			if got := senml.Layout(body); got != layout.String() {
				t.Errorf("%s, %s layout: Layout says %s", name, layout, got)
			}
		}
	}
	for _, body := range []string{`[{"bn":"x","bt":1,"s":2}]`, `[{"n":"t","v":1}]`, `[{"bn":"x"},{"bn":"y","n":"t","v":1}]`, `[{"bn":"x","n":"t","v":1}] []`, `{}`} {
		if _, _, _, err := senmlgen.Parse([]byte(body)); err == nil || senml.Layout([]byte(body)) != senml.LayoutOther {
			t.Errorf("%s: Parse %v, Layout %s", body, err, senml.Layout([]byte(body)))
		}
	}
}
