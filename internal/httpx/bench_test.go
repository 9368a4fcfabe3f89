package httpx

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkDecodeJSON decodes and checks a typical request body (a bulk role set of 20 items).
func BenchmarkDecodeJSON(b *testing.B) {
	body := []byte(`{"name": "Acme", "email": "ann@example.com", "items": [` +
		string(bytes.Repeat([]byte(`{"user_id": "usr_06h04fcx91tm17n8nc5zvh4bn8", "roles": ["admin", "user"]},`), 19)) +
		`{"user_id": "usr_06h04fcx91tm17n8nc5zvh4bn8", "roles": ["viewer"]}]}`)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var dst fuzzBody
		if err := DecodeJSON(r, &dst); err != nil {
			b.Fatal(err)
		}
	}
}
