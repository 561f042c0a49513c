package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/thingsim/thingsim/internal/audit"
)

// confirmFunc returns audit's Confirm for --confirm: nil without it.
func (opts *auditOptions) confirmFunc() func(context.Context, audit.Confirmation) error {
	if opts.confirm == "" {
		return nil
	}
	return func(ctx context.Context, c audit.Confirmation) error {
		return runConfirm(ctx, opts.confirm, opts.confirmFor, c)
	}
}

// runConfirm runs command with sh -c until it exits 0, waiting a little longer after each failure,
// for at most limit. The command learns the pack from its environment: THINGSIM_DEVICE (the base
// name), THINGSIM_TIME (the base time, Unix seconds), THINGSIM_PLUG_UUID, THINGSIM_CHECK, and
// THINGSIM_BODY_FILE, a file of mode 0600 holding the exact body, removed afterwards. Its standard
// output is dropped; the end of its standard error says why its last run failed.
func runConfirm(ctx context.Context, command string, limit time.Duration, c audit.Confirmation) error {
	f, err := os.CreateTemp("", "thingsim-confirm-*.json")
	if err != nil {
		return fmt.Errorf("--confirm: the body file: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(c.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--confirm: the body file: %w", err)
	}
	env := append(os.Environ(),
		"THINGSIM_DEVICE="+c.Device, "THINGSIM_TIME="+c.Time, "THINGSIM_PLUG_UUID="+c.PlugUUID,
		"THINGSIM_CHECK="+c.Check, "THINGSIM_BODY_FILE="+f.Name())
	deadline, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	wait := 100 * time.Millisecond
	for runs := 1; ; runs++ {
		cmd := exec.CommandContext(deadline, "sh", "-c", command)
		cmd.Env = env
		var stderr tailBuffer
		cmd.Stderr = &stderr
		cmd.WaitDelay = time.Second // a child that keeps standard error open does not hold audit
		err := cmd.Run()
		if err == nil {
			return nil
		}
		var exit *exec.ExitError
		last := err.Error()
		if errors.As(err, &exit) && exit.ExitCode() >= 0 {
			last = fmt.Sprintf("exit status %d", exit.ExitCode())
		} else if !errors.As(err, &exit) && deadline.Err() == nil {
			return fmt.Errorf("--confirm could not run sh: %v", err) // no sh: waiting will not help
		}
		if tail := strings.TrimSpace(wireText(stderr.String())); tail != "" {
			last += ": " + tail
		}
		timer := time.NewTimer(wait)
		select {
		case <-deadline.Done():
			timer.Stop()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("--confirm did not succeed within %v (%d runs; the last: %s)", limit, runs, last)
		case <-timer.C:
		}
		wait = min(2*wait, time.Second)
	}
}

// tailBuffer keeps the last bytes written to it.
type tailBuffer struct{ b []byte }

const maxTail = 200

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > maxTail {
		t.b = append(t.b[:0], t.b[len(t.b)-maxTail:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	s := strings.ToValidUTF8(string(t.b), "")
	if i := strings.LastIndexByte(strings.TrimRight(s, "\n"), '\n'); i >= 0 {
		s = s[i+1:] // its last line
	}
	return s
}
