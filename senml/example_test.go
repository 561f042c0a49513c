package senml_test

import (
	"fmt"

	"github.com/thingsim/thingsim/senml"
)

// Both of the platform's layouts resolve to the same measurements.
func ExampleDecode() {
	legacy := []byte(`[{"bn":"urn:dev:DEVEUI:0004A30B001B714E:","bt":1.7E9},{"n":"temperature","u":"Cel","v":21.5},{"n":"door","vb":true}]`)
	merged := []byte(`[{"bn":"urn:dev:DEVEUI:0004A30B001B714E:","bt":1.7E9,"n":"temperature","u":"Cel","v":21.5},{"n":"door","vb":true}]`)
	for _, body := range [][]byte{legacy, merged} {
		ms, err := senml.Decode(body)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, m := range ms {
			switch m.Kind {
			case senml.Number:
				fmt.Println(m.Time.Format("2006-01-02T15:04:05Z"), m.Device, m.Name, m.Number, m.Unit)
			case senml.Bool:
				fmt.Println(m.Time.Format("2006-01-02T15:04:05Z"), m.Device, m.Name, m.Bool)
			}
		}
	}
	// Output:
	// 2023-11-14T22:13:20Z urn:dev:DEVEUI:0004A30B001B714E: temperature 21.5 Cel
	// 2023-11-14T22:13:20Z urn:dev:DEVEUI:0004A30B001B714E: door true
	// 2023-11-14T22:13:20Z urn:dev:DEVEUI:0004A30B001B714E: temperature 21.5 Cel
	// 2023-11-14T22:13:20Z urn:dev:DEVEUI:0004A30B001B714E: door true
}
