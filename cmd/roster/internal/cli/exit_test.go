package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/client"
)

// Exit codes and error messages as a script sees them, against a real server.
func TestExitCodes(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if r := w.run(t, "", "users", "list"); r.code != ExitDenied || !strings.Contains(r.stderr, "not logged in") {
		t.Errorf("before login: exit %d, %q", r.code, r.stderr)
	}
	w.login(t)
	ann, err := w.admin.CreateUser(ctx, client.UserCreate{Email: "ann@example.com", Password: annPassword})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.admin.CreateTenant(ctx, client.TenantCreate{Slug: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	s, err := w.anon.Login(ctx, "ann@example.com", annPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string // the end of the first line of standard error, or the whole of a later line
	}{
		{[]string{"users", "get", "ann@example.com"}, ExitOK, ""},
		{[]string{"users", "get", "nobody@example.com"}, ExitNotFound, "roster: User not found. (HTTP 404 not_found, request "},
		{[]string{"tenants", "get", "nope"}, ExitNotFound, ""},
		{[]string{"service-accounts", "get", "no such name", "-t", "acme"}, ExitNotFound, `roster: no service account of acme is named "no such name"`},
		{[]string{"tenants", "create", "acme"}, ExitConflict, "  SLUG: is already taken"},
		{[]string{"users", "create", "ann@example.com"}, ExitConflict, ""},
		{[]string{"users", "update", "ann", "--given-name", "Annie", "--if-match", "99"}, ExitConflict, "(HTTP 412 precondition_failed, request "},
		{[]string{"users", "update", "ann", "--given-name", "Annie", "--if-match", `"1"`}, ExitOK, ""},
		{[]string{"users", "create", "not-an-email"}, ExitUsage, "roster: EMAIL: must be a plain email address"},
		{[]string{"members", "add", "ann", "-t", "acme", "--role", "viewer", "--role", "nosuch"}, ExitUsage, `roster: --role #2: no role "nosuch" in this tenant`},
		{[]string{"users", "get"}, ExitUsage, "roster: missing USER"},
		{[]string{"users", "get", "a", "b"}, ExitUsage, "roster: too many arguments: roster users get takes USER"},
		{[]string{"users", "frobnicate"}, ExitUsage, `roster: unknown command "frobnicate" for "roster users"`},
		{[]string{"frobnicate"}, ExitUsage, ""},
		{[]string{"users", "list", "--frob"}, ExitUsage, "roster: unknown flag: --frob"},
		{[]string{"users", "list", "--limit", "0"}, ExitUsage, ""},
		{[]string{"users", "update", "ann"}, ExitUsage, "roster: nothing to change: give at least one of --username"},
		{[]string{"members", "list"}, ExitUsage, "roster: missing --tenant (an id or a slug)"},
		{[]string{"users", "list", "-o", "yaml"}, ExitUsage, `roster: --output "yaml": want table or json`},
		{[]string{"audit", "list", "--since", "last tuesday"}, ExitUsage, ""},
		{[]string{"users", "list", "--token", "rsp_not_a_real_token"}, ExitDenied, "(HTTP 401 unauthenticated, request "},
		{[]string{"users", "list", "--token", s.Token}, ExitDenied, "(HTTP 403 forbidden, request "},
		{[]string{"users", "delete", ann.ID, "--token", s.Token}, ExitDenied, ""},
		{[]string{"users", "list", "--server", "http://127.0.0.1:1", "--token", "rsp_x"}, ExitFailure, "roster: cannot reach http://127.0.0.1:1: "},
		{[]string{"users", "list", "--server", "ftp://example.com", "--token", "rsp_x"}, ExitUsage, ""},
	} {
		r := w.run(t, "", c.args...)
		if r.code != c.code {
			t.Errorf("roster %s: exit %d, want %d\n%s", strings.Join(c.args, " "), r.code, c.code, r.stderr)
			continue
		}
		if c.msg == "" {
			continue
		}
		lines := strings.Split(r.stderr, "\n")
		if !strings.HasPrefix(lines[0], c.msg) && !strings.Contains(lines[0], c.msg) && !contains(lines[1:], c.msg) {
			t.Errorf("roster %s: stderr %q, want %q", strings.Join(c.args, " "), r.stderr, c.msg)
		}
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

// Every code of the API, and of the offline commands' service, has its exit code; an error
// cobra returns before a command runs is a usage error.
func TestExitCodeTable(t *testing.T) {
	ran := func(err error) error { return ranError{err} }
	apiErr := func(status int, code client.ErrorCode) error {
		return ran(fmt.Errorf("wrapped: %w", &client.Error{StatusCode: status, Code: code}))
	}
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New(`unknown command "x" for "roster"`), 2},
		{ran(errors.New("disk full")), 1},
		{ran(usageError{err: errors.New("missing USER")}), 2},
		{ran(notLoggedIn{}), 5},
		{ran(notFoundError{what: "service account", name: "x"}), 3},
		{ran(fmt.Errorf("client: GET /v1/users: %w", context.Canceled)), 130},
		{apiErr(400, client.CodeInvalid), 2},
		{apiErr(401, client.CodeUnauthenticated), 5},
		{apiErr(403, client.CodeForbidden), 5},
		{apiErr(404, client.CodeNotFound), 3},
		{apiErr(409, client.CodeConflict), 4},
		{apiErr(412, client.CodePreconditionFailed), 4},
		{apiErr(429, client.CodeRateLimited), 6},
		{apiErr(503, client.CodeUnavailable), 6},
		{apiErr(500, client.CodeInternal), 1},
		{apiErr(415, client.CodeUnsupportedMediaType), 1},
		{apiErr(http.StatusNotFound, ""), 3}, // a proxy's 404, no problem document
		{apiErr(http.StatusBadGateway, ""), 1},
		{ran(roster.Errorf(roster.EConflict, "taken")), 4},
		{ran(roster.Invalid("bad", roster.FieldError{Pointer: "/email", Detail: "bad"})), 2},
		{ran(roster.Errorf(roster.ENotFound, "no")), 3},
	} {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 30, 15, 500, time.UTC)
	for _, c := range []struct {
		in   string
		sign int
		want time.Time
	}{
		{"2027-12-31T18:00:00Z", 1, time.Date(2027, 12, 31, 18, 0, 0, 0, time.UTC)},
		{"2027-12-31T18:00:00+01:00", 1, time.Date(2027, 12, 31, 17, 0, 0, 0, time.UTC)},
		{"2027-12-31", 1, time.Date(2027, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"90d", 1, time.Date(2027, 2, 20, 10, 30, 15, 0, time.UTC)},
		{"12h", -1, time.Date(2026, 11, 21, 22, 30, 15, 0, time.UTC)},
		{"1h30m", -1, time.Date(2026, 11, 22, 9, 0, 15, 0, time.UTC)},
	} {
		got, err := parseWhen(c.in, c.sign, now)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parseWhen(%q, %d) = %v, %v; want %v", c.in, c.sign, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "tomorrow", "-3d", "3x", "2027-13-01", "-1h"} {
		if _, err := parseWhen(bad, 1, now); err == nil {
			t.Errorf("parseWhen(%q) took it", bad)
		}
	}
}

// A field at fault is named by the flag or argument that set it.
func TestFieldLabel(t *testing.T) {
	inputs := map[string]string{"given_name": "--given-name", "role": "--role", "email": "EMAIL", "user_id": "USER", "q": "--q"}
	for _, c := range []struct {
		f    client.FieldError
		want string
	}{
		{client.FieldError{Pointer: "/given_name"}, "--given-name"},
		{client.FieldError{Pointer: "/roles/1"}, "--role #2"},
		{client.FieldError{Pointer: "/email"}, "EMAIL"},
		{client.FieldError{Pointer: "/user_id"}, "USER"},
		{client.FieldError{Parameter: "q"}, "--q"},
		{client.FieldError{Parameter: "cursor"}, "?cursor"},
		{client.FieldError{Pointer: "/0/roles/2"}, "/0/roles/2"},
		{client.FieldError{Pointer: "/locale"}, "/locale"},
		{client.FieldError{Pointer: "/user/email"}, "/user/email"},
	} {
		if got := fieldLabel(c.f, inputs); got != c.want {
			t.Errorf("fieldLabel(%+v) = %q, want %q", c.f, got, c.want)
		}
	}
	got := inputNames(newUsersCreateCommand(&globals{}))
	for name, want := range map[string]string{"email": "EMAIL", "given_name": "--given-name", "managed_by": "--managed-by"} {
		if got[name] != want {
			t.Errorf("users create: %s is %q, want %q", name, got[name], want)
		}
	}
	if diff := cmp.Diff("SERVICE-ACCOUNT", inputNames(newKeysCreateCommand(&globals{}))["service_account_id"]); diff != "" {
		t.Errorf("keys create (-want +got):\n%s", diff)
	}
}
