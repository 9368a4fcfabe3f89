package links

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rosterhq/roster/internal/httpx"
)

// Any Links body yields known fields of the right types or one of Links' refusals; a refusal
// never echoes a password.
func FuzzReadBody(f *testing.F) {
	for _, seed := range []string{`{"username": "u", "password": "p", "email": "e"}`, `{"active": "yes", "password": 5}`,
		`{"colour": 1}`, ``, `{`, `[]`, `{}`, `null`, `{"password": {"a": 1}}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/users", bytes.NewReader(body))
		in, err := readBody(r, createFields, "username", "password", "email")
		var inv *invalid
		var bad *badRequest
		switch {
		case err == nil:
			for name, v := range in {
				kind := createFields[name]
				if _, ok := v.(string); kind == "string" && !ok {
					t.Fatalf("field %s is %T", name, v)
				}
			}
		case errors.As(err, &inv):
			for _, p := range inv.problems {
				if p.Param == "password" && p.Value != nil {
					t.Fatal("a password was echoed")
				}
			}
		case errors.As(err, &bad), errors.Is(err, httpx.ErrBodyTooLarge):
		default:
			t.Fatalf("unexpected error %v", err)
		}
	})
}
