package httpx

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rosterhq/roster"
)

// fuzzBody has the shapes request bodies have: strings, pointers, nullable fields, slices of
// structs.
type fuzzBody struct {
	Name    string  `json:"name"`
	Email   *string `json:"email"`
	Expires *string `json:"expires_at" roster:"nullable"`
	Active  *bool   `json:"active"`
	Items   []struct {
		UserID string   `json:"user_id"`
		Roles  []string `json:"roles"`
	} `json:"items"`
}

// Any body either decodes or is refused with a roster error; nothing panics.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"name": "x"}`, `{"name": "x", "name": "y"}`, `{"NAME": 1}`, `{"items": [{"user_id": "u", "roles": ["a"]}]}`,
		`{"expires_at": null}`, `{"email": null}`, `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		`{"name": "\ud800"}`, `{} {}`, `{"items": [{"roles": [1]}]}`, "\xff", `{"a":{"b":{"c":[1,2,{"d":null}]}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var dst fuzzBody
		err := DecodeJSON(r, &dst)
		var e *roster.Error
		if err != nil && !errors.As(err, &e) && !errors.Is(err, ErrBodyTooLarge) {
			t.Fatalf("error %v (%T) is neither a roster error nor a size error", err, err)
		}
		if e != nil && e.Code != roster.EInvalid {
			t.Fatalf("code %s for a bad body", e.Code)
		}
		// Nothing is repaired: a U+FFFD decoded is one the body sent, as such or escaped.
		sent := bytes.Contains(body, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`))
		if err == nil && !sent && strings.ContainsRune(dst.Name, utf8.RuneError) {
			t.Fatalf("%q decoded with a replacement character: name %q", body, dst.Name)
		}
	})
}

// Any query string is accepted only when every name and value decodes, and then net/url
// reads every pair of it.
func FuzzCheckQuery(f *testing.F) {
	for _, seed := range []string{"limit=10", "cursor=%%%garbage", "a=1;b=2", "%zz=1", "q=%E2%9C%93", "a=%", "a=%2", "&&a=&=b", "x=+y"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := CheckQuery(raw)
		if err != nil {
			var e *roster.Error
			if !errors.As(err, &e) || e.Code != roster.EInvalid || len(e.Fields) == 0 || e.Fields[0].Parameter == "" && e.Fields[0].Pointer != "" {
				t.Fatalf("CheckQuery(%q) = %v, want EInvalid naming a parameter", raw, err)
			}
			return
		}
		if _, perr := url.ParseQuery(raw); perr != nil {
			t.Fatalf("CheckQuery accepted %q, which net/url cannot read: %v", raw, perr)
		}
	})
}

// Any Authorization header yields a credential or an unauthenticated error.
func FuzzBearerToken(f *testing.F) {
	for _, seed := range []string{"Bearer abc", "bearer  x", "Basic abc", "Bearer", "", "Bearer \x00", "BEARER sk:abc"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Authorization"] = []string{header}
		secret, err := BearerToken(r)
		if err == nil && secret == "" {
			t.Fatal("an empty credential was accepted")
		}
		if err != nil && roster.ErrorCodeOf(err) != roster.EUnauthenticated {
			t.Fatalf("error code %s", roster.ErrorCodeOf(err))
		}
	})
}
