package httpx

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

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
