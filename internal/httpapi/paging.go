package httpapi

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/service"
)

// list is the envelope of every list response.
type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func newList[T, S any](items []S, next string, view func(S) T) list[T] {
	out := list[T]{Items: make([]T, 0, len(items))}
	for _, it := range items {
		out.Items = append(out.Items, view(it))
	}
	if next != "" {
		c := base64.RawURLEncoding.EncodeToString([]byte(next))
		out.NextCursor = &c
	}
	return out
}

// query reads query parameters, collecting every problem with them.
type query struct {
	values url.Values
	v      roster.Validator
}

func newQuery(r *http.Request, known ...string) *query {
	q := &query{values: r.URL.Query()}
	for name := range q.values {
		if !contains(known, name) {
			q.v.Param(name, "is not a known query parameter; known: %s", strings.Join(known, ", "))
		}
	}
	for _, name := range known {
		if len(q.values[name]) > 1 {
			q.v.Param(name, "must be given at most once")
		}
	}
	return q
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (q *query) str(name string) string { return q.values.Get(name) }

// listOptions reads limit and cursor; the cursor must hold a key of the given id prefix.
func (q *query) listOptions(idPrefix string) service.ListOptions {
	var o service.ListOptions
	if s := q.values.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > service.MaxLimit {
			q.v.Param("limit", "must be a whole number from 1 to %d", service.MaxLimit)
		}
		o.Limit = n
	}
	if s := q.values.Get("cursor"); s != "" {
		key, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || !roster.IsID(idPrefix, string(key)) {
			q.v.Param("cursor", "is malformed; pass the next_cursor of a previous page unchanged")
		}
		o.After = string(key)
	}
	return o
}

func (q *query) boolean(name string) *bool {
	s := q.values.Get(name)
	if s == "" {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		q.v.Param(name, "must be true or false")
		return nil
	}
	return &b
}

func (q *query) err() error { return q.v.Err() }

// etag is the strong entity tag of a resource version.
func etag(version int64) string { return fmt.Sprintf(`"%d"`, version) }

// ifMatch reads the If-Match header: nil when absent or "*", else the version its entity tag
// names. Anything that is not exactly one strong tag of ours (a weak tag, a list, "+1", "01")
// names version -1, which never matches.
func ifMatch(r *http.Request) *int64 {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return nil
	}
	v := int64(-1)
	if m := etagPattern.FindStringSubmatch(h); m != nil {
		if n, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			v = n
		}
	}
	return &v
}

var etagPattern = regexp.MustCompile(`^"(0|[1-9][0-9]{0,18})"$`)

// entityTags matches an If-Match value as RFC 9110 §13.1.1 writes it: "*", or a
// comma-separated list of entity tags, each an optionally weak (W/) quoted string (of ASCII:
// Roster's own tags are digits).
var entityTags = regexp.MustCompile(`^(\*|(W/)?"[\x21\x23-\x7e]*"([ \t]*,[ \t]*(W/)?"[\x21\x23-\x7e]*")*)$`)

// checkIfMatch refuses an If-Match header that is not "*" or entity tags (an unquoted 1, say):
// compared as it is, it could only ever fail with 412, and the caller would not learn why.
func checkIfMatch(r *http.Request) error {
	values := r.Header.Values("If-Match")
	if len(values) == 0 {
		return nil
	}
	if h := strings.TrimSpace(strings.Join(values, ", ")); h != "" && !entityTags.MatchString(h) {
		return roster.Errorf(roster.EInvalid, `If-Match must be an entity tag in quotes, as the ETag header gives it (If-Match: "3"), or *.`)
	}
	return nil
}

func (q *query) time(name string) *time.Time {
	s := q.values.Get(name)
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		q.v.Param(name, "must be an RFC 3339 time such as 2027-01-31T00:00:00Z")
		return nil
	}
	return &t
}
