package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/client"
	"github.com/rosterhq/roster/internal/server"
)

// Tables: a list's columns, one row an item; a resource's fields, one a line, with its ETag.
func TestTables(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ann, err := w.admin.CreateUser(ctx, client.UserCreate{Email: "ann@example.com", GivenName: "Ann", FamilyName: "Smith"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := w.admin.CreateUser(ctx, client.UserCreate{Email: "bob@example.com", Username: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.admin.CreateTenant(ctx, client.TenantCreate{Slug: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []client.MemberCreate{{UserID: ann.ID, Roles: []string{"admin", "viewer"}}, {UserID: bob.ID, Roles: []string{"viewer"}}} {
		if _, err := w.admin.AddMember(ctx, "acme", m); err != nil {
			t.Fatal(err)
		}
	}
	w.login(t)

	first, second := ann, bob
	if bob.ID < ann.ID {
		first, second = bob, ann
	}
	row := func(u *client.User, name, roles string) string {
		return fmt.Sprintf("%-30s  %-15s  %-9s  %-6s  %s\n", u.ID, u.Email, name, "active", roles)
	}
	names := map[string]string{ann.ID: "Ann Smith", bob.ID: "-"}
	roles := map[string]string{ann.ID: "admin,viewer", bob.ID: "viewer"}
	want := fmt.Sprintf("%-30s  %-15s  %-9s  %-6s  %s\n", "USER ID", "EMAIL", "NAME", "STATUS", "ROLES") +
		row(first, names[first.ID], roles[first.ID]) + row(second, names[second.ID], roles[second.ID])
	if diff := cmp.Diff(want, w.must(t, "", "members", "list", "-t", "acme", "-o", "table").stdout); diff != "" {
		t.Errorf("members list -o table (-want +got):\n%s", diff)
	}

	got := w.must(t, "", "users", "get", "ann@example.com", "--output", "table").stdout
	for _, line := range []string{
		"id              " + ann.ID,
		"email           ann@example.com",
		"given_name      Ann",
		"active          true",
		"last_login_at   -",
		"managed_by      ",
		`etag            "1"`,
	} {
		if !strings.Contains(got, line+"\n") {
			t.Errorf("users get -o table lacks %q:\n%s", line, got)
		}
	}
	// JSON: the same resource, with its ETag, ready for --if-match.
	u := decodeOne[withETag[client.User]](t, w.must(t, "", "users", "get", "ann@example.com"))
	if u.Value.ID != ann.ID || u.ETag != `"1"` {
		t.Errorf("users get: %+v", u)
	}
	b := decodeOne[withETag[client.User]](t, w.must(t, "", "users", "get", "bob"))
	if r := w.run(t, "", "users", "deactivate", "bob", "--if-match", b.ETag); r.code != 0 || decodeOne[client.User](t, r).Active {
		t.Errorf("deactivate with the ETag get printed: %d %s", r.code, r.stderr)
	}
	if r := w.run(t, "", "users", "activate", "bob", "--if-match", b.ETag); r.code != ExitConflict {
		t.Errorf("activate with a stale ETag: %d %s", r.code, r.stderr)
	}

	got = w.must(t, "", "whoami", "-o", "table").stdout
	for _, line := range []string{"server          " + w.url, "user            admin@example.com (" + w.adminID(t) + ")", "instance admin  yes"} {
		if !strings.Contains(got, line+"\n") {
			t.Errorf("whoami lacks %q:\n%s", line, got)
		}
	}
	got = w.must(t, "", "roles", "list", "-t", "acme", "-o", "table").stdout
	if !regexp.MustCompile(`(?m)^rol_\w+  admin   yes      \*            `).MatchString(got) {
		t.Errorf("roles list -o table:\n%s", got)
	}
}

// audit tail prints changes as they commit, each once; --after resumes where one stopped.
func TestAuditTail(t *testing.T) {
	w := newWorld(t)
	w.login(t)
	ctx := context.Background()
	if _, err := w.admin.CreateTenant(ctx, client.TenantCreate{Slug: "before", Name: "Before"}); err != nil {
		t.Fatal(err)
	}

	// --last 1 shows the latest event first; then the tail waits for the next.
	done := make(chan result, 1)
	go func() {
		done <- w.runContext(ctx, "", "audit", "tail", "--last", "1", "--max", "1", "--type", "tenant.created")
	}()
	var tail result
	var created []string
	for tail.stdout == "" {
		tn, err := w.admin.CreateTenant(ctx, client.TenantCreate{Slug: fmt.Sprintf("t%d", len(created)), Name: "T"})
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, tn.ID)
		select {
		case tail = <-done:
		case <-time.After(300 * time.Millisecond):
		case <-time.After(30 * time.Second):
			t.Fatal("audit tail printed nothing in 30s")
		}
		if len(created) > 100 {
			t.Fatal("audit tail did not stop after --max 1")
		}
	}
	events := decodeLines[client.Event](t, tail)
	if len(events) != 2 || events[0].Data.Object.Kind != "tenant" || events[1].Type != "tenant.created" {
		t.Fatalf("audit tail --last 1 --max 1: %+v", events)
	}
	var all []*client.Event
	index := func(id string) int {
		t.Helper()
		if p, err := w.admin.ListEvents(ctx, client.EventOptions{Types: []string{"tenant.created"}, Limit: 200}); err != nil {
			t.Fatal(err)
		} else {
			all = p.Items
		}
		for i, e := range all {
			if e.ID == id {
				return i
			}
		}
		t.Fatalf("event %s is not in the stream", id)
		return -1
	}
	if first, next := index(events[0].ID), index(events[1].ID); next != first+1 {
		t.Errorf("audit tail skipped or repeated events: #%d, then #%d", first, next)
	}

	m := regexp.MustCompile(`Resume with --after (\d+)`).FindStringSubmatch(tail.stderr)
	if m == nil {
		t.Fatalf("audit tail did not say where to resume: %q", tail.stderr)
	}
	if _, err := w.admin.CreateTenant(ctx, client.TenantCreate{Slug: "after", Name: "After"}); err != nil {
		t.Fatal(err)
	}
	resumed := decodeLines[client.Event](t, w.must(t, "", "audit", "tail", "--after", m[1], "--max", "1", "--type", "tenant.created"))
	if len(resumed) != 1 || index(resumed[0].ID) != index(events[1].ID)+1 {
		t.Errorf("audit tail --after %s did not start with the next event: %+v", m[1], resumed)
	}

	// Interrupted, it stops without an error and says where to resume.
	cctx, cancel := context.WithCancel(ctx)
	go func() { done <- w.runContext(cctx, "", "audit", "tail", "-o", "table") }()
	time.Sleep(500 * time.Millisecond)
	cancel()
	if r := <-done; r.code != 0 || !strings.Contains(r.stderr, "Stopped. Resume with --after ") || !strings.HasPrefix(r.stdout, "TIME ") {
		t.Errorf("an interrupted tail: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
}

// Passwords are read from standard input, and never printed: set-password, reset-password.
func TestPasswords(t *testing.T) {
	mail := t.TempDir()
	w := newWorld(t, func(c *server.Config) { c.Mail.Dir, c.Mail.SkipVerification = mail, true })
	ctx := context.Background()
	if _, err := w.admin.CreateUser(ctx, client.UserCreate{Email: "ann@example.com", Password: annPassword}); err != nil {
		t.Fatal(err)
	}
	w.login(t)

	const newPassword = "silver kettle 91 drums"
	r := w.must(t, newPassword+"\n", "users", "set-password", "ann@example.com")
	if _, err := w.anon.Login(ctx, "ann@example.com", newPassword); err != nil {
		t.Errorf("the password set-password read does not work: %v", err)
	}
	// One's own password needs the current one, read first.
	if r := w.run(t, "wrong current\n"+newPassword+"\n", "users", "set-password", "admin@example.com", "--current"); r.code != ExitUsage {
		t.Errorf("set-password --current with a wrong one: exit %d %s", r.code, r.stderr)
	}
	r2 := w.must(t, adminPassword+"\n"+newPassword+"\n", "users", "set-password", "admin@example.com", "--current")
	if _, err := w.anon.Login(ctx, "admin@example.com", newPassword); err != nil {
		t.Errorf("the admin's new password does not work: %v", err)
	}
	if r := w.run(t, "", "users", "set-password", "ann"); r.code != ExitUsage || !strings.Contains(r.stderr, "no password on standard input") {
		t.Errorf("set-password without input: exit %d %q", r.code, r.stderr)
	}

	r3 := w.must(t, "", "users", "reset-password", "ann@example.com")
	if a := decodeOne[client.Accepted](t, r3); a.Detail == "" {
		t.Errorf("reset-password: %q", r3.stdout)
	}
	if r := w.must(t, "", "users", "reset-password", "ann@example.com", "-o", "table"); r.stdout != "" || r.stderr == "" {
		t.Errorf("reset-password -o table: %q, %q", r.stdout, r.stderr)
	}
	for deadline := time.Now().Add(20 * time.Second); !mailed(t, mail, "To: <ann@example.com>", "Subject: Reset"); {
		if time.Now().After(deadline) {
			t.Fatal("reset-password mailed nothing to ann in 20s")
		}
		time.Sleep(100 * time.Millisecond)
	}

	for _, r := range []result{r, r2, r3} {
		out := r.stdout + r.stderr
		if strings.Contains(out, newPassword) || strings.Contains(out, adminPassword) || strings.Contains(out, annPassword) {
			t.Errorf("a password was printed:\n%s", out)
		}
	}
	if logs := w.logs.String(); strings.Contains(logs, newPassword) || strings.Contains(logs, adminPassword) {
		t.Error("the server logged a password")
	}
}

// mailed reports whether a message in dir holds every one of lines.
func mailed(t *testing.T, dir string, lines ...string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all := true
		for _, l := range lines {
			all = all && strings.Contains(string(data), l)
		}
		if all {
			return true
		}
	}
	return false
}
