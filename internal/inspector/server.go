// Package inspector is the page that shows what arrives, as it arrives: receive --ui serves it
// beside the reference endpoint and inspect serves it over capture and dead-letter files. It is
// one HTML page, its script and a charting library, all embedded, over an HTTP API under the same
// origin (/api/messages, /api/events, /api/messages/ID), which scripts may use too.
//
// The page renders bytes anyone can post, so every captured string goes into the page as text,
// never as markup, and a strict Content-Security-Policy allows no inline script. The server answers
// only requests whose Host is localhost or an IP address (no DNS rebinding), and a change of state
// needs a same-origin POST with the run's token.
package inspector

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/thingsim/thingsim/internal/receiver"
)

//go:embed assets
var assets embed.FS

// TokenHeader carries the run's token on a POST.
const TokenHeader = "X-Thingsim-Token"

// Config configures the inspector.
type Config struct {
	Store *Store
	// Title names what the page shows: "receive on https://127.0.0.1:8443/" or the files.
	Title string
	// Endpoint is the endpoint's base URL, CAFile the file of its CA, and SecretFile or SecretEnv
	// where its secret is (a path or a variable's name, never the secret), for the commands the
	// page copies; empty: placeholders.
	Endpoint, CAFile, SecretFile, SecretEnv string
	// Answer and SetAnswer read and change how the endpoint answers; nil: read-only (inspect).
	Answer    func() receiver.Answer
	SetAnswer func(receiver.Answer)
	// Status is the endpoint's answer when no script is set.
	Status int
}

// Handler serves the page, its assets and the API.
type Handler struct {
	cfg   Config
	token string
	mux   *http.ServeMux
	page  *template.Template
}

// NewHandler returns the inspector's handler, with a fresh token for this run.
func NewHandler(cfg Config) (*Handler, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	page, err := template.ParseFS(assets, "assets/index.html")
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, token: hex.EncodeToString(b[:]), mux: http.NewServeMux(), page: page}
	static, _ := fs.Sub(assets, "assets")
	h.mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(static)))
	h.mux.HandleFunc("GET /{$}", h.index)
	h.mux.HandleFunc("GET /api/messages", h.messages)
	h.mux.HandleFunc("GET /api/messages/{id}", h.message)
	h.mux.HandleFunc("GET /api/messages/{id}/record", h.record)
	h.mux.HandleFunc("GET /api/points", h.points)
	h.mux.HandleFunc("GET /api/events", h.events)
	h.mux.HandleFunc("GET /api/answer", h.answer)
	h.mux.HandleFunc("POST /api/answer", h.setAnswer)
	return h, nil
}

// Token is the run's token, which a POST must carry in X-Thingsim-Token.
func (h *Handler) Token() string { return h.token }

// ServeHTTP refuses other hosts, sets the security headers and serves.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !allowedHost(r.Host) {
		http.Error(w, "this inspector answers only to localhost or an IP address, not "+strconv.Quote(r.Host), http.StatusMisdirectedRequest)
		return
	}
	// A page of another site may not read the API, nor make the inspector do the work of a read
	// (a big pack's view): a browser says where a request comes from.
	if site := r.Header.Get("Sec-Fetch-Site"); strings.HasPrefix(r.URL.Path, "/api/") && (site == "cross-site" || site == "same-site") {
		http.Error(w, "refused: a read of the inspector's API from another site ("+site+")", http.StatusForbidden)
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// allowedHost reports whether a Host header names localhost or an IP address. A name that a DNS
// server controls could be made to point at 127.0.0.1 (DNS rebinding): it is refused.
func allowedHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.EqualFold(host, "localhost") || net.ParseIP(host) != nil
}

func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	h.page.Execute(w, map[string]any{"Token": h.token, "Title": h.cfg.Title, "ReadOnly": h.cfg.SetAnswer == nil})
}

// List is the answer of GET /api/messages.
type List struct {
	Total    int64      `json:"total"` // arrivals so far
	Kept     int        `json:"kept"`  // of which the store still has
	Messages []*Summary `json:"messages"`
}

func (h *Handler) messages(w http.ResponseWriter, r *http.Request) {
	after, err := queryInt(r, "after", 0)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	limit, err := queryInt(r, "limit", 1000)
	if err != nil || limit < 1 {
		http.Error(w, "limit: a positive number", http.StatusBadRequest)
		return
	}
	list := List{Total: h.cfg.Store.Total(), Kept: h.cfg.Store.Kept(), Messages: []*Summary{}}
	for _, a := range h.cfg.Store.Newest(after, int(min(limit, 10000))) {
		list.Messages = append(list.Messages, a.Summary())
	}
	writeJSON(w, list)
}

func queryInt(r *http.Request, name string, def int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a whole number", name, s)
	}
	return n, nil
}

