package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/thingsim/thingsim/internal/capture"
	"github.com/thingsim/thingsim/internal/inspector"
	"github.com/thingsim/thingsim/internal/record"
)

// defaultUIListen is where the inspector listens unless told otherwise: loopback only.
const defaultUIListen = "127.0.0.1:8090"

// uiServer is the inspector's plain-HTTP server.
type uiServer struct {
	srv *http.Server
	url string
}

// serveUI listens on addr and serves h there until close. A listen address that is not loopback
// gets a warning: anyone who can reach it sees the traffic.
func serveUI(ios *IOStreams, addr, urlOut string, h http.Handler) (*uiServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, configErrorf("--ui-listen %s: %v", addr, err)
	}
	if !loopback(ln.Addr()) {
		fmt.Fprintf(ios.ErrOut, "%s the inspector listens on %s, beyond this machine: anyone who can reach it sees the traffic (bodies, tokens, headers; credentials redacted)\n",
			ios.errPalette().warn.Sprint("warning:"), ln.Addr())
	}
	s := &uiServer{srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second, ErrorLog: discardLog}, url: "http://" + ln.Addr().String() + "/"}
	if urlOut != "" {
		if err := os.WriteFile(urlOut, []byte(s.url+"\n"), 0o644); err != nil {
			ln.Close()
			return nil, configErrorf("--ui-url-out: %v", pathError(err))
		}
	}
	go s.srv.Serve(ln)
	return s, nil
}

// close ends the server and its live streams at once: a page left open must not hold up the exit.
func (s *uiServer) close() { s.srv.Close() }

// discardLog takes net/http's server log: a browser that goes away mid-stream is not news.
var discardLog = log.New(io.Discard, "", 0)

func quoteList(files []string) string { return strings.Join(files, ", ") }

func loopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

type inspectOptions struct {
	ios    *IOStreams
	files  []string
	listen string
	urlOut string
}

func newInspectCmd(ios *IOStreams, runF func(context.Context, *inspectOptions) error) *cobra.Command {
	opts := &inspectOptions{ios: ios}
	c := &cobra.Command{
		Use:   "inspect FILE...",
		Short: "Open the inspector page over capture and dead-letter files",
		Long: `Serve the inspector, the page 'receive --ui' serves beside the endpoint, over files:
receive's captures and send's dead letters (message records), or anything replay reads (body
files, bodies one per line, raw HTTP, HAR). Each message shows its headers, token verdict, body,
resolved SenML records and the commands that send it again; a chart per device plots its
numeric measurements. Read-only; Ctrl-C stops.

The page listens on loopback unless --ui-listen says otherwise, over plain HTTP.`,
		Example: `  thingsim inspect capture.jsonl
  thingsim inspect --ui-listen 127.0.0.1:0 --ui-url-out ui-url dead.jsonl capture.jsonl`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.files = args
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runInspect(c.Context(), opts)
		},
	}
	fs := c.Flags()
	fs.StringVar(&opts.listen, "ui-listen", defaultUIListen, "address of the page (port 0 picks a free one), as receive --ui-listen")
	fs.StringVar(&opts.urlOut, "ui-url-out", "", "write the page's URL to `FILE` once listening (for scripts)")
	return c
}

func runInspect(ctx context.Context, opts *inspectOptions) error {
	ios := opts.ios
	store := inspector.NewStore(0, 0)
	bad := 0
	for _, path := range opts.files {
		n, problems, err := loadRecords(ctx, store, path, ios.In)
		if err != nil {
			return configErrorf("%v", err)
		}
		for _, p := range problems {
			fmt.Fprintf(ios.ErrOut, "%s %s\n", ios.errPalette().warn.Sprint("skipped:"), wireText(p))
		}
		bad += len(problems)
		fmt.Fprintf(ios.ErrOut, "%s: %d message%s\n", path, n, plural(n))
	}
	if store.Total() == 0 {
		return configErrorf("no message in %s", quoteList(opts.files))
	}
	h, err := inspector.NewHandler(inspector.Config{Store: store, Title: "inspect " + quoteList(opts.files)})
	if err != nil {
		return failure(err)
	}
	ui, err := serveUI(ios, opts.listen, opts.urlOut, h)
	if err != nil {
		return err
	}
	defer ui.close()
	fmt.Fprintf(ios.ErrOut, "inspector on %s (%d message%s); Ctrl-C stops\n", ui.url, store.Total(), plural(int(store.Total())))
	<-ctx.Done()
	return nil
}

// loadRecords adds the messages of one file to the store: message records whole, other formats
// as records of their body and headers. It returns how many it added and what it skipped.
func loadRecords(ctx context.Context, store *inspector.Store, path string, stdin io.Reader) (int, []string, error) {
	src, err := capture.OpenContext(ctx, path, stdin)
	if err != nil {
		return 0, nil, err
	}
	defer src.Close()
	n := 0
	var problems []string
	for {
		it, err := src.Next()
		var p *capture.Problem
		switch {
		case errors.Is(err, io.EOF):
			return n, problems, nil
		case errors.As(err, &p):
			problems = append(problems, p.Error())
			continue
		case err != nil:
			return n, append(problems, err.Error()), nil // a read error: the rest is lost, what came is shown
		}
		rec := it.Record
		if rec == nil {
			rec = &record.MessageRecord{Method: "POST", PlugUUID: it.PlugUUID, Token: it.Token, Headers: it.Headers, Verdict: it.Verdict}
			rec.SetBody(it.Body)
		}
		if rec.Time == "" {
			rec.Time = time.Now().UTC().Format(time.RFC3339Nano)
		}
		store.Add(*rec)
		n++
	}
}
