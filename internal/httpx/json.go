// Package httpx holds what every HTTP transport of Roster shares: strict JSON decoding, JSON
// responses, bearer credentials and request ids. It decides nothing about who may do what.
package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// maxDepth bounds the nesting of a request body, so that a hostile body cannot make decoding
// recurse without end; maxString bounds each string in it.
const (
	maxDepth  = 32
	maxString = 64 << 10
)

// ErrBodyTooLarge and ErrMediaType are answered with their own statuses by each transport.
var (
	ErrBodyTooLarge = errors.New("body too large")
	ErrMediaType    = errors.New("unsupported media type")
)

// DecodeJSON reads r's body into dst strictly: the Content-Type must be JSON, the body at most
// MaxBodyBytes, one JSON value with no duplicate keys, only the fields dst has (spelled exactly),
// no null except in fields tagged `roster:"nullable"`, no wrong types and nothing after it.
func DecodeJSON(r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return ErrMediaType
	}
	return DecodeJSONBody(r, dst)
}

// DecodeJSONBody is DecodeJSON for clients that send JSON without saying so: it does not look
// at the Content-Type.
func DecodeJSONBody(r *http.Request, dst any) error {
	body, err := ReadBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return roster.Errorf(roster.EInvalid, "The request body is empty; send a JSON document.")
	}
	if err := CheckJSONShape(body, reflect.TypeOf(dst)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields() // checkJSONShape has refused them already; this is a backstop
	if err := dec.Decode(dst); err != nil {
		return explainDecodeError(err)
	}
	return nil
}

// ReadBody reads a request body of at most MaxBodyBytes, or returns ErrBodyTooLarge.
func ReadBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, roster.Errorf(roster.EInvalid, "The request body could not be read.")
	}
	if len(body) > MaxBodyBytes {
		return nil, ErrBodyTooLarge
	}
	return body, nil
}

// CheckJSONShape walks the body's tokens beside the Go type it will be decoded into (nil for
// any). It reports syntax errors with their offset, too deep nesting, duplicate keys, keys the
// type does not have, nulls where none is allowed, and anything after the first value.
func CheckJSONShape(body []byte, typ reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := walkJSON(dec, "", 0, typ, false); err != nil {
		return err
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return roster.Errorf(roster.EInvalid, "The request body holds more data after its JSON value, which ends at byte %d.", end)
	}
	return nil
}

// walkJSON checks one JSON value at pointer ptr against typ (nil when anything goes).
func walkJSON(dec *json.Decoder, ptr string, depth int, typ reflect.Type, nullable bool) error {
	if depth > maxDepth {
		return roster.Errorf(roster.EInvalid, "The request body is nested more than %d levels deep.", maxDepth)
	}
	for typ != nil && typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(dec, err)
	}
	if str, ok := tok.(string); ok && len(str) > maxString {
		return roster.Invalid(fmt.Sprintf("%s is longer than %d bytes.", fieldName(ptr), maxString),
			roster.FieldError{Pointer: ptr, Detail: fmt.Sprintf("must be at most %d bytes", maxString)})
	}
	switch tok {
	case nil:
		if !nullable && typ != nil {
			return roster.Invalid(fmt.Sprintf("%s must not be null; leave it out instead.", fieldName(ptr)),
				roster.FieldError{Pointer: ptr, Detail: "must not be null"})
		}
	case json.Delim('{'):
		var fields map[string]reflect.StructField
		if typ != nil && typ.Kind() == reflect.Struct {
			fields = jsonFields(typ)
		}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return syntaxError(dec, err)
			}
			key := kt.(string)
			child := ptr + "/" + pointerEscaper.Replace(key)
			if seen[strings.ToLower(key)] { // encoding/json matches names case-insensitively
				return roster.Invalid(fmt.Sprintf("The request body repeats the key %q.", key),
					roster.FieldError{Pointer: child, Detail: "appears more than once"})
			}
			seen[strings.ToLower(key)] = true
			var childType reflect.Type
			childNullable := false
			if fields != nil {
				f, ok := fields[key]
				if !ok {
					return roster.Invalid(fmt.Sprintf("The request body has an unknown field %q.", strings.TrimPrefix(child, "/")),
						roster.FieldError{Pointer: child, Detail: "is not a known field"})
				}
				childType, childNullable = f.Type, f.Tag.Get("roster") == "nullable"
			}
			if err := walkJSON(dec, child, depth+1, childType, childNullable); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		var elem reflect.Type
		if typ != nil && (typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array) {
			elem = typ.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walkJSON(dec, fmt.Sprintf("%s/%d", ptr, i), depth+1, elem, false); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	}
	if err != nil {
		return syntaxError(dec, err)
	}
	return nil
}

// jsonFields maps the JSON names of a struct's fields to the fields.
func jsonFields(typ reflect.Type) map[string]reflect.StructField {
	if cached, ok := fieldCache.Load(typ); ok {
		return cached.(map[string]reflect.StructField)
	}
	fields := map[string]reflect.StructField{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f
	}
	fieldCache.Store(typ, fields)
	return fields
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.StructField

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func syntaxError(dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return roster.Errorf(roster.EInvalid, "The request body is not valid JSON: it ends too early.")
	}
	return roster.Errorf(roster.EInvalid, "The request body is not valid JSON near byte %d: %s.",
		dec.InputOffset(), strings.TrimPrefix(err.Error(), "json: "))
}

// explainDecodeError turns encoding/json's errors into ones that name the field at fault.
func explainDecodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		ptr := "/" + strings.ReplaceAll(typeErr.Field, ".", "/")
		if typeErr.Field == "" {
			ptr = ""
		}
		want := jsonTypeName(typeErr.Type.Kind().String())
		return roster.Invalid(fmt.Sprintf("%s must be %s, not %s.", fieldName(ptr), want, typeErr.Value),
			roster.FieldError{Pointer: ptr, Detail: fmt.Sprintf("must be %s", want)})
	}
	return roster.Errorf(roster.EInvalid, "The request body could not be decoded: %s.", strings.TrimPrefix(err.Error(), "json: "))
}

func fieldName(ptr string) string {
	if ptr == "" {
		return "The request body"
	}
	return "Field " + ptr
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "a number"
	}
	return "of another type"
}

// WriteJSON answers v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	WriteJSONAs(w, "application/json", status, v)
}

// WriteJSONAs answers v as JSON under the given media type.
func WriteJSONAs(w http.ResponseWriter, contentType string, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may have gone; nothing useful to do then
}

// BearerToken returns the credential of an "Authorization: Bearer" header. The scheme is
// case-insensitive (RFC 9110); credentials are never taken from the query string.
func BearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", ErrNoCredentials
	}
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return "", roster.Errorf(roster.EUnauthenticated, "The Authorization header must have the form: Bearer <token>.")
	}
	return strings.TrimSpace(secret), nil
}

// ErrNoCredentials is returned when a request carries no credentials at all.
var ErrNoCredentials = roster.Errorf(roster.EUnauthenticated, "Authentication required: send Authorization: Bearer <token>.")

// SetRetryAfter sets Retry-After on a rate-limited or unavailable answer: the wait err asks
// for, or two seconds.
func SetRetryAfter(w http.ResponseWriter, err error) {
	if c := roster.ErrorCodeOf(err); c != roster.ERateLimited && c != roster.EUnavailable {
		return
	}
	secs := int((roster.RetryAfterOf(err) + time.Second - 1) / time.Second)
	if secs <= 0 {
		secs = 2
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
}
