// Package bounded reads what comes from outside (files, standard input) up to a limit, so that
// /dev/zero, a huge file or an endless pipe ends in an error that names it, not in an
// out-of-memory crash.
package bounded

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// Limits of what thingsim reads.
const (
	// Secret bounds a secret file, or a secret from standard input.
	Secret = 64 << 10
	// Config bounds a destination file and a receiver's secrets file.
	Config = 1 << 20
	// Certificates bounds a CA file or a trust store.
	Certificates = 16 << 20
	// Body bounds a payload: 1 MiB, the largest body receive accepts by default; the platform
	// does not document its own limit.
	Body = 1 << 20
	// Record bounds a line of a capture or dead-letter file: a message record whose body is up to
	// 48 MiB, in base64.
	Record = 64 << 20
	// Whole bounds a file replay reads whole: a HAR file, raw HTTP, a body file.
	Whole = 64 << 20
)

// TooLargeError is the error of a read past its limit.
type TooLargeError struct {
	Name  string // the file, or "standard input"
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %s", e.Name, Size(e.Limit))
}

// ReadFile reads the file at path, failing with a *TooLargeError past limit bytes. Errors opening
// it are *os.PathError, as os.ReadFile's.
//
// A named pipe is opened without waiting for a writer: one that has none reads as empty instead
// of holding thingsim, deaf to Ctrl-C, in the open call.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path, limit)
}

// Read reads r to its end, failing with a *TooLargeError past limit bytes; name names r.
func Read(r io.Reader, name string, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Name: name, Limit: limit}
	}
	return b, nil
}

// LineTooLongError is the error of a line longer than its limit.
type LineTooLongError struct {
	Line  int // 1-based
	Limit int64
}

func (e *LineTooLongError) Error() string {
	return fmt.Sprintf("line %d is longer than %s", e.Line, Size(e.Limit))
}

// ReadLine reads r up to and including the next newline, failing with a *LineTooLongError (line
// being the line's number, for the error) past limit bytes before it. At the end of r it returns
// what is left, with io.EOF when nothing is.
func ReadLine(r *bufio.Reader, line int, limit int64) ([]byte, error) {
	var out []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if int64(len(out)+len(chunk)) > limit+1 { // the newline is not counted
			return nil, &LineTooLongError{Line: line, Limit: limit}
		}
		out = append(out, chunk...)
		if err != bufio.ErrBufferFull {
			if err == io.EOF && len(out) > 0 {
				err = nil
			}
			return out, err
		}
	}
}

// Size writes a byte count in the largest binary unit that divides it: 64 KiB, 16 MiB, 1 GiB.
func Size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// NamedError turns *os.PathError's "open X: no such file or directory" into "X: no such file or
// directory", naming the file the user gave.
func NamedError(err error, path string) error {
	if pe, ok := err.(*os.PathError); ok {
		return fmt.Errorf("%s: %w", path, pe.Err)
	}
	return err
}
