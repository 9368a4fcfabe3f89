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
	"unicode/utf8"

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

// ErrInvalidUTF8 is the cause (roster.Error.Err) of the EInvalid error for a JSON string that
// is not valid UTF-8, so that a transport whose seed answers syntax errors with a fixed message
// can still name the field.
var ErrInvalidUTF8 = errors.New("invalid UTF-8 in a JSON string")

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
// type does not have, nulls where none is allowed, strings that are not valid UTF-8 (which
// encoding/json would silently replace with U+FFFD, so that two different byte strings would
// decode alike), and anything after the first value.
func CheckJSONShape(body []byte, typ reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	w := &walker{dec: dec, body: body, checkStrings: !utf8.Valid(body) || bytes.Contains(body, []byte(`\u`))}
	if err := w.walk("", 0, typ, false); err != nil {
		return err
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return roster.Errorf(roster.EInvalid, "The request body holds more data after its JSON value, which ends at byte %d.", end)
	}
	return nil
}

// walker reads one body's tokens.
type walker struct {
	dec  *json.Decoder
	body []byte
	// checkStrings is set when some string may not be valid UTF-8: the body holds invalid
	// bytes or a \u escape (which may be an unpaired surrogate).
	checkStrings bool
}

// token reads the next token, and reports whether it is a string that would not decode to
// the characters it was sent as.
func (w *walker) token() (json.Token, bool, error) {
	start := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		return nil, false, syntaxError(w.dec, err)
	}
	if _, ok := tok.(string); !ok || !w.checkStrings {
		return tok, false, nil
	}
	raw := w.body[start:w.dec.InputOffset()]
	if i := bytes.IndexByte(raw, '"'); i >= 0 {
		raw = raw[i:]
	}
	return tok, !validString(raw), nil
}

// validString reports whether raw, a JSON string as sent (quotes and escapes included), is
// valid UTF-8 and escapes UTF-16 surrogates only in pairs.
func validString(raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++
		if i >= len(raw) || raw[i] != 'u' {
			continue
		}
		r, ok := hex4(raw[i+1:])
		if !ok {
			return true // not an escape encoding/json accepts; the syntax check reports it
		}
		i += 4
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return false
		case r >= 0xD800 && r <= 0xDBFF:
			if i+2 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
				return false
			}
			low, ok := hex4(raw[i+3:])
			if !ok || low < 0xDC00 || low > 0xDFFF {
				return false
			}
			i += 6
		}
	}
	return true
}

// hex4 reads the four hexadecimal digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func invalidUTF8(ptr, detail string) error {
	return &roster.Error{Code: roster.EInvalid, Err: ErrInvalidUTF8,
		Message: fmt.Sprintf("%s is not valid UTF-8; send text as UTF-8 (an escaped surrogate needs its pair).", fieldName(ptr)),
		Fields:  []roster.FieldError{{Pointer: ptr, Detail: detail}}}
}

// walk checks one JSON value at pointer ptr against typ (nil when anything goes).
func (w *walker) walk(ptr string, depth int, typ reflect.Type, nullable bool) error {
	if depth > maxDepth {
		return roster.Errorf(roster.EInvalid, "The request body is nested more than %d levels deep.", maxDepth)
	}
	for typ != nil && typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	tok, bad, err := w.token()
	if err != nil {
		return err
	}
	if bad {
		return invalidUTF8(ptr, "must be valid UTF-8")
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
		for w.dec.More() {
			kt, bad, err := w.token()
			if err != nil {
				return err
			}
			key := kt.(string)
			child := ptr + "/" + pointerEscaper.Replace(key)
			if bad { // the pointer holds the name as it decodes, with U+FFFD
				return invalidUTF8(child, "is a member name that is not valid UTF-8")
			}
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
			if err := w.walk(child, depth+1, childType, childNullable); err != nil {
				return err
			}
		}
		_, err = w.dec.Token()
	case json.Delim('['):
		var elem reflect.Type
		if typ != nil && (typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array) {
			elem = typ.Elem()
		}
		for i := 0; w.dec.More(); i++ {
			if err := w.walk(fmt.Sprintf("%s/%d", ptr, i), depth+1, elem, false); err != nil {
				return err
			}
		}
		_, err = w.dec.Token()
	}
	if err != nil {
		return syntaxError(w.dec, err)
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