func (h *Handler) arrival(w http.ResponseWriter, r *http.Request) (*Arrival, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "not a message number", http.StatusBadRequest)
		return nil, false
	}
	a, ok := h.cfg.Store.Get(id)
	if !ok {
		http.Error(w, "no such message: it never came or is no longer kept", http.StatusNotFound)
		return nil, false
	}
	return a, true
}

// Detail is the answer of GET /api/messages/ID: the view and the commands that send it again.
type Detail struct {
	*View
	Replay string `json:"replay"`
	Curl   string `json:"curl"`
}

func (h *Handler) message(w http.ResponseWriter, r *http.Request) {
	a, ok := h.arrival(w, r)
	if !ok {
		return
	}
	writeJSON(w, Detail{View: a.View(), Replay: h.replayCommand(a), Curl: h.curlCommand(a)})
}

func (h *Handler) record(w http.ResponseWriter, r *http.Request) {
	a, ok := h.arrival(w, r)
	if !ok {
		return
	}
	line, err := a.Record.MarshalLine()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="message-%d.jsonl"`, a.ID))
	w.Write(line)
}

// Points is the answer of GET /api/points?device=D[&after=ID]: every kept numeric measurement of
// a device (in arrivals numbered above after), oldest first.
type Points struct {
	Device  string  `json:"device"`
	Through int64   `json:"through"` // the newest arrival they include
	Points  []Point `json:"points"`
}

func (h *Handler) points(w http.ResponseWriter, r *http.Request) {
	device := r.URL.Query().Get("device")
	after, err := queryInt(r, "after", 0)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out := Points{Device: device, Points: []Point{}}
	for _, a := range h.cfg.Store.All() {
		out.Through = a.ID
		if a.ID <= after {
			continue
		}
		if v := a.Summary(); v.Device == device {
			out.Points = append(out.Points, v.Points...)
		}
	}
	writeJSON(w, out)
}

// AnswerState is how the endpoint answers, as GET and POST /api/answer give it.
type AnswerState struct {
	Editable bool   `json:"editable"`
	Script   string `json:"script"` // the --respond script; empty: Status to every valid request
	Status   int    `json:"status,omitempty"`
	Delay    string `json:"delay"`
}

func (h *Handler) answerState() AnswerState {
	if h.cfg.Answer == nil {
		return AnswerState{Delay: "0s"}
	}
	a := h.cfg.Answer()
	parts := make([]string, len(a.Script))
	for i, act := range a.Script {
		parts[i] = act.String()
	}
	return AnswerState{Editable: h.cfg.SetAnswer != nil, Script: strings.Join(parts, ","), Status: h.cfg.Status, Delay: a.Delay.String()}
}

func (h *Handler) answer(w http.ResponseWriter, r *http.Request) { writeJSON(w, h.answerState()) }

// setAnswer changes the endpoint's answer: a same-origin POST of JSON {"script": "500,200",
// "delay": "1s"} with the run's token.
func (h *Handler) setAnswer(w http.ResponseWriter, r *http.Request) {
	if h.cfg.SetAnswer == nil {
		http.Error(w, "read-only: inspect shows files, there is no endpoint to answer", http.StatusMethodNotAllowed)
		return
	}
	if why := h.refusePost(r); why != "" {
		http.Error(w, why, http.StatusForbidden)
		return
	}
	var in struct {
		Script string `json:"script"`
		Delay  string `json:"delay"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		http.Error(w, "the body must be JSON {\"script\": \"500,200\", \"delay\": \"1s\"}: "+err.Error(), http.StatusBadRequest)
		return
	}
	var a receiver.Answer
	if s := strings.TrimSpace(in.Script); s != "" {
		script, err := receiver.ParseScript(s)
		if err != nil {
			http.Error(w, "script: "+err.Error(), http.StatusBadRequest)
			return
		}
		a.Script = script
	}
	if d := strings.TrimSpace(in.Delay); d != "" {
		delay, err := time.ParseDuration(d)
		if err != nil || delay < 0 || delay > time.Hour {
			http.Error(w, fmt.Sprintf("delay: %q is not a duration from 0s to 1h", d), http.StatusBadRequest)
			return
		}
		a.Delay = delay
	}
	h.cfg.SetAnswer(a)
	state := h.answerState()
	h.cfg.Store.Note(state)
	writeJSON(w, state)
}

// refusePost says why a state-changing request is refused: it must come from this origin, as
// JSON, with the run's token (which only the page, read from this origin, knows).
func (h *Handler) refusePost(r *http.Request) string {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return "refused: a request from another site (" + site + ")"
	}
	if origin := r.Header.Get("Origin"); origin != "" && origin != "http://"+r.Host {
		return "refused: a request from another origin"
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return "refused: the body must be application/json"
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get(TokenHeader)), []byte(h.token)) != 1 {
		return "refused: no or a wrong " + TokenHeader + " (the page's token of this run)"
	}
	return ""
}

