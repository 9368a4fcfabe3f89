package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Any query string yields list options or a roster error; a cursor that passes names an id.
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{"limit=10", "limit=0", "limit=-1", "cursor=dXNyXzA2aA", "cursor=%%%", "limit=1&limit=2", "sort=x", "cursor=" + "dXNyXz" + "AAAA"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		r := httptest.NewRequest(http.MethodGet, "/v1/users", nil)
		r.URL.RawQuery = rawQuery
		q := newQuery(r, "limit", "cursor")
		o := q.listOptions("usr_")
		if q.err() == nil && (o.Limit < 0 || o.Limit > 200) {
			t.Fatalf("accepted limit %d", o.Limit)
		}
	})
}

// Any If-Match header is a version, "any", or a version that never matches.
func FuzzIfMatch(f *testing.F) {
	for _, seed := range []string{`"1"`, `*`, `W/"1"`, `"01"`, `"+1"`, `""1""`, `"99999999999999999999"`, ``, `1`, `"1", "2"`, ` "3" `} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest(http.MethodPatch, "/", nil)
		r.Header["If-Match"] = []string{header}
		if v := ifMatch(r); v != nil && *v < -1 {
			t.Fatalf("If-Match %q gave version %d", header, *v)
		}
		if v := ifMatch(r); v != nil && *v >= 0 && checkIfMatch(r) != nil {
			t.Fatalf("If-Match %q names version %d but is refused as malformed", header, *v)
		}
	})
}
