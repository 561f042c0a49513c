package senmlgen

import (
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Profile names a set of records the platform sends for one kind of device.
type Profile string

// The profiles, in the shapes of the platform's published payloads.
const (
	// Measurements: a LoRa device's sensor values with ThingsML names and units.
	Measurements Profile = "measurements"
	// LoRaGeo: the LoRa network's geolocation of a device.
	LoRaGeo Profile = "lora-geo"
	// LoRaRaw: a raw LoRa payload (hex) and its port.
	LoRaRaw Profile = "lora-raw"
	// LoRaRawExtended: a raw LoRa payload with the network's metadata.
	LoRaRawExtended Profile = "lora-raw-extended"
	// DeviceSimulator: the platform's device simulator app (battery as a string).
	DeviceSimulator Profile = "device-simulator"
	// M2M: a cellular device identified by IMEI.
	M2M Profile = "m2m"
)

// ProfileNames lists the profiles' names, sorted.
func ProfileNames() []string {
	names := make([]string, 0, len(profiles))
	for p := range profiles {
		names = append(names, string(p))
	}
	sort.Strings(names)
	return names
}

// ParseProfile reads a profile's name.
func ParseProfile(s string) (Profile, error) {
	p := Profile(strings.ToLower(s))
	if _, ok := profiles[p]; !ok {
		return "", fmt.Errorf("unknown profile %q (want one of %s)", s, strings.Join(ProfileNames(), ", "))
	}
	return p, nil
}

// reading is what a profile needs to know about the pack it fills.
type reading struct {
	layout  Layout
	ms      int64 // time of the pack, Unix milliseconds
	numbers NumberStyle
}

// profileSpec describes a profile: the identity its devices carry, the state each device starts
// with, and the records of one pack (without bn and bt, which the generator adds per layout).
type profileSpec struct {
	identity IdentityKind
	setup    func(d *device)
	records  func(d *device, r reading, out Pack) Pack
}

var profiles = map[Profile]*profileSpec{
	Measurements: {
		identity: DevEUI,
		setup: func(d *device) {
			d.walks = []walk{
				newWalk(d.rand, -10, 35, 0.3, 2),     // temperature, °C
				newWalk(d.rand, 20, 95, 1.5, 1),      // relative humidity, %
				newWalk(d.rand, 3.3, 3.65, 0.005, 3), // battery, V
			}
		},
		records: func(d *device, _ reading, out Pack) Pack {
			return append(out,
				number("temperature", "Cel", d.walks[0].advance(d.rand)),
				number("humidity", "%RH", d.walks[1].advance(d.rand)),
				number("batteryVoltage", "V", d.walks[2].advance(d.rand)),
			)
		},
	},
	M2M: {
		identity: IMEI,
		setup: func(d *device) {
			d.walks = []walk{
				newWalk(d.rand, -10, 35, 0.3, 1),
				newWalk(d.rand, 3.3, 3.65, 0.005, 2),
			}
		},
		records: func(d *device, _ reading, out Pack) Pack {
			return append(out,
				number("temperature", "Cel", d.walks[0].advance(d.rand)),
				number("batteryVoltage", "V", d.walks[1].advance(d.rand)),
			)
		},
	},
	LoRaGeo: {
		identity: DevEUI,
		setup: func(d *device) {
			// A home somewhere in the Netherlands, and a location estimate wandering around it.
			lat := 51.5 + d.rand.Float64()*1.7
			lon := 4.0 + d.rand.Float64()*2.8
			d.walks = []walk{
				newWalk(d.rand, lat-0.01, lat+0.01, 0.002, 6),
				newWalk(d.rand, lon-0.01, lon+0.01, 0.002, 6),
				newWalk(d.rand, 50, 2000, 120, 6), // radius, m
			}
		},
		records: func(d *device, r reading, out Pack) Pack {
			out = append(out,
				text("locOrigin", "", "KPNLORA"),
				number("latitude", "lat", d.walks[0].advance(d.rand)),
				number("longitude", "lon", d.walks[1].advance(d.rand)),
				number("radius", "m", d.walks[2].advance(d.rand)),
			)
			if r.layout == Merged {
				out = append(out, text("locMethod", "", "TDOA"))
			}
			out = append(out,
				number("locAccuracy", "%", 9999),
				number("locPrecision", "%", 9999),
			)
			// 2020-style packs carry the location time as a string of milliseconds; newer ones in
			// seconds.
			if r.layout == Merged {
				return append(out, number("locTime", "s", float64(r.ms)/1000))
			}
			return append(out, text("locTime", "", strconv.FormatInt(r.ms, 10)))
		},
	},
	LoRaRaw: {
		identity: DevEUI,
		setup:    setupRaw,
		records: func(d *device, _ reading, out Pack) Pack {
			return append(out, rawPayload(d), number("port", "", d.port))
		},
	},
	LoRaRawExtended: {
		identity: DevEUI,
		setup: func(d *device) {
			setupRaw(d)
			d.walks = []walk{
				newWalk(d.rand, -120, -60, 3, 0), // RSSI, dBm
				newWalk(d.rand, -15, 10, 1.5, 0), // SNR, dB
			}
			d.counters = []int64{int64(d.rand.IntN(500)), int64(d.rand.IntN(20))} // FCntUp, FCntDn
		},
		records: func(d *device, _ reading, out Pack) Pack {
			rssi := d.walks[0].advance(d.rand)
			snr := d.walks[1].advance(d.rand)
			// Estimated signal power, as the network computes it from RSSI and SNR.
			esp := round(rssi-10*math.Log10(1+math.Pow(10, -snr/10)), 6)
			up := d.counters[0]
			d.counters[0]++
			if d.rand.IntN(10) == 0 {
				d.counters[1]++
			}
			return append(out,
				rawPayload(d),
				number("port", "", d.port),
				number("FCntUp", "", float64(up)),
				number("FCntDn", "", float64(d.counters[1])),
				number("LrrRSSI", "", rssi),
				number("LrrSNR", "", snr),
				number("LrrESP", "", esp),
				number("DevLrrCnt", "", float64(1+d.rand.IntN(4))),
				number("SpFact", "", float64(7+d.rand.IntN(6))),
				text("SubBand", "", "G1"),
				text("Channel", "", "LC"+strconv.Itoa(1+d.rand.IntN(8))),
				number("ADRbit", "", 1),
				text("timeOrigin", "", "NETWORK"),
			)
		},
	},
	DeviceSimulator: {
		identity: DVNUUID,
		setup: func(d *device) {
			lat := 51.5 + d.rand.Float64()*1.7
			lon := 4.0 + d.rand.Float64()*2.8
			d.walks = []walk{
				newWalk(d.rand, 5, 100, 1, 0), // battery, %
				newWalk(d.rand, -4, 4, 0.3, 2),
				newWalk(d.rand, -4, 4, 0.3, 2),
				newWalk(d.rand, 8.5, 10.5, 0.2, 2),
				newWalk(d.rand, lat-0.01, lat+0.01, 0.001, 5),
				newWalk(d.rand, lon-0.01, lon+0.01, 0.001, 5),
			}
		},
		records: func(d *device, r reading, out Pack) Pack {
			// The app sends the battery level as a string, written as the platform writes numbers.
			var buf [24]byte
			battery := string(AppendNumber(buf[:0], d.walks[0].advance(d.rand), r.numbers))
			return append(out,
				text("battery", "%", battery),
				number("accelerationX", "m/s2", d.walks[1].advance(d.rand)),
				number("accelerationY", "m/s2", d.walks[2].advance(d.rand)),
				number("accelerationZ", "m/s2", d.walks[3].advance(d.rand)),
				number("latitude", "lat", d.walks[4].advance(d.rand)),
				number("longitude", "lon", d.walks[5].advance(d.rand)),
			)
		},
	},
}

func setupRaw(d *device) {
	d.payload = make([]byte, 4+d.rand.IntN(13))
	d.port = float64(1 + d.rand.IntN(20))
}

// rawPayload draws the device's next raw payload and returns its record.
func rawPayload(d *device) Record {
	for i := range d.payload {
		d.payload[i] = byte(d.rand.Uint32())
	}
	return text("payload", "", hex.EncodeToString(d.payload))
}

func number(name, unit string, v float64) Record {
	return Record{Name: name, Unit: unit, Kind: NumberValue, Number: v}
}

func text(name, unit, v string) Record {
	return Record{Name: name, Unit: unit, Kind: StringValue, Text: v}
}
