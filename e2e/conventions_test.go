package e2e

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/internal/httpapi"
)

// Every malformed request gets a problem document that says what to fix.
func TestMalformedRequests(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	e.createTenant(admin, "acme")
	json := map[string]string{"Content-Type": "application/json"}
	cases := []struct {
		name   string
		r      req
		status int
		want   map[string]any // the problem without request_id
	}{
		{"malformed JSON", req{method: "POST", path: "/v1/tenants", body: `{"slug": "x",}`, header: json}, 400, map[string]any{
			"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": "The request body is not valid JSON near byte 13: invalid character '}' looking for beginning of object key string."}},
		{"truncated JSON", req{method: "POST", path: "/v1/tenants", body: `{"slug": "x"`}, 400, map[string]any{
			"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": "The request body is not valid JSON: it ends too early."}},
		{"unknown field", req{method: "POST", path: "/v1/tenants", body: `{"slug": "x", "name": "X", "owner": 1}`}, 400, map[string]any{
			"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": `The request body has an unknown field "owner".`,
			"errors": []any{map[string]any{"pointer": "/owner", "detail": "is not a known field"}}}},
		{"duplicate key", req{method: "POST", path: "/v1/tenants", body: `{"slug": "x", "name": "X", "slug": "y"}`}, 400, map[string]any{
			"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": `The request body repeats the key "slug".`,
			"errors": []any{map[string]any{"pointer": "/slug", "detail": "appears more than once"}}}},
		{"duplicate key in another case", req{method: "POST", path: "/v1/users", body: `{"email": "a@example.com", "EMAIL": "b@example.com"}`}, 400, map[string]any{
			"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": `The request body repeats the key "EMAIL".`,
			"errors": []any{map[string]any{"pointer": "/EMAIL", "detail": "appears more than once"}}}},
		{"field in another case", req{method: "POST", path: "/v1/users", body: `{"email": "a@example.com", "Instance_Admin": true}`}, 400, map[string]any{
			"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": `The request body has an unknown field "Instance_Admin".`,
			"errors": []any{map[string]any{"pointer": "/Instance_Admin", "detail": "is not a known field"}}}},
		{"unknown nested field", req{method: "PATCH", path: "/v1/tenants/acme/members", body: `[{"user_id": "x", "roles": ["a"], "role": "b"}]`}, 400, map[string]any{
			"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": `The request body has an unknown field "0/role".`,
			"errors": []any{map[string]any{"pointer": "/0/role", "detail": "is not a known field"}}}},
		{"null", req{method: "POST", path: "/v1/users", body: `{"email": "a@example.com", "given_name": null}`}, 400, map[string]any{
			"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": "Field /given_name must not be null; leave it out instead.",
			"errors": []any{map[string]any{"pointer": "/given_name", "detail": "must not be null"}}}},
		{"wrong type", req{method: "POST", path: "/v1/tenants", body: `{"slug": "x", "name": 7}`}, 400, map[string]any{
			"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": "Field /name must be a string, not number.",
			"errors": []any{map[string]any{"pointer": "/name", "detail": "must be a string"}}}},
		{"trailing data", req{method: "POST", path: "/v1/tenants", body: `{"slug": "x", "name": "X"} {}`}, 400, map[string]any{
			"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": "The request body holds more data after its JSON value, which ends at byte 26."}},
		{"empty body", req{method: "POST", path: "/v1/tenants", body: ``, header: json}, 400, map[string]any{
			"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": "The request body is empty; send a JSON document."}},
		{"failed validation", req{method: "POST", path: "/v1/tenants", body: map[string]any{"slug": "Not A Slug!", "name": ""}}, 400, map[string]any{
			"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": "2 fields are invalid; see errors.",
			"errors": []any{
				map[string]any{"pointer": "/slug", "detail": "must be 1 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit"},
				map[string]any{"pointer": "/name", "detail": "is required"},
			}}},
		{"too large", req{method: "POST", path: "/v1/tenants", body: `{"slug": "x", "name": "` + strings.Repeat("x", 1<<20) + `"}`}, 413, map[string]any{
			"type": "about:blank", "title": "Request Entity Too Large", "status": 413.0, "code": "payload_too_large",
			"detail": "The request body is larger than 1 MiB."}},
		{"no content type", req{method: "POST", path: "/v1/tenants", body: `{"slug": "x", "name": "X"}`, header: map[string]string{"Content-Type": ""}}, 415, map[string]any{
			"type": "about:blank", "title": "Unsupported Media Type", "status": 415.0, "code": "unsupported_media_type",
			"detail": "Send the request body as JSON with Content-Type: application/json."}},
		{"wrong content type", req{method: "POST", path: "/v1/tenants", body: `slug=x`, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, map[string]any{
			"type": "about:blank", "title": "Unsupported Media Type", "status": 415.0, "code": "unsupported_media_type",
			"detail": "Send the request body as JSON with Content-Type: application/json."}},
		{"limit too large", req{method: "GET", path: "/v1/users?limit=201"}, 400, map[string]any{
			"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": "must be a whole number from 1 to 200",
			"errors": []any{map[string]any{"parameter": "limit", "detail": "must be a whole number from 1 to 200"}}}},
		{"limit zero", req{method: "GET", path: "/v1/users?limit=0"}, 400, nil},
		{"limit not a number", req{method: "GET", path: "/v1/users?limit=ten"}, 400, nil},
		{"malformed cursor", req{method: "GET", path: "/v1/users?cursor=bm90LWEta2V5"}, 400, map[string]any{
			"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": "is malformed; pass the next_cursor of a previous page unchanged",
			"errors": []any{map[string]any{"parameter": "cursor", "detail": "is malformed; pass the next_cursor of a previous page unchanged"}}}},
		{"unknown query parameter", req{method: "GET", path: "/v1/tenants?sort=name"}, 400, map[string]any{
			"type": "about:blank", "title": "Bad Request", "status": 400.0, "code": "invalid",
			"detail": "is not a known query parameter; known: limit, cursor",
			"errors": []any{map[string]any{"parameter": "sort", "detail": "is not a known query parameter; known: limit, cursor"}}}},
		{"bad boolean", req{method: "GET", path: "/v1/users?active=maybe"}, 400, nil},
		{"unknown route", req{method: "GET", path: "/v1/nothing-here"}, 404, map[string]any{
			"type": "about:blank", "title": "Not Found", "status": 404.0, "code": "not_found",
			"detail": "No such route: /v1/nothing-here"}},
		{"wrong method", req{method: "PUT", path: "/v1/tenants"}, 405, map[string]any{
			"type": "about:blank", "title": "Method Not Allowed", "status": 405.0, "code": "method_not_allowed",
			"detail": "PUT is not allowed here; use GET, POST."}},
		{"unknown tenant", req{method: "GET", path: "/v1/tenants/nope"}, 404, map[string]any{
			"type": "about:blank", "title": "Not Found", "status": 404.0, "code": "not_found", "detail": "Tenant not found."}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.r.token = admin.token
			res := e.do(c.r)
			if res.status != c.status {
				t.Fatalf("status %d, want %d: %s", res.status, c.status, res.body)
			}
			if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			got := res.object(t)
			if got["request_id"] == "" || got["request_id"] != res.header.Get("X-Request-Id") {
				t.Errorf("request_id %v, X-Request-Id %q", got["request_id"], res.header.Get("X-Request-Id"))
			}
			delete(got, "request_id")
			if c.want != nil {
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("problem (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestRequestIDIsEchoed(t *testing.T) {
	e := newEnv(t)
	res := e.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "trace-123"}})
	if got := res.header.Get("X-Request-Id"); got != "trace-123" {
		t.Errorf("X-Request-Id = %q", got)
	}
	res = e.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "bad id\twith space"}})
	if got := res.header.Get("X-Request-Id"); got == "" || strings.Contains(got, " ") {
		t.Errorf("X-Request-Id = %q, want a fresh one", got)
	}
}

