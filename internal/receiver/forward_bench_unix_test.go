//go:build unix

package receiver

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/thingsim/thingsim/sender"
)

// BenchmarkRelay: one request at a time on a kept-alive connection, straight to an app and through
// a relay in front of it, all on loopback in this process. It reports the median latency and the
// CPU of the whole process a request (the client's, the app's and, through the relay, the
// relay's): the differences are what the relay adds.
func BenchmarkRelay(b *testing.B) {
	app := servePlainB(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	appURL, _ := url.Parse("http://" + app + "/things")
	relay := servePlainB(b, NewHandler(Config{Secrets: AnyPlug{sender.NewSecret(secret)}, Forward: &Forward{URL: appURL}}))
	body := []byte(docBody)
	token := sender.Sign(body, sender.NewSecret(secret))
	for _, c := range []struct{ name, addr string }{{"direct", app}, {"relay", relay}} {
		b.Run(c.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
			lat := make([]time.Duration, 0, b.N)
			cpu0 := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				req, _ := http.NewRequest("POST", "http://"+c.addr+"/hook", bytes.NewReader(body))
				req.Header["Things-Message-Token"] = []string{token}
				req.Header["Things-Plug-UUID"] = []string{plug}
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(start))
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "median-µs")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(len(lat)), "cpu-µs/op")
		})
	}
}

func servePlainB(b *testing.B, h http.Handler) string {
	srv, err := Listen("127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(h)
	b.Cleanup(func() { srv.Close() })
	return srv.URL()[len("http://"):]
}

// cpuTime is the CPU this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
