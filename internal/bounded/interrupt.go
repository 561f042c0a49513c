package bounded

import (
	"context"
	"errors"
	"io"
	"os"
)

// ErrInterrupted is the error of a read or an open given up because its context ended: Ctrl-C
// while thingsim waited for input (a terminal, a pipe, a named pipe without a writer yet).
var ErrInterrupted = errors.New("interrupted while waiting for input")

// Interruptible returns r as a reader whose Read gives up with ErrInterrupted when ctx ends. A
// regular file, or any reader but an *os.File, cannot wait for ever and is returned as it is; for
// the others each Read runs in a goroutine of its own, into a buffer of its own, which a given-up
// read leaves behind (the process is about to end).
func Interruptible(ctx context.Context, r io.Reader) io.Reader {
	f, ok := r.(*os.File)
	if !ok || ctx.Done() == nil {
		return r
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		return r
	}
	return &ctxReader{ctx: ctx, r: r}
}

type ctxReader struct {
	ctx     context.Context
	r       io.Reader
	pending chan readResult // a read still running, nil when none is
	buf     []byte          // what a read got that the caller has not taken
	err     error
}

type readResult struct {
	b   []byte
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if len(c.buf) == 0 && c.err == nil {
		if c.pending == nil {
			ch := make(chan readResult, 1)
			n := len(p)
			go func() {
				b := make([]byte, n)
				k, err := c.r.Read(b)
				ch <- readResult{b[:k], err}
			}()
			c.pending = ch
		}
		select {
		case res := <-c.pending:
			c.pending, c.buf, c.err = nil, res.b, res.err
		case <-c.ctx.Done():
			return 0, ErrInterrupted
		}
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	if len(c.buf) == 0 && c.err != nil {
		err := c.err
		c.err = nil
		return n, err
	}
	return n, nil
}

// OpenContext opens path for reading as os.Open does, a named pipe waiting for its writer, but
// gives up with ErrInterrupted when ctx ends; what it opened is then closed when the open returns.
func OpenContext(ctx context.Context, path string) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, ErrInterrupted
	}
}

// ReadFileContext is ReadFile, but reads a file that is not regular (a named pipe) so that Ctrl-C
// ends the wait.
func ReadFileContext(ctx context.Context, path string, limit int64) ([]byte, error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(Interruptible(ctx, f), path, limit)
}
