package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrorCode is the stable, machine-readable classification of an Error (the problem's code).
type ErrorCode string

// The codes the API answers with.
const (
	CodeInvalid              ErrorCode = "invalid"                // 400: fix the request; see Fields
	CodeUnauthenticated      ErrorCode = "unauthenticated"        // 401: no, a wrong or an expired credential
	CodeForbidden            ErrorCode = "forbidden"              // 403: the caller may not do this
	CodeNotFound             ErrorCode = "not_found"              // 404: no such thing, or not visible to the caller
	CodeConflict             ErrorCode = "conflict"               // 409: a uniqueness rule or an invariant (the last admin)
	CodePreconditionFailed   ErrorCode = "precondition_failed"    // 412: the If-Match ETag is stale
	CodeRateLimited          ErrorCode = "rate_limited"           // 429: wait RetryAfter
	CodeUnavailable          ErrorCode = "unavailable"            // 503: try again after RetryAfter
	CodeInternal             ErrorCode = "internal"               // 500: logged by the server under RequestID
	CodeMethodNotAllowed     ErrorCode = "method_not_allowed"     // 405
	CodePayloadTooLarge      ErrorCode = "payload_too_large"      // 413: bodies are at most 1 MiB
	CodeUnsupportedMediaType ErrorCode = "unsupported_media_type" // 415
	CodeNotAcceptable        ErrorCode = "not_acceptable"         // 406
)

// Error is an answer outside 2xx: the server's RFC 9457 problem document, or what could be
// made of an answer that is not one (from a proxy, say; then Code is empty and Detail holds
// the start of the body). Get it with errors.As.
type Error struct {
	StatusCode int          // the HTTP status
	Code       ErrorCode    // the problem's code
	Detail     string       // what went wrong and what to fix, for people
	RequestID  string       // the server's id of the request (its log lines and audit events carry it)
	Fields     []FieldError // per-field problems (CodeInvalid), or per-item ones of a bulk call
	RetryAfter time.Duration
	Method     string // of the request
	Path       string // of the request, without the base URL and the query
}

// FieldError names one input at fault: Pointer is a JSON Pointer (RFC 6901) into the request
// body, such as "/email" or "/0/roles"; Parameter names a query parameter. One of them is set.
type FieldError struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Detail    string `json:"detail"`
}

// Error returns "roster: METHOD PATH: STATUS CODE: DETAIL", then the field errors and the
// request id.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "roster: %s %s: %d", e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	fields := e.Fields
	switch {
	case len(fields) == 1 && fields[0].Detail == e.Detail: // the detail is the field's own
		fmt.Fprintf(&b, ": %s %s", fieldName(fields[0]), e.Detail)
		fields = nil
	case e.Detail != "":
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	for _, f := range fields {
		fmt.Fprintf(&b, "; %s %s", fieldName(f), f.Detail)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	return b.String()
}

// fieldName is a field's pointer, or its query parameter as "?name".
func fieldName(f FieldError) string {
	if f.Parameter != "" {
		return "?" + f.Parameter
	}
	return f.Pointer
}

// problem is the wire form of an error answer.
type problem struct {
	Status    int          `json:"status"`
	Detail    string       `json:"detail"`
	Code      ErrorCode    `json:"code"`
	RequestID string       `json:"request_id"`
	Errors    []FieldError `json:"errors"`
}

// maxErrorBody bounds what is read of an error answer.
const maxErrorBody = 1 << 20

// errorFrom reads a non-2xx answer into an *Error.
func errorFrom(method, path string, res *http.Response) *Error {
	e := &Error{StatusCode: res.StatusCode, Method: method, Path: path, RequestID: res.Header.Get("X-Request-Id")}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s >= 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	var p problem
	if (mt == "application/problem+json" || mt == "application/json") && json.Unmarshal(body, &p) == nil && p.Code != "" {
		e.Code, e.Detail, e.Fields = p.Code, p.Detail, p.Errors
		if p.RequestID != "" {
			e.RequestID = p.RequestID
		}
		return e
	}
	e.Detail = strings.TrimSpace(string(body))
	if len(e.Detail) > 200 {
		e.Detail = e.Detail[:200] + "…"
	}
	if e.Detail == "" {
		e.Detail = http.StatusText(res.StatusCode)
	}
	return e
}

// ErrorCodeOf returns the code of the *Error in err's chain, or "" if there is none (a
// transport error, a cancelled context, or nil).
func ErrorCodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// StatusOf returns the HTTP status of the *Error in err's chain, or 0 if there is none.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// IsInvalid reports whether err is the server refusing the request as invalid (400); the
// *Error's Fields say which inputs.
func IsInvalid(err error) bool { return ErrorCodeOf(err) == CodeInvalid }

// IsUnauthenticated reports whether the credential was missing, wrong, revoked or expired (401).
func IsUnauthenticated(err error) bool { return ErrorCodeOf(err) == CodeUnauthenticated }

// IsForbidden reports whether the caller may not do what it asked (403).
func IsForbidden(err error) bool { return ErrorCodeOf(err) == CodeForbidden }

// IsNotFound reports whether the resource does not exist, or the caller may not know it does
// (404).
func IsNotFound(err error) bool { return ErrorCodeOf(err) == CodeNotFound }

// IsConflict reports whether the request clashed with existing state (409): a taken email,
// username or slug, or removing a tenant's last admin.
func IsConflict(err error) bool { return ErrorCodeOf(err) == CodeConflict }

// IsPreconditionFailed reports whether an If-Match ETag was stale (412): read the resource
// again and retry.
func IsPreconditionFailed(err error) bool { return ErrorCodeOf(err) == CodePreconditionFailed }

// IsRateLimited reports whether the server throttled the request (429); the *Error's
// RetryAfter says how long to wait.
func IsRateLimited(err error) bool { return ErrorCodeOf(err) == CodeRateLimited }

// IsUnavailable reports whether the server could not serve the request for now (503); the
// *Error's RetryAfter says how long to wait.
func IsUnavailable(err error) bool { return ErrorCodeOf(err) == CodeUnavailable }
