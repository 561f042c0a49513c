package senmlgen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestBaseNamesAsFmtWritesThem: the names drawn for a fleet are byte for byte what fmt's %016X and
// %06d give the same draws, bounds included, so that a seed names its devices as it always has.
func TestBaseNamesAsFmtWritesThem(t *testing.T) {
	for _, v := range []uint64{0, 1, 15, 16, 0xABCDEF, 1 << 63, math.MaxUint64} {
		if got, want := string(appendPadded(nil, v, 16, 16)), fmt.Sprintf("%016X", v); got != want {
			t.Errorf("%d in hex: %s, want %s", v, got, want)
		}
	}
	for _, v := range []uint64{0, 7, 99999, 999999} {
		if got, want := string(appendPadded(nil, v, 10, 6)), fmt.Sprintf("%06d", v); got != want {
			t.Errorf("%d in decimal: %s, want %s", v, got, want)
		}
	}
	for seed := range uint64(2000) {
		a, b := rand.New(rand.NewPCG(1, seed)), rand.New(rand.NewPCG(1, seed))
		if got, want := baseName(DevEUI, a), fmt.Sprintf("urn:dev:DEVEUI:%016X:", b.Uint64()); got != want {
			t.Fatalf("DevEUI %s, want %s", got, want)
		}
		digits := fmt.Sprintf("35693803%06d", b.IntN(1_000_000))
		if got, want := baseName(IMEI, a), "urn:dev:IMEI:"+digits+fmt.Sprint(luhnCheckDigit(digits))+":"; got != want {
			t.Fatalf("IMEI %s, want %s", got, want)
		}
	}
}