// Batching of live arrivals: at most one batch a window, of at most the newest maxBatch (a page
// keeps no more); after a batch that had more, the window widens to busyWindow. So a page costs
// the endpoint about as much at 10,000 arrivals a second as at 4,000.
const (
	window     = 250 * time.Millisecond
	busyWindow = time.Second
	maxBatch   = 1000
)

// Batch is the data of a "messages" event: arrivals oldest first, the total so far, how many
// arrivals this stream missed because it fell behind (the reader was slow or stuck), and how
// many it skipped because they were older than the newest maxBatch of a window.
type Batch struct {
	Total    int64             `json:"total"`
	Missed   int64             `json:"missed,omitempty"`
	Skipped  int64             `json:"skipped,omitempty"`
	Messages []json.RawMessage `json:"messages"`
}

// events streams arrivals as Server-Sent Events: "hello" with the total at the start; "messages"
// with a Batch, its id the newest arrival's; "answer" when the answer changes; a keep-alive
// comment every 15 s. A reader that stops reading holds up only its own stream's writer: the
// stream goes on collecting the newest arrivals, counts what it drops as missed, and the store
// never waits for it.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported here", http.StatusInternalServerError)
		return
	}
	store := h.cfg.Store
	sub := store.subscribe()
	defer store.unsubscribe(sub)
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 1000\nevent: hello\ndata: {\"total\":%d}\n\n", store.Total())
	flusher.Flush()

	type out struct {
		arrivals        []*Arrival
		missed, skipped int64
		note            any
		keepAlive       bool
	}
	writes := make(chan out) // unbuffered: the writer takes one when it is free
	written := make(chan struct{})
	go func() {
		defer close(written)
		for o := range writes {
			if o.keepAlive {
				io.WriteString(w, ": keep-alive\n\n")
			}
			if o.note != nil {
				writeEvent(w, "answer", 0, o.note)
			}
			if len(o.arrivals) > 0 || o.missed > 0 {
				b := Batch{Total: store.Total(), Missed: o.missed, Skipped: o.skipped, Messages: make([]json.RawMessage, len(o.arrivals))}
				for i, a := range o.arrivals {
					a.Summary()
					b.Messages[i] = a.summaryJSON
				}
				var id int64
				if len(o.arrivals) > 0 {
					id = o.arrivals[len(o.arrivals)-1].ID
				}
				writeEvent(w, "messages", id, b)
			}
			flusher.Flush()
		}
	}()
	defer func() {
		close(writes)
		<-written // the response is not the writer's once the handler returns
	}()

	var (
		pending         []*Arrival
		missed, skipped int64
		note            any
		busy            bool // the writer is behind: the reader is slow or stuck
		last            time.Time
		armed           bool
		every           = window
	)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	arm := func(d time.Duration) {
		if !armed {
			timer.Reset(d)
			armed = true
		}
	}
	// send hands what is pending to the writer if it is free, else tries again a window later.
	send := func() {
		missed += sub.missed.Swap(0)
		o := out{arrivals: pending, missed: missed, skipped: skipped, note: note}
		every = window
		if len(o.arrivals) > maxBatch {
			every = busyWindow
			o.skipped += int64(len(o.arrivals) - maxBatch)
			if busy {
				o.missed, o.skipped = o.missed+o.skipped, 0
			}
			o.arrivals = o.arrivals[len(o.arrivals)-maxBatch:]
		}
		select {
		case writes <- o:
			pending, missed, skipped, note, busy, last = nil, 0, 0, nil, false, time.Now()
		default:
			// The writer still writes an earlier batch. Behind by more than a window, the reader is
			// slow or stuck: what drops from now on is missed, not merely skipped.
			busy = busy || time.Since(last) > 2*every
			arm(every)
		}
	}
	schedule := func() {
		if wait := every - time.Since(last); wait > 0 {
			arm(wait)
		} else if !armed {
			send()
		}
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case a := <-sub.arrivals:
			pending = append(pending, a)
			if len(pending) >= 2*maxBatch { // keep the newest maxBatch: a page keeps no more
				drop := int64(len(pending) - maxBatch)
				if busy {
					missed += drop
				} else {
					skipped += drop
				}
				pending = append(pending[:0], pending[drop:]...)
			}
			schedule()
		case n := <-sub.notes:
			note = n
			schedule()
		case <-timer.C:
			armed = false
			if len(pending) > 0 || note != nil || sub.missed.Load() > 0 || missed > 0 {
				send()
			}
		case <-keepAlive.C:
			select {
			case writes <- out{keepAlive: true}:
			default:
			}
		}
	}
}

func writeEvent(w io.Writer, name string, id int64, v any) {
	b, _ := json.Marshal(v)
	if id > 0 {
		fmt.Fprintf(w, "id: %d\n", id)
	}
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.Encode(v)
}
