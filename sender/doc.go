// Package sender plays the KPN Things platform's side of an HTTPS destination: it checks a
// destination against the platform's rules, builds the platform's request for a SenML body (the
// Things-Plug-UUID header, the Things-Message-Token hex(sha256(body || sharedSecret)), the
// additional headers and authentication), and delivers it as the platform does, with at most three
// attempts, increasing timeouts and the platform's TLS policy.
//
// A destination is checked first:
//
//	d := &sender.Destination{Name: "staging", URL: "https://staging.example.com/things",
//		Secret: secret, PlugUUID: plug}
//	warnings, err := d.Check(false) // a *RuleError lists every broken rule
//
// then delivered to:
//
//	s, err := sender.New(sender.Config{Destination: d})
//	res := s.Deliver(ctx, 0, body) // res.Outcome: Delivered, UnexpectedStatus, Discarded, Interrupted
//
// Two transports send the same bytes and are held to the same tests: NewHTTPTransport, on
// net/http, and NewFastTransport, on fasthttp, for load. Secrets are of type Secret, which never
// prints its value. Messages name the platform's fields (url, sharedSecret), never a command's
// flags: a command phrases its own.
package sender
