package cmd

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/thingsim/thingsim/internal/localca"
	"github.com/thingsim/thingsim/sender"
)

func TestMain(m *testing.M) {
	testscript.Main(removeBuilt{m}, map[string]func(){"thingsim": func() { os.Exit(Main()) }})
}

// removeBuilt runs the tests, then removes the binary buildBinary built.
type removeBuilt struct{ m *testing.M }

func (r removeBuilt) Run() int {
	code := r.m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	return code
}

// TestScripts runs the end-to-end scripts of testdata/script: the real binary, real sockets.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"endpoint": cmdEndpoint,
			"chomp":    cmdChomp,
			"waitfor":  cmdWaitFor,
			"envfile":  cmdEnvFile,
			"bodies":   cmdBodies,
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}

// cmdEndpoint starts an HTTPS endpoint in the test process, with a throwaway CA.
//
//	endpoint NAME [-secret FILE] [-status 503,200] [-hang N] [-need RECORD]
//
// It writes the CA to $WORK/NAME-ca.pem, sets $NAME_URL to https://127.0.0.1:PORT/thingsdata, and
// appends a line per request to $WORK/NAME.log: the method and target, the status answered, the
// token's verdict under -secret (valid, invalid, missing, unchecked), the plug UUID, the header
// names as Go canonicalises them, and the body. -status scripts the answers to the requests in
// order, the last repeating; -hang N holds request N (1-based) until the client gives up; -need
// RECORD refuses, after the token check, a pack without a record of that name (400), as a receiver
// that decodes its packs does.
func cmdEndpoint(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: endpoint NAME [-secret FILE] [-status 503,200] [-hang N]")
	}
	name := args[0]
	var secret *sender.Secret
	statuses := []int{200}
	hang := 0
	need := ""
	for i := 1; i < len(args); i++ {
		if i+1 >= len(args) {
			ts.Fatalf("endpoint: %s needs a value", args[i])
		}
		switch args[i] {
		case "-secret":
			s, err := sender.ReadSecretFile(ts.MkAbs(args[i+1]))
			ts.Check(err)
			secret = &s
		case "-status":
			statuses = nil
			for _, f := range strings.Split(args[i+1], ",") {
				n, err := strconv.Atoi(f)
				ts.Check(err)
				statuses = append(statuses, n)
			}
		case "-hang":
			n, err := strconv.Atoi(args[i+1])
			ts.Check(err)
			hang = n
		case "-need":
			need = args[i+1]
		default:
			ts.Fatalf("endpoint: unknown option %s", args[i])
		}
		i++
	}
	ca, err := localca.New("test endpoint")
	ts.Check(err)
	cfg, err := ca.ServerConfig()
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(name+"-ca.pem"), ca.CertPEM(), 0o644))
	logFile, err := os.OpenFile(ts.MkAbs(name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	ts.Check(err)
	var mu sync.Mutex
	n := 0
	done := make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		n++
		k := n
		status := statuses[min(k, len(statuses))-1]
		mu.Unlock()
		if k == hang {
			mu.Lock()
			fmt.Fprintf(logFile, "%s %s hanging\n", r.Method, r.URL.RequestURI())
			mu.Unlock()
			select {
			case <-r.Context().Done():
			case <-done:
			}
			return
		}
		verdict := "unchecked"
		token := r.Header.Get(sender.TokenHeader)
		switch {
		case secret == nil:
		case token == "":
			verdict, status = "missing", 401
		case sender.Verify(body, *secret, token):
			verdict = "valid"
		default:
			verdict, status = "invalid", 401
		}
		if need != "" && status < 300 && !holdsRecord(body, need) {
			status = 400
			w.Header().Set("Content-Type", "text/plain")
			defer io.WriteString(w, "no "+need+" record: not one of our devices")
		}
		var names []string
		for h := range r.Header {
			names = append(names, h)
		}
		mu.Lock()
		fmt.Fprintf(logFile, "%s %s %d token=%s plug=%s headers=%s auth=%q body=%s\n", r.Method, r.URL.RequestURI(), status, verdict,
			r.Header.Get(sender.PlugHeader), strings.Join(sorted(names), ","), r.Header.Get("Authorization"), body)
		mu.Unlock()
		w.WriteHeader(status)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: handler, TLSConfig: cfg, ErrorLog: log.New(io.Discard, "", 0), ReadHeaderTimeout: 10 * time.Second}
	go srv.ServeTLS(l, "", "")
	ts.Defer(func() {
		close(done)
		srv.Close()
		logFile.Close()
	})
	ts.Setenv(strings.ToUpper(name)+"_URL", "https://"+l.Addr().String()+"/thingsdata")
	ts.Setenv(strings.ToUpper(name)+"_CA", filepath.Join(ts.Getenv("WORK"), name+"-ca.pem"))
}

// holdsRecord reports whether a pack has a record of the given name.
func holdsRecord(body []byte, name string) bool {
	var pack []map[string]any
	json.Unmarshal(body, &pack)
	for _, r := range pack {
		if r["n"] == name {
			return true
		}
	}
	return false
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}

// cmdChomp removes one trailing newline from each file: txtar files always end in one, and bodies
// are signed over their exact bytes.
//
//	chomp FILE...
func cmdChomp(ts *testscript.TestScript, neg bool, args []string) {
	for _, f := range args {
		p := ts.MkAbs(f)
		b, err := os.ReadFile(p)
		ts.Check(err)
		ts.Check(os.WriteFile(p, []byte(strings.TrimSuffix(string(b), "\n")), 0o644))
	}
}

// cmdWaitFor waits up to ten seconds until a file holds a line matching a pattern, so that a script
// acts once a background command has reached a known point rather than after a guessed sleep.
//
//	waitfor FILE PATTERN
func cmdWaitFor(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: waitfor FILE PATTERN")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(ts.MkAbs(args[0])); err == nil && re.Match(b) {
			return
		}
	}
	ts.Fatalf("waitfor: no line matching %q in %s after 10s", args[1], args[0])
}

// cmdEnvFile sets an environment variable to a file's first line: the URL a background receiver
// wrote with --url-out.
//
//	envfile NAME FILE
func cmdEnvFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: envfile NAME FILE")
	}
	line, _, _ := strings.Cut(ts.ReadFile(args[1]), "\n")
	ts.Setenv(args[0], strings.TrimSpace(line))
}

// cmdBodies writes the exact bodies of a file of message records, one base64 line each, and the
// verdicts, so that scripts can compare two captures byte for byte with cmp.
//
//	bodies RECORDS OUT
func cmdBodies(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: bodies RECORDS OUT")
	}
	var out strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(ts.ReadFile(args[0])), "\n") {
		var rec sender.MessageRecord
		ts.Check(json.Unmarshal([]byte(line), &rec))
		body, err := rec.Bytes()
		ts.Check(err)
		fmt.Fprintf(&out, "%s\n", base64.StdEncoding.EncodeToString(body))
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(out.String()), 0o644))
}
