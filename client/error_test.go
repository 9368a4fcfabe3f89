package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rosterhq/roster/client"
)

// A refusal is an *Error holding the whole problem document.
func TestErrorHoldsTheProblem(t *testing.T) {
	w := newWorld(t)
	_, err := w.admin.CreateTenant(context.Background(), client.TenantCreate{Slug: "Not A Slug!", Name: ""})
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("CreateTenant = %v, want a *client.Error", err)
	}
	if e.RequestID == "" {
		t.Error("the error has no request id")
	}
	want := &client.Error{
		StatusCode: 400, Code: client.CodeInvalid, Detail: "2 fields are invalid; see errors.",
		Fields: []client.FieldError{
			{Pointer: "/slug", Detail: "must be 1 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit"},
			{Pointer: "/name", Detail: "is required"},
		},
		Method: "POST", Path: "/v1/tenants",
	}
	if diff := cmp.Diff(want, e, cmpopts.IgnoreFields(client.Error{}, "RequestID")); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	wantText := "roster: POST /v1/tenants: 400 invalid: 2 fields are invalid; see errors.; " +
		"/slug must be 1 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit; " +
		"/name is required (request " + e.RequestID + ")"
	if got := err.Error(); got != wantText {
		t.Errorf("Error() = %q\nwant      %q", got, wantText)
	}
}

// Each kind of refusal answers exactly one predicate, with its status.
func TestErrorPredicates(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	_, ann := w.user(t, "ann@example.com")
	tn, err := w.admin.CreateTenant(ctx, client.TenantCreate{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.admin.UpdateTenant(ctx, "acme", client.TenantUpdate{Name: new("Acme Inc.")}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		err    error
		code   client.ErrorCode
		status int
	}{
		{"invalid", func() error {
			_, err := w.admin.ListUsers(ctx, client.UserFilter{}, client.ListOptions{Limit: 201})
			return err
		}(), client.CodeInvalid, 400},
		{"unauthenticated", func() error { _, err := w.as("rss_nonsense").GetMe(ctx); return err }(), client.CodeUnauthenticated, 401},
		{"forbidden", func() error {
			_, err := ann.CreateTenant(ctx, client.TenantCreate{Slug: "mine", Name: "Mine"})
			return err
		}(), client.CodeForbidden, 403},
		{"not found", func() error { _, err := w.admin.GetTenant(ctx, "nowhere"); return err }(), client.CodeNotFound, 404},
		{"conflict", func() error {
			_, err := w.admin.CreateTenant(ctx, client.TenantCreate{Slug: "acme", Name: "Again"})
			return err
		}(), client.CodeConflict, 409},
		{"precondition failed", w.admin.DeleteTenant(ctx, "acme", client.IfMatch(tn.ETag)), client.CodePreconditionFailed, 412},
	}
	predicates := map[client.ErrorCode]func(error) bool{
		client.CodeInvalid: client.IsInvalid, client.CodeUnauthenticated: client.IsUnauthenticated,
		client.CodeForbidden: client.IsForbidden, client.CodeNotFound: client.IsNotFound, client.CodeConflict: client.IsConflict,
		client.CodePreconditionFailed: client.IsPreconditionFailed, client.CodeRateLimited: client.IsRateLimited,
		client.CodeUnavailable: client.IsUnavailable,
	}
	for _, c := range cases {
		if got := client.ErrorCodeOf(c.err); got != c.code {
			t.Errorf("%s: ErrorCodeOf(%v) = %q, want %q", c.name, c.err, got, c.code)
		}
		if got := client.StatusOf(c.err); got != c.status {
			t.Errorf("%s: StatusOf = %d, want %d", c.name, got, c.status)
		}
		for code, is := range predicates {
			if got := is(c.err); got != (code == c.code) {
				t.Errorf("%s: the predicate for %s says %v", c.name, code, got)
			}
		}
		if wrapped := fmt.Errorf("deleting: %w", c.err); client.ErrorCodeOf(wrapped) != c.code {
			t.Errorf("%s: the code is lost when the error is wrapped", c.name)
		}
	}
	if _, err := w.admin.GetTenant(ctx, "acme"); err != nil {
		t.Errorf("the stale delete deleted the tenant: %v", err)
	}
}

// Too many wrong passwords are rate limited, with the wait the server asks for.
func TestRateLimitedHasRetryAfter(t *testing.T) {
	w := newWorld(t)
	var err error
	for i := 0; i < 60 && !client.IsRateLimited(err); i++ {
		_, err = w.anon.Login(context.Background(), "nobody@example.com", fmt.Sprintf("wrong password %d", i))
		if err != nil && !client.IsUnauthenticated(err) && !client.IsRateLimited(err) {
			t.Fatalf("login %d: %v", i, err)
		}
	}
	var e *client.Error
	if !errors.As(err, &e) || e.Code != client.CodeRateLimited {
		t.Fatalf("after many wrong logins: %v, want rate_limited", err)
	}
	if e.StatusCode != http.StatusTooManyRequests || e.RetryAfter <= 0 {
		t.Errorf("status %d, RetryAfter %v; want 429 and a wait", e.StatusCode, e.RetryAfter)
	}
}

// An answer that is not a problem document (a proxy's error page) is still an *Error, with
// its status and the start of its body.
func TestErrorFromSomethingElse(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "  <h1>502 Bad Gateway</h1>\n")
	}))
	defer proxy.Close()
	c, _ := client.New(proxy.URL)
	_, err := c.GetTenant(context.Background(), "acme")
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("GetTenant = %v, want a *client.Error", err)
	}
	want := &client.Error{StatusCode: 502, Detail: "<h1>502 Bad Gateway</h1>", RetryAfter: 7e9, Method: "GET", Path: "/v1/tenants/acme"}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	if client.IsNotFound(err) || client.ErrorCodeOf(err) != "" {
		t.Errorf("a code was made up for a foreign answer: %q", client.ErrorCodeOf(err))
	}
}

