package web

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/rosterhq/roster"
)

// MaxFormBytes is the largest form body accepted.
const MaxFormBytes = 1 << 20

// Form is a decoded application/x-www-form-urlencoded body.
type Form struct {
	r *http.Request
}

// ParseForm reads r's form body (at most MaxFormBytes); the query string is not mixed in.
func ParseForm(w http.ResponseWriter, r *http.Request) (Form, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
			return Form{}, roster.Errorf(roster.EInvalid, "Send the form as application/x-www-form-urlencoded.")
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return Form{}, roster.Errorf(roster.EInvalid, "The form is larger than 1 MiB.")
		}
		return Form{}, roster.Errorf(roster.EInvalid, "The form could not be read.")
	}
	return Form{r: r}, nil
}

// String returns the field's value, with surrounding space removed.
func (f Form) String(name string) string { return strings.TrimSpace(f.r.PostForm.Get(name)) }

// Raw returns the field's value as sent (for passwords, whose spaces count).
func (f Form) Raw(name string) string { return f.r.PostForm.Get(name) }

// Optional returns the field's value, or nil when the form does not have the field at all.
func (f Form) Optional(name string) *string {
	if _, ok := f.r.PostForm[name]; !ok {
		return nil
	}
	s := f.String(name)
	return &s
}

// Strings returns every non-empty value of a repeated field (checkboxes, multiple selects).
func (f Form) Strings(name string) []string {
	var out []string
	for _, v := range f.r.PostForm[name] {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Bool reports whether a checkbox was ticked.
func (f Form) Bool(name string) bool { return f.String(name) != "" }

// Version reads the hidden field holding the version of what the form edits, for the ETag
// rule: nil when absent, and a version that never matches when malformed.
func (f Form) Version(name string) *int64 {
	s := f.String(name)
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		n = -1
	}
	return &n
}
