package senmlgen

import (
	"math/rand/v2"

	"github.com/google/uuid"
)

// IdentityKind is the kind of device identifier in a base name.
type IdentityKind uint8

const (
	// DevEUI identifies a LoRa device: urn:dev:DEVEUI:<16 upper-case hex>:.
	DevEUI IdentityKind = iota
	// IMEI identifies an M2M (cellular) device: urn:dev:IMEI:<15 digits, valid Luhn>:.
	IMEI
	// DVNUUID identifies an internet device or the platform's device simulator app:
	// urn:dev:DVNUUID:<uuid v4>:.
	DVNUUID
)

// baseName draws a device's base name of the given kind from r.
func baseName(kind IdentityKind, r *rand.Rand) string {
	switch kind {
	case IMEI:
		// 35693803 is a type allocation code seen in published captures; the serial is random.
		b := append(make([]byte, 0, 32), "urn:dev:IMEI:35693803"...)
		b = appendPadded(b, uint64(r.IntN(1_000_000)), 10, 6)
		digits := b[len("urn:dev:IMEI:"):]
		b = append(b, byte('0'+luhnCheckDigit(string(digits))), ':')
		return string(b)
	case DVNUUID:
		var b [16]byte
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		b[6] = b[6]&0x0f | 0x40 // version 4
		b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
		return "urn:dev:DVNUUID:" + uuid.UUID(b).String() + ":"
	default:
		b := append(make([]byte, 0, 32), "urn:dev:DEVEUI:"...)
		return string(append(appendPadded(b, r.Uint64(), 16, 16), ':'))
	}
}

// appendPadded appends v in base 10 or 16 (upper case) with at least width digits, zeros in front:
// what fmt's %06d and %016X write, without fmt's cost for each device a fleet makes.
func appendPadded(b []byte, v uint64, base uint64, width int) []byte {
	var d [20]byte
	i := len(d)
	for v > 0 || i > len(d)-width {
		i--
		d[i] = "0123456789ABCDEF"[v%base]
		v /= base
	}
	return append(b, d[i:]...)
}

// luhnCheckDigit returns the digit that makes digits followed by it pass the Luhn check.
func luhnCheckDigit(digits string) int {
	sum := 0
	double := true // the check digit's neighbour is doubled
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}

// LuhnValid reports whether a string of digits passes the Luhn check, as an IMEI does.
func LuhnValid(digits string) bool {
	if len(digits) < 2 {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return luhnCheckDigit(digits[:len(digits)-1]) == int(digits[len(digits)-1]-'0')
}
