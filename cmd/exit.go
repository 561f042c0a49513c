package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/thingsim/thingsim/internal/bounded"
	"github.com/thingsim/thingsim/sender"
)

// Exit codes, the same for every command.
const (
	exitOK          = 0   // everything delivered as expected, or the check passed
	exitFailed      = 1   // a delivery failed, was discarded or answered an unexpected status; a check failed
	exitUsage       = 2   // usage or configuration error: nothing was sent
	exitUndecided   = 3   // audit: nothing was proven against the endpoint, but some required checks are undecided
	exitInterrupted = 130 // stopped by Ctrl-C or SIGTERM
)

// exitError carries an exit code. A nil err means that everything was reported already.
type exitError struct {
	code  int
	err   error
	usage bool // print a pointer to --help
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a wrong use of flags or arguments.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...), usage: true}
}

// configError reports bad input that stops the command before anything is sent: a destination
// that breaks the rules, an unreadable file, a missing secret.
// Input given up on Ctrl-C (bounded.ErrInterrupted) is no bad input: it is errInterrupted.
func configError(err error) error {
	if errors.Is(err, bounded.ErrInterrupted) {
		return errInterrupted
	}
	return &exitError{code: exitUsage, err: err}
}

// configErrorf formats a configError; an argument that is an interrupted read makes it
// errInterrupted, as %v would lose it.
func configErrorf(format string, args ...any) error {
	for _, a := range args {
		if err, ok := a.(error); ok && errors.Is(err, bounded.ErrInterrupted) {
			return errInterrupted
		}
	}
	return configError(fmt.Errorf(format, args...))
}

// failed reports a failure the command has already shown in its output.
var errFailed = &exitError{code: exitFailed}

// failure reports a failure that has not been shown yet; an error that carries its exit code
// already (input that could not be read is a usage error) keeps it.
func failure(err error) error {
	var e *exitError
	if errors.As(err, &e) {
		return err
	}
	return &exitError{code: exitFailed, err: err}
}

// errUndecided reports an audit whose required checks did not fail, but not all passed either; its
// results have been shown.
var errUndecided = &exitError{code: exitUndecided}

// errInterrupted reports that the run was stopped; the summary has been printed.
var errInterrupted = &exitError{code: exitInterrupted, err: errors.New("interrupted")}

// exitCodeOf maps a command's error to an exit code and the message to print, if any. Errors
// that are not exitErrors come from cobra's own parsing of the command line: usage errors.
func exitCodeOf(ctx context.Context, err error) (code int, msg string, usage bool) {
	if err == nil {
		return exitOK, "", false
	}
	if errors.Is(err, bounded.ErrInterrupted) {
		return exitInterrupted, "interrupted", false
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err == nil {
			return ee.code, "", false
		}
		return ee.code, ee.err.Error(), ee.usage
	}
	var re *sender.RuleError
	if errors.As(err, &re) {
		return exitUsage, re.Error(), false
	}
	if ctx.Err() != nil {
		return exitInterrupted, "", false
	}
	return exitUsage, err.Error(), true
}