// Every surface serves its own OpenAPI document at its base path; each document is valid and
// describes every route of its surface.
func TestOpenAPIIsServed(t *testing.T) {
	e := newEnv(t)
	docs := map[string][]byte{"": httpapi.OpenAPIDocument()}
	for base, data := range surfaceDocuments {
		docs[base] = data
	}
	for base, data := range docs {
		path := base + "/openapi.json"
		if base == "" {
			path = "/v1/openapi.json"
		}
		res := e.must(http.StatusOK, req{method: "GET", path: path})
		if !bytes.Equal(res.body, data) || res.header.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s: %s, %.100s…, want the embedded document", path, res.header.Get("Content-Type"), res.body)
		}
	}
	if _, err := loadSpecs(); err != nil {
		t.Fatal(err)
	}
	loaded := map[string]*openapi3.T{}
	for base, data := range docs {
		doc, err := openapi3.NewLoader().LoadFromData(data)
		if err != nil {
			t.Fatal(err)
		}
		loaded[base] = doc
	}
	for _, route := range e.srv.Routes() {
		method, path, _ := strings.Cut(route, " ")
		if strings.HasPrefix(path, "/console/") || strings.HasPrefix(path, "/assets/") {
			continue // the console's HTML pages, for browsers: no API, so no document (the matrix covers them)
		}
		base := ""
		for b := range surfaceDocuments {
			if strings.HasPrefix(path, b+"/") {
				base = b
			}
		}
		if strings.HasSuffix(path, "/openapi.json") && base != "" {
			continue
		}
		item := loaded[base].Paths.Find(strings.TrimPrefix(path, base))
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("route %s is not in %s/openapi.json", route, base)
		}
	}
}
