package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
)

// statusOf is the web layer's table from error codes to HTTP statuses; unknown errors are 500.
var statusOf = map[roster.ErrorCode]int{
	roster.EInvalid:            http.StatusBadRequest,
	roster.EUnauthenticated:    http.StatusUnauthorized,
	roster.EForbidden:          http.StatusForbidden,
	roster.ENotFound:           http.StatusNotFound,
	roster.EConflict:           http.StatusConflict,
	roster.EPreconditionFailed: http.StatusPreconditionFailed,
	roster.ERateLimited:        http.StatusTooManyRequests,
	roster.EUnavailable:        http.StatusServiceUnavailable,
	roster.EInternal:           http.StatusInternalServerError,
}

// Status returns the HTTP status a page answers err with.
func Status(err error) int {
	if s, ok := statusOf[roster.ErrorCodeOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// StaleMessage is what an edit refused by the ETag rule says.
const StaleMessage = "This changed since you loaded the page, so nothing was saved. The page now shows the current version: make your change again if you still want it."

// Problem is a service error as a page shows it: a message at the top, and a message beside
// each form field it names.
type Problem struct {
	Status  int
	Code    roster.ErrorCode
	Message string
	Fields  map[string]string // form field name → what is wrong with it
}

// FieldName maps a JSON Pointer of a service field error to the form field it belongs to:
// "/email" → "email", "/roles/2" → "roles".
func FieldName(pointer string) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(pointer, "/"), "/")
	return name
}

// ProblemOf describes err for a page. names maps the pointer or parameter of each field error
// to a form field (nil: FieldName); a field error it maps to "" joins the page's message.
func ProblemOf(err error, names func(pointer string) string) *Problem {
	if err == nil {
		return nil
	}
	if names == nil {
		names = FieldName
	}
	p := &Problem{Status: Status(err), Code: roster.ErrorCodeOf(err), Message: roster.ErrorMessageOf(err), Fields: map[string]string{}}
	if p.Code == roster.EPreconditionFailed {
		p.Message = StaleMessage
	}
	var e *roster.Error
	if errors.As(err, &e) {
		var loose []string
		for _, f := range e.Fields {
			ref := f.Pointer
			if ref == "" {
				ref = f.Parameter
			}
			name := names(ref)
			switch {
			case name == "":
				loose = append(loose, f.Detail)
			case p.Fields[name] == "":
				p.Fields[name] = f.Detail
			default:
				p.Fields[name] += "; " + f.Detail
			}
		}
		switch {
		case len(loose) > 0 && len(e.Fields) == len(loose):
			p.Message = strings.TrimSuffix(p.Message, ".") + ": " + strings.Join(loose, "; ") + "."
		case len(p.Fields) > 0 && (len(e.Fields) > 1 || e.Fields[0].Detail == e.Message):
			// The validator's message is a field's detail, which reads oddly on its own.
			p.Message = "Please correct what is marked below."
		}
	}
	return p
}
