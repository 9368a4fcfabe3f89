package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/client"
)

// decodeOne parses a command's JSON document.
func decodeOne[T any](t *testing.T, r result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("output is not one JSON document: %v\n%s", err, r.stdout)
	}
	return v
}

// decodeLines parses a command's JSON lines.
func decodeLines[T any](t *testing.T, r result) []T {
	t.Helper()
	var out []T
	for _, line := range strings.Split(strings.TrimRight(r.stdout, "\n"), "\n") {
		if line == "" {
			continue
		}
		var v T
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("output line is not JSON: %v\n%s", err, line)
		}
		out = append(out, v)
	}
	return out
}

// withETag is a single resource as the commands print it: the client's type and its ETag.
type withETag[T any] struct {
	Value T
	ETag  string
}

func (w *withETag[T]) UnmarshalJSON(b []byte) error {
	var tag struct {
		ETag string `json:"etag"`
	}
	if err := json.Unmarshal(b, &tag); err != nil {
		return err
	}
	w.ETag = tag.ETag
	return json.Unmarshal(b, &w.Value)
}

// A scripted session, as an operator would type it: log in, create a tenant and a user, make
// the user a member and change its roles, give a service account a key, read the audit trail,
// log out. Every answer is parsed as the client's types; every step is in the audit trail.
func TestSession(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var outputs []result
	step := func(stdin string, args ...string) result {
		t.Helper()
		r := w.must(t, stdin, args...)
		outputs = append(outputs, r)
		return r
	}

	r := step(adminPassword+"\n", "login", "--server", w.url+"/", "admin@example.com")
	if !strings.Contains(r.stderr, "Logged in as admin@example.com (instance administrator) until ") || r.stdout != "" {
		t.Errorf("login printed %q, %q", r.stdout, r.stderr)
	}
	checkCredentialsFile(t, w)

	tenant := decodeOne[withETag[client.Tenant]](t, step("", "tenants", "create", "acme", "--name", "Acme Inc."))
	if tenant.Value.Slug != "acme" || tenant.Value.Name != "Acme Inc." || tenant.ETag == "" {
		t.Errorf("tenants create: %+v", tenant)
	}
	ann := decodeOne[withETag[client.User]](t, step(annPassword+"\n", "users", "create", "ann@example.com",
		"--given-name", "Ann", "--family-name", "Smith", "--password-stdin"))
	if ann.Value.Email != "ann@example.com" || ann.Value.GivenName != "Ann" || !ann.Value.Active {
		t.Errorf("users create: %+v", ann)
	}
	if _, err := w.anon.Login(ctx, "ann@example.com", annPassword); err != nil {
		t.Errorf("ann cannot log in with the password given on standard input: %v", err)
	}

	added := decodeOne[withETag[client.Member]](t, step("", "members", "add", "ann@example.com", "--tenant", "acme", "--role", "viewer"))
	if added.Value.UserID != ann.Value.ID || added.Value.Status != client.MemberActive || !slices.Equal(added.Value.Roles, []string{"viewer"}) {
		t.Errorf("members add: %+v", added.Value)
	}
	set := decodeOne[withETag[client.Member]](t, step("", "members", "set-roles", "ann", "-t", "acme",
		"--role", "user,viewer", "--if-match", added.ETag))
	if !slices.Equal(set.Value.Roles, []string{"user", "viewer"}) {
		t.Errorf("members set-roles: roles %v, want user and viewer", set.Value.Roles)
	}
	members := decodeLines[client.Member](t, step("", "members", "list", "--tenant", "acme", "--role", "user"))
	if len(members) != 1 || members[0].User.Email != "ann@example.com" {
		t.Errorf("members list --role user: %+v", members)
	}

	sa := decodeOne[withETag[client.ServiceAccount]](t, step("", "service-accounts", "create", "billing backend", "-t", "acme", "--role", "viewer"))
	r = step("", "keys", "create", "billing backend", "-t", "acme", "--expires", "30d")
	key := decodeOne[client.NewServiceAccountKey](t, r)
	if key.ServiceAccountID != sa.Value.ID || !strings.HasPrefix(key.Key, "sk:") || key.ExpiresAt == nil {
		t.Errorf("keys create: %+v", key)
	}
	if !strings.Contains(r.stderr, "shown this once") {
		t.Errorf("keys create did not say the key is shown once: %q", r.stderr)
	}
	if _, err := w.anon.WithToken(key.Key).GetTenant(ctx, "acme"); err != nil {
		t.Errorf("the key printed does not work: %v", err)
	}
	keys := decodeLines[client.ServiceAccountKey](t, step("", "keys", "list", sa.Value.ID, "-t", "acme"))
	if len(keys) != 1 || keys[0].ID != key.ID || strings.Contains(step("", "keys", "list", "billing backend", "-t", "acme").stdout, key.Key) {
		t.Errorf("keys list: %+v", keys)
	}

	var actions []string
	for _, e := range decodeLines[client.AuditEvent](t, step("", "audit", "list", "--since", "1h")) {
		if e.Actor.ID == w.adminID(t) && e.Outcome == "success" && e.Action != "auth.bootstrap" {
			actions = append(actions, e.Action)
		}
	}
	want := []string{"auth.login", "tenant.created", "user.created", "member.added", "member.roles_set",
		"service_account.created", "service_account_key.created"}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("the audit trail of the session (-want +got):\n%s", diff)
	}
	tenantAudit := decodeLines[client.AuditEvent](t, step("", "audit", "list", "--tenant", "acme", "--action", "member.roles_set"))
	if len(tenantAudit) != 1 || tenantAudit[0].Target.ID != ann.Value.ID {
		t.Errorf("audit list --tenant acme --action member.roles_set: %+v", tenantAudit)
	}

	stored := readCredentials(t, w)
	r = step("", "logout")
	if !strings.Contains(r.stderr, "Logged out; the session has ended.") {
		t.Errorf("logout printed %q", r.stderr)
	}
	if _, err := os.Stat(w.credentialsPath()); !os.IsNotExist(err) {
		t.Errorf("the credentials file is still there after logout: %v", err)
	}
	if _, err := w.anon.WithToken(stored.Token).GetMe(ctx); !client.IsUnauthenticated(err) {
		t.Errorf("the session still works after logout: %v", err)
	}
	if r := w.run(t, "", "tenants", "list"); r.code != ExitDenied || !strings.Contains(r.stderr, "not logged in") {
		t.Errorf("tenants list after logout: exit %d, %q", r.code, r.stderr)
	}

	for i, r := range outputs {
		if strings.Contains(r.stdout+r.stderr, adminPassword) || strings.Contains(r.stdout+r.stderr, annPassword) {
			t.Errorf("step %d printed a password:\n%s%s", i, r.stdout, r.stderr)
		}
	}
	if logs := w.logs.String(); strings.Contains(logs, adminPassword) || strings.Contains(logs, annPassword) || strings.Contains(logs, stored.Token) {
		t.Errorf("the server logged a password or the session token")
	}
}

