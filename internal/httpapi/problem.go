package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
)

// statusOf is the one table from error codes to HTTP statuses. Unknown errors are 500.
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

// Codes the transport itself answers with; they have no service counterpart.
const (
	codeMethodNotAllowed     = "method_not_allowed"
	codePayloadTooLarge      = "payload_too_large"
	codeUnsupportedMediaType = "unsupported_media_type"
)

// Problem is an RFC 9457 problem document with Roster's extensions.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Code      string              `json:"code"`
	RequestID string              `json:"request_id"`
	Errors    []roster.FieldError `json:"errors,omitempty"`
}

// writeError answers err as a problem document. Internal errors are logged with the request id
// and answered with a generic message.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := roster.ErrorCodeOf(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status == http.StatusInternalServerError || code == roster.EUnavailable {
		log.ErrorContext(r.Context(), "request failed", "request_id", requestID(r.Context()), "error", err)
	}
	var fields []roster.FieldError
	var e *roster.Error
	if errors.As(err, &e) {
		fields = e.Fields
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="roster"`)
	}
	httpx.SetRetryAfter(w, err)
	writeProblem(w, r, status, string(code), roster.ErrorMessageOf(err), fields)
}

func writeProblem(w http.ResponseWriter, r *http.Request, status int, code, detail string, fields []roster.FieldError) {
	httpx.WriteJSONAs(w, "application/problem+json", status, Problem{
		Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail,
		Code: code, RequestID: requestID(r.Context()), Errors: fields,
	})
}
