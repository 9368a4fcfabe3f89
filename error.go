package roster

import (
	"errors"
	"fmt"
	"time"
)

// ErrorCode classifies an Error. Transports map each code to their own status in one table.
type ErrorCode string

// The error codes every layer speaks.
const (
	EInvalid            ErrorCode = "invalid"
	EUnauthenticated    ErrorCode = "unauthenticated"
	EForbidden          ErrorCode = "forbidden"
	ENotFound           ErrorCode = "not_found"
	EConflict           ErrorCode = "conflict"
	EPreconditionFailed ErrorCode = "precondition_failed"
	ERateLimited        ErrorCode = "rate_limited"
	EUnavailable        ErrorCode = "unavailable"
	EInternal           ErrorCode = "internal"
)

// Error is an error whose message is safe to show to the caller.
type Error struct {
	Code    ErrorCode
	Message string
	// Fields holds per-field problems for EInvalid (and per-item problems for bulk calls).
	Fields []FieldError
	// Err is the underlying cause; it is logged, never shown.
	Err error
	// RetryAfter, for ERateLimited and EUnavailable, is when to try again (0: soon).
	RetryAfter time.Duration
}

// RetryAfterOf returns how long err asks the caller to wait, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// FieldError names one input at fault. Pointer is a JSON Pointer (RFC 6901) into the request
// body; Parameter names a query parameter. Exactly one of them is set.
type FieldError struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Detail    string `json:"detail"`
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted, caller-safe message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EInvalid error carrying the given field errors.
func Invalid(message string, fields ...FieldError) *Error {
	return &Error{Code: EInvalid, Message: message, Fields: fields}
}

// ErrorCodeOf returns the code of the first *Error in err's chain, EInternal for any other
// error, and "" for nil.
func ErrorCodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessageOf returns the caller-safe message of err, or a generic one for internal errors.
func ErrorMessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EInternal {
		return e.Message
	}
	return "An internal error occurred."
}

// Validator collects field errors so a caller sees every problem with its input at once.
type Validator struct {
	fields []FieldError
}

// Field records a problem with the body member at JSON Pointer pointer.
func (v *Validator) Field(pointer, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Pointer: pointer, Detail: fmt.Sprintf(format, args...)})
}

// Param records a problem with the query parameter name.
func (v *Validator) Param(name, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Parameter: name, Detail: fmt.Sprintf(format, args...)})
}

// Check records detail at pointer when ok is false.
func (v *Validator) Check(ok bool, pointer, detail string) {
	if !ok {
		v.Field(pointer, "%s", detail)
	}
}

// Err returns an EInvalid error listing every recorded problem, or nil when there is none.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	msg := v.fields[0].Detail
	if len(v.fields) > 1 {
		msg = fmt.Sprintf("%d fields are invalid; see errors.", len(v.fields))
	}
	return &Error{Code: EInvalid, Message: msg, Fields: v.fields}
}