// A server that does not answer is a plain error, not an *Error.
func TestTransportErrorIsNoAPIError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, _ := client.New(url)
	_, err := c.GetHealth(context.Background())
	if err == nil {
		t.Fatal("GetHealth of a closed server succeeded")
	}
	var e *client.Error
	if errors.As(err, &e) || client.StatusOf(err) != 0 || client.ErrorCodeOf(err) != "" {
		t.Errorf("a transport error looks like an answer: %v", err)
	}
}

// A cancelled context stops the call, and says so.
func TestContextCancels(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.admin.GetMe(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("GetMe with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestErrorText(t *testing.T) {
	cases := []struct {
		e    client.Error
		want string
	}{
		{client.Error{StatusCode: 404, Code: client.CodeNotFound, Detail: "No such user.", RequestID: "r1", Method: "GET", Path: "/v1/users/usr_x"},
			"roster: GET /v1/users/usr_x: 404 not_found: No such user. (request r1)"},
		{client.Error{StatusCode: 400, Code: client.CodeInvalid, Detail: "must name at least one role", Method: "PUT", Path: "/p",
			Fields: []client.FieldError{{Pointer: "/roles", Detail: "must name at least one role"}}},
			"roster: PUT /p: 400 invalid: /roles must name at least one role"},
		{client.Error{StatusCode: 400, Code: client.CodeInvalid, Detail: "The query is invalid.", Method: "GET", Path: "/v1/users",
			Fields: []client.FieldError{{Parameter: "limit", Detail: "must be a whole number from 1 to 200"}}},
			"roster: GET /v1/users: 400 invalid: The query is invalid.; ?limit must be a whole number from 1 to 200"},
		{client.Error{StatusCode: 502, Detail: "Bad Gateway", Method: "GET", Path: "/healthz"}, "roster: GET /healthz: 502: Bad Gateway"},
	}
	for _, c := range cases {
		if got := c.e.Error(); got != c.want {
			t.Errorf("Error() = %q\nwant      %q", got, c.want)
		}
	}
}
