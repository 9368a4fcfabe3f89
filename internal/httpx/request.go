package httpx

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rosterhq/roster"
)

// CheckRequest refuses (EInvalid) what every transport must refuse before routing means
// anything: a query string that does not decode (net/url would silently drop the pair, so
// that cursor=%%%garbage read as no cursor at all), and a credential header sent more than
// once (which one would count is a guess).
func CheckRequest(r *http.Request) error {
	if err := CheckQuery(r.URL.RawQuery); err != nil {
		return err
	}
	for _, h := range []string{"Authorization", "X-Access-Token"} {
		if len(r.Header.Values(h)) > 1 {
			return roster.Errorf(roster.EInvalid, "The request carries %d %s headers; send exactly one.", len(r.Header.Values(h)), h)
		}
	}
	return nil
}

// CheckQuery returns EInvalid, naming the parameter, unless every name and value of the raw
// query decodes (percent-encoding, and & as the only separator).
func CheckQuery(raw string) error {
	var v roster.Validator
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		decoded, err := url.QueryUnescape(name)
		switch {
		case err != nil:
			v.Param(name, "is not a correctly percent-encoded parameter name (write %% as %%25)")
		case strings.Contains(name, ";"):
			v.Param(decoded, "holds a semicolon; separate parameters with &, and write ; as %%3B")
		default:
			if _, err := url.QueryUnescape(value); err != nil {
				v.Param(decoded, "is not correctly percent-encoded (write %% as %%25)")
			} else if strings.Contains(value, ";") {
				v.Param(decoded, "holds a semicolon; separate parameters with &, and write ; as %%3B")
			}
		}
	}
	if err := v.Err(); err != nil {
		e := err.(*roster.Error)
		e.Message = fmt.Sprintf("The query string is malformed: %s %s.", e.Fields[0].Parameter, e.Fields[0].Detail)
		if len(e.Fields) > 1 {
			e.Message = fmt.Sprintf("The query string is malformed in %d places; see errors.", len(e.Fields))
		}
		return e
	}
	return nil
}

// typedIDs are the path wildcards that hold an id of one kind on every surface, and what to
// call that kind in a message. ({user} is not among them: a user is referred to by id, email
// or username, and the service, which resolves the reference, says when it is none of them.)
var typedIDs = map[string]struct{ prefix, noun string }{
	"sa":         {roster.PrefixServiceAccount, "service account"},
	"key":        {roster.PrefixKey, "service-account key"},
	"invitation": {roster.PrefixInvitation, "invitation"},
}

// CheckPathIDs returns EInvalid when a wildcard of the route r matched holds a typed id (see
// typedIDs) that is malformed, so that the caller learns the id is wrong rather than that no
// such thing exists.
func CheckPathIDs(r *http.Request) error {
	for _, seg := range strings.Split(r.Pattern, "/") {
		name, ok := strings.CutPrefix(seg, "{")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, "}")
		t, typed := typedIDs[name]
		if v := r.PathValue(name); typed && !roster.IsID(t.prefix, v) {
			return roster.Errorf(roster.EInvalid, "%q is not a %s id: %s ids are %s followed by 26 letters and digits, as Roster returned them.",
				truncateForMessage(v), t.noun, t.noun, t.prefix)
		}
	}
	return nil
}

func truncateForMessage(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// CloseAfterChunked closes the connection after answering a request whose body came chunked.
// net/http drops a Content-Length sent beside Transfer-Encoding: chunked and reads the body
// by the chunks, but keeps the connection open; a front end that went by the Content-Length
// would then see the rest as a second request (request smuggling). RFC 9112 §6.1 asks the
// server to close such a connection, and the handler can no longer tell whether there was a
// Content-Length, so every chunked request ends its connection (the client opens another).
func CloseAfterChunked(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) > 0 {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}
