package inspector

import (
	"encoding/base64"
	"fmt"
	neturl "net/url"
	"strings"
	"unicode/utf8"
)

// skipInCurl are the headers curl writes itself, or that describe the connection rather than the
// message.
var skipInCurl = map[string]bool{"host": true, "content-length": true, "connection": true, "transfer-encoding": true,
	"accept-encoding": true, "user-agent": true}

// replayCommand sends the arrival again with thingsim replay: its record on standard input, its
// body byte for byte, signed again with the endpoint's secret.
func (h *Handler) replayCommand(a *Arrival) string {
	line, err := a.Record.MarshalLine()
	if err != nil {
		return ""
	}
	var b strings.Builder
	source := " /dev/stdin"
	if len(line) > MaxViewBody {
		// Too large to copy: the command replays the record the page's link downloads.
		source = fmt.Sprintf(" message-%d.jsonl", a.ID)
		b.WriteString("thingsim replay")
	} else {
		b.WriteString("printf '%s\\n' " + shellQuote(strings.TrimSuffix(string(line), "\n")) + " |\n  thingsim replay")
	}
	if h.cfg.Endpoint == "" {
		b.WriteString(" --destination dest.yaml")
	} else {
		b.WriteString(" --url " + shellQuote(h.cfg.Endpoint+target(a)) + " --relax")
		if h.cfg.CAFile != "" {
			b.WriteString(" --ca-file " + shellQuote(h.cfg.CAFile))
		}
		switch {
		case h.cfg.SecretFile != "":
			b.WriteString(" --secret-file " + shellWord(h.cfg.SecretFile))
		case h.cfg.SecretEnv != "":
			b.WriteString(" --secret-env " + shellWord(h.cfg.SecretEnv))
		default:
			b.WriteString(" --secret-file SECRET_FILE")
		}
	}
	b.WriteString(source)
	return b.String()
}

// curlCommand sends the arrival again with curl: the same method, target, headers (as they
// arrived, credentials still redacted) and body bytes, with the captured token.
func (h *Handler) curlCommand(a *Arrival) string {
	body, err := a.Record.Bytes()
	if err != nil || a.Record.BodyTruncated || len(body) > MaxViewBody {
		return "" // nothing to send, or too large to copy: replay the downloaded record
	}
	var b strings.Builder
	if utf8.Valid(body) && !strings.ContainsRune(string(body), 0) {
		b.WriteString("printf '%s' " + shellQuote(string(body)) + " |\n  ")
	} else {
		b.WriteString("printf '%s' " + shellQuote(base64.StdEncoding.EncodeToString(body)) + " | base64 -d |\n  ")
	}
	b.WriteString("curl")
	if h.cfg.CAFile != "" {
		b.WriteString(" --cacert " + shellQuote(h.cfg.CAFile))
	}
	method := a.Summary().Method
	url := "https://ENDPOINT" + target(a)
	switch {
	case h.cfg.Endpoint != "":
		url = h.cfg.Endpoint + target(a)
	case a.Record.Target == "" && a.Record.URL != "":
		url = a.Record.URL // a dead letter: where it was to go
	}
	b.WriteString(" -X " + shellQuote(method) + " " + shellQuote(url))
	headers := a.Record.Headers
	if len(headers) == 0 { // a dead letter: the platform's own headers
		if a.Record.PlugUUID != "" {
			b.WriteString(" \\\n  -H " + shellQuote("Things-Plug-UUID: "+a.Record.PlugUUID))
		}
		if a.Record.Token != "" {
			b.WriteString(" \\\n  -H " + shellQuote("Things-Message-Token: "+a.Record.Token))
		}
		b.WriteString(" \\\n  -H 'Content-Type: application/json'")
	}
	for _, hd := range headers {
		if skipInCurl[strings.ToLower(hd.Name)] {
			continue
		}
		b.WriteString(" \\\n  -H " + shellQuote(hd.Name+": "+hd.Value))
	}
	b.WriteString(" \\\n  --data-binary @-")
	return b.String()
}

// target is the request target of an arrival: as it arrived, or for a dead letter the path and
// query of the URL it was sent to.
func target(a *Arrival) string {
	if a.Record.Target != "" {
		return a.Record.Target
	}
	if u, err := neturl.Parse(a.Record.URL); err == nil && a.Record.URL != "" {
		return u.RequestURI()
	}
	return "/"
}

// shellWord is s as a POSIX shell word: as it is when it needs no quoting, else quoted.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:@") == "" {
		return s
	}
	return shellQuote(s)
}

// shellQuote quotes s for a POSIX shell: between single quotes, each single quote written as '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
