package cmd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// memoryCapKiB is the address space each bad-input run gets (ulimit -v): enough for the Go runtime
// to start, far too little for any input to be read whole or a count to be allocated up front.
const memoryCapKiB = 1 << 20

// badInputs: each is refused with one line naming what was wrong and where, and exit 2.
var badInputs = []struct {
	name  string
	args  string
	stdin io.Reader // default none
	want  string    // a regular expression the error line must match
}{
	{"endless secret file", "send --url https://example.com/x --secret-file /dev/zero --dry-run", nil, `--secret-file: secret file: /dev/zero is larger than 64 KiB$`},
	{"endless secret on stdin", "send --url https://example.com/x --secret-file - --dry-run", endless{}, `--secret-file: reading standard input: standard input is larger than 64 KiB$`},
	{"endless destination file", "send --destination /dev/zero --dry-run", nil, `destination file: /dev/zero is larger than 1 MiB`},
	{"endless CA file", "send --url https://example.com/x --secret-file secret --ca-file /dev/zero --dry-run", nil, `CA file: /dev/zero is larger than 16 MiB`},
	{"endless payload", "send --url https://example.com/x --secret-file secret --payload /dev/zero --dry-run", nil, `--payload: /dev/zero is larger than 1 MiB$`},
	{"endless payload on stdin", "send --url https://example.com/x --secret-file secret --payload - --dry-run", endless{}, `--payload: standard input is larger than 1 MiB$`},
	{"an endless line of payloads", "send --url https://example.com/x --secret-file secret --payloads /dev/zero --dry-run", nil, `--payloads: /dev/zero: line 1 is longer than 1 MiB$`},
	{"endless audit pack", "audit --url https://example.com/x --secret-file secret --payload /dev/zero", nil, `--payload: /dev/zero is larger than 1 MiB$`},
	{"endless audit packs on stdin", "audit --url https://example.com/x --secret-file secret --payloads -", endless{}, `--payloads: standard input: line 1 is longer than 1 MiB$`},
	{"endless body to sign", "sign /dev/zero --secret-file secret", nil, `body: /dev/zero is larger than 1 MiB$`},
	{"endless body to verify", "verify --secret-file secret --token 0000000000000000000000000000000000000000000000000000000000000000 -", endless{}, `body: standard input is larger than 1 MiB$`},
	{"endless trust store", "check-tls https://example.com/ --truststore /dev/zero", nil, `--truststore: /dev/zero is larger than 16 MiB$`},
	{"endless secrets file", "receive --listen 127.0.0.1:0 --secrets /dev/zero", nil, `secrets file: /dev/zero is larger than 1 MiB`},
	{"an endless body file to replay", "replay endless --url https://example.com/x --secret-file secret --dry-run", nil, `endless is larger than 64 MiB: replay reads a HAR, raw HTTP or body file whole$`},
	{"a FIFO nobody writes", "send --url https://example.com/x --secret-file fifo --dry-run", nil, `--secret-file: the secret is empty$`},
	{"the largest int64 devices", "gen --devices 9223372036854775807", nil, `--devices: must be 1 to 1000000000, not 9223372036854775807$`},
	{"two billion devices", "gen --devices 2e9", nil, `--devices: must be 1 to 1000000000, not 2000000000$`},
	{"a million workers", "send --url https://example.com/x --secret-file secret --concurrency 1e6 --dry-run", nil, `--concurrency: must be 1 to 10000, not 1000000$`},
	{"an infinite rate", "send --url https://example.com/x --secret-file secret --rate inf --duration 1s --dry-run", nil, `a rate must be 0, or from one a day to 1000000 a second`},
	{"a rate too small to schedule", "send --url https://example.com/x --secret-file secret --rate 1e-300/s --duration 1s --dry-run", nil, `a rate must be 0, or from one a day to 1000000 a second`},
	{"a time past the year 9999", "gen --now 1e30", nil, `--now: 1e30 is not between 0 and 253402300799`},
	{"a terabyte body limit", "receive --listen 127.0.0.1:0 --secret-file secret --max-body 1e12", nil, `--max-body: `},
	{"a whole number that is not one", "gen --devices 2x", nil, `--devices: "2x" is not a whole number \(such as 100, 1_000 or 1e6\)$`},
	{"a number of attempts beyond int", "send --url https://example.com/x --secret-file secret --attempts 99999999999999999999", nil, `--attempts: "99999999999999999999" is out of range$`},
	{"a count beyond int64", "gen --count 1e30", nil, `--count: "1e30" is too large$`},
	{"JSON with a trailer", "send --destination trailer.json --dry-run", nil, `destination file trailer.json: line 1: more after the JSON value$`},
	{"two YAML documents", "send --destination two.yaml --dry-run", nil, `destination file two.yaml: line 2: a second document: the file holds one$`},
}

// endless is standard input that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// TestBadInputUnderMemoryCap runs the real binary, built without the race detector, under a cap
// on its address space, for every bad input: each must end in one line naming what was wrong, exit
// 2, within 30 s, with no trace of the Go runtime.
func TestBadInputUnderMemoryCap(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	files := map[string]string{
		"secret":       "Kp7#ThingsTestSecret:2024/abcXYZ!\n",
		"trailer.json": `{"url": "https://example.com/x", "sharedSecret": "Kp7#ThingsTestSecret:2024/abcXYZ!"} {}`,
		"two.yaml":     "url: https://example.com/x\n---\nurl: https://example.org/y\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A text file past what replay reads whole.
	if err := os.WriteFile(filepath.Join(dir, "endless"), bytes.Repeat([]byte("x"), 65<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	var peakKiB int64
	for _, c := range badInputs {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			args := append([]string{"-c", `ulimit -v ` + strconv.Itoa(memoryCapKiB) + ` && exec "$0" "$@"`, bin}, strings.Fields(c.args)...)
			cmd := exec.CommandContext(ctx, "sh", args...)
			cmd.Dir = dir
			cmd.Stdin = c.stdin
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("thingsim %s: no end within 30 s", c.args)
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Errorf("thingsim %s: %v, want exit 2", c.args, err)
			}
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > peakKiB {
				peakKiB = ru.Maxrss
			}
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			if len(lines) == 2 && strings.HasPrefix(lines[1], "Run 'thingsim ") {
				lines = lines[:1] // cobra's pointer to --help
			}
			if len(lines) != 1 || !regexp.MustCompile(`^thingsim \S+: .*`+c.want).MatchString(lines[0]) {
				t.Errorf("thingsim %s: stderr\n%s\nwant one line matching %q", c.args, stderr.String(), c.want)
			}
			if stdout.Len() > 0 {
				t.Errorf("thingsim %s: wrote to standard output: %.200q", c.args, stdout.String())
			}
		})
	}
	t.Logf("%d bad inputs under a %d MiB address-space cap; the largest resident set was %d MiB", len(badInputs), memoryCapKiB>>10, peakKiB>>10)
}