func (w *world) adminID(t *testing.T) string {
	t.Helper()
	me, err := w.admin.GetMe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return me.User.ID
}

// checkCredentialsFile checks the file login wrote: mode 0600 in a directory of mode 0700,
// holding the server and the session, never the password.
func checkCredentialsFile(t *testing.T, w *world) {
	t.Helper()
	for path, want := range map[string]os.FileMode{w.credentialsPath(): 0o600, filepath.Dir(w.credentialsPath()): 0o700 | os.ModeDir} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, info.Mode(), want)
		}
	}
	c := readCredentials(t, w)
	if c.Server != w.url || !strings.HasPrefix(c.Token, "rss_") || !strings.HasPrefix(c.SessionID, "ses_") {
		t.Errorf("credentials: %+v", c)
	}
	data, _ := os.ReadFile(w.credentialsPath())
	if strings.Contains(string(data), adminPassword) {
		t.Error("the credentials file holds the password")
	}
}

func readCredentials(t *testing.T, w *world) credentials {
	t.Helper()
	data, err := os.ReadFile(w.credentialsPath())
	if err != nil {
		t.Fatal(err)
	}
	var c credentials
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// The stored session goes only to the server that issued it; --token and ROSTER_TOKEN take its
// place; a credentials file others may read is refused; a new login ends the old session.
func TestCredentials(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.login(t)
	first := readCredentials(t, w)

	var authorized atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			authorized.Add(1)
		}
		http.NotFound(rw, r)
	}))
	defer other.Close()
	if r := w.run(t, "", "users", "list", "--server", other.URL); r.code != ExitDenied || !strings.Contains(r.stderr, "not logged in to "+other.URL) {
		t.Errorf("another --server: exit %d, %q", r.code, r.stderr)
	}
	t.Setenv("ROSTER_SERVER", other.URL)
	if r := w.run(t, "", "users", "list"); r.code != ExitDenied {
		t.Errorf("another ROSTER_SERVER: exit %d, %q", r.code, r.stderr)
	}
	t.Setenv("ROSTER_SERVER", "")
	if n := authorized.Load(); n != 0 {
		t.Errorf("the stored session was sent to another server %d times", n)
	}

	// An API token in ROSTER_TOKEN wins over the stored session, also against ROSTER_SERVER.
	tok, err := w.admin.CreateMyToken(ctx, client.APITokenCreate{Name: "script"})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ROSTER_TOKEN", tok.Token)
	t.Setenv("ROSTER_SERVER", w.url)
	sessions := decodeLines[client.SessionInfo](t, w.must(t, "", "sessions", "list"))
	for _, s := range sessions {
		if s.Current {
			t.Errorf("with ROSTER_TOKEN an API token, a session is current: %+v", s)
		}
	}
	if r := w.run(t, "", "sessions", "list", "--token", "rsp_not_a_real_token"); r.code != ExitDenied || strings.Contains(r.stderr, "roster login again") {
		t.Errorf("--token over ROSTER_TOKEN: exit %d, %q", r.code, r.stderr)
	}
	t.Setenv("ROSTER_TOKEN", "")
	t.Setenv("ROSTER_SERVER", "")

	// A new login replaces the stored session and ends the old one.
	w.login(t)
	second := readCredentials(t, w)
	if second.Token == first.Token {
		t.Fatal("a second login stored the same session")
	}
	if _, err := w.anon.WithToken(first.Token).GetMe(ctx); !client.IsUnauthenticated(err) {
		t.Errorf("the replaced session still works: %v", err)
	}

	// A session ended elsewhere: the command says to log in again.
	if err := w.anon.WithToken(second.Token).Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if r := w.run(t, "", "tenants", "list"); r.code != ExitDenied || !strings.Contains(r.stderr, "run roster login again") {
		t.Errorf("an ended stored session: exit %d, %q", r.code, r.stderr)
	}
	if r := w.must(t, "", "logout"); !strings.Contains(r.stderr, "had ended already") {
		t.Errorf("logout of an ended session: %q", r.stderr)
	}
	if r := w.must(t, "", "logout"); !strings.Contains(r.stderr, "Not logged in.") {
		t.Errorf("logout when logged out: %q", r.stderr)
	}

	// A file others may read is refused, and a wrong password stores nothing.
	w.login(t)
	if err := os.Chmod(w.credentialsPath(), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := w.run(t, "", "tenants", "list"); r.code == 0 || !strings.Contains(r.stderr, "may be read by others (mode 0644)") {
		t.Errorf("a credentials file of mode 0644: exit %d, %q", r.code, r.stderr)
	}
	if r := w.run(t, "wrong password\n", "login", "--server", w.url, "admin@example.com"); r.code != ExitDenied {
		t.Errorf("a wrong password: exit %d, %q", r.code, r.stderr)
	}
	if info, err := os.Stat(w.credentialsPath()); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("a failed login changed the credentials file: %v %v", info, err)
	}
	w.login(t)
	checkCredentialsFile(t, w)
}

