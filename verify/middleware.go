package verify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
)

// DefaultMaxBody is the largest body Middleware reads unless Config says otherwise: 1 MiB.
const DefaultMaxBody = 1 << 20

// Config says how Middleware checks requests.
type Config struct {
	// Secrets returns the shared secrets of the destination whose plug UUID a request names (one,
	// or two while a secret is rotated): from one constant, a map or a database. No secret and no
	// error means the plug UUID is not one of yours. An error answers 500.
	Secrets func(ctx context.Context, plugUUID string) ([]string, error)
	// MaxBody bounds the body read; a larger one is answered 413. Zero means DefaultMaxBody.
	MaxBody int64
	// Others, when set, returns secrets that must not verify a request from plugUUID but that a
	// sender may sign with by mistake (the one a rotation replaced, another destination's): a
	// refusal then names the one a token matches, for Refused (see CheckKnowing).
	Others func(ctx context.Context, plugUUID string) []string
	// Refused, when set, is told of every refused request and why (the error may be a
	// *MismatchError with its near miss): for your logs, not for the client.
	Refused func(r *http.Request, status int, err error)
}

// OneSecret is a Config.Secrets for a receiver of one destination: every plug UUID gets secret.
func OneSecret(secret string) func(context.Context, string) ([]string, error) {
	return func(context.Context, string) ([]string, error) { return []string{secret}, nil }
}

// SecretsByPlug is a Config.Secrets for a receiver of several destinations, by plug UUID.
func SecretsByPlug(secrets map[string]string) func(context.Context, string) ([]string, error) {
	return func(_ context.Context, plug string) ([]string, error) {
		if s, ok := secrets[plug]; ok {
			return []string{s}, nil
		}
		return nil, nil
	}
}

type plugKey struct{}

// PlugUUID returns the plug UUID of a request Middleware let through.
func PlugUUID(ctx context.Context) (string, bool) {
	p, ok := ctx.Value(plugKey{}).(string)
	return p, ok
}

// Middleware checks every request's Things-Message-Token over its raw body before next sees it.
// It reads the body up to cfg.MaxBody (413 beyond it), looks the secrets up by Things-Plug-UUID,
// and refuses with 401 (no token, a malformed one, one that does not match) or 403 (a plug UUID
// that is not yours), with a short reason that never holds a secret or the expected token. A request
// that passes reaches next with the same body bytes and its plug UUID in its context (PlugUUID).
func Middleware(cfg Config, next http.Handler) http.Handler {
	limit := cfg.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refuse := func(status int, reason string, err error) {
			if cfg.Refused != nil {
				cfg.Refused(r, status, err)
			}
			http.Error(w, reason, status)
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		switch {
		case err != nil:
			refuse(http.StatusBadRequest, "the body could not be read", err)
			return
		case int64(len(body)) > limit:
			refuse(http.StatusRequestEntityTooLarge, "the body is too large", errors.New("verify: the body is larger than the limit"))
			return
		}
		token := r.Header.Get(TokenHeader)
		if token == "" {
			refuse(http.StatusUnauthorized, "no Things-Message-Token", ErrMissingToken)
			return
		}
		plug := r.Header.Get(PlugHeader)
		secrets, err := cfg.Secrets(r.Context(), plug)
		if err != nil {
			refuse(http.StatusInternalServerError, "the destination's secret could not be looked up", err)
			return
		}
		if len(secrets) == 0 {
			refuse(http.StatusForbidden, "unknown Things-Plug-UUID", ErrNoSecret)
			return
		}
		var others []string
		if cfg.Others != nil {
			others = cfg.Others(r.Context(), plug)
		}
		if err := CheckKnowing(body, token, secrets, others); err != nil {
			status, reason := http.StatusUnauthorized, "the Things-Message-Token does not match the body"
			switch {
			case errors.Is(err, ErrMalformedToken):
				reason = "the Things-Message-Token is not 64 hex digits"
			case errors.Is(err, ErrNoSecret):
				// Only empty secrets: the receiver is set up wrong, the request may be fine.
				status, reason = http.StatusInternalServerError, "the receiver has no shared secret for this destination"
			}
			refuse(status, reason, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), plugKey{}, plug)))
	})
}