// Lists are fetched page by page for the user; --limit stops fetching once it has enough.
func TestPaging(t *testing.T) {
	w := newWorld(t)
	w.pageSize = 2
	for _, email := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"} {
		in := client.UserCreate{Email: email}
		if email == "d@example.com" {
			in.Active = new(false)
		}
		if _, err := w.admin.CreateUser(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	w.login(t)
	for _, c := range []struct {
		args     []string
		want     []string
		requests int64
	}{
		{[]string{"users", "list"}, []string{"admin@example.com", "a@example.com", "b@example.com", "c@example.com", "d@example.com"}, 3},
		{[]string{"users", "list", "--limit", "3"}, []string{"admin@example.com", "a@example.com", "b@example.com"}, 2},
		{[]string{"users", "list", "--limit", "1"}, []string{"admin@example.com"}, 1},
		{[]string{"users", "list", "--email", "c@"}, []string{"c@example.com"}, 1},
		{[]string{"users", "list", "--q", "example.com", "--limit", "4"}, []string{"admin@example.com", "a@example.com", "b@example.com", "c@example.com"}, 2},
		{[]string{"users", "list", "--active=false"}, []string{"d@example.com"}, 1},
		{[]string{"users", "list", "--active", "--username", "c"}, []string{"c@example.com"}, 1},
	} {
		w.requests.Store(0)
		var got []string
		for _, u := range decodeLines[client.User](t, w.must(t, "", c.args...)) {
			got = append(got, u.Email)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%v (-want +got):\n%s", c.args, diff)
		}
		if n := w.requests.Load(); n != c.requests {
			t.Errorf("%v sent %d requests, want %d", c.args, n, c.requests)
		}
	}
}
