package e2e

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/internal/mailtest"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/testdb"
)

// newMailEnv starts a loopback SMTP server and a Roster server that mails through it.
func newMailEnv(t *testing.T, options ...func(*server.Config)) (*env, *mailtest.Server) {
	t.Helper()
	smtp := mailtest.Start(t, mailtest.Options{})
	e := newEnv(t, append([]func(*server.Config){func(c *server.Config) {
		c.Mail.SMTPURL = smtp.URL()
		c.Mail.OutboxRetry = 100 * time.Millisecond
	}}, options...)...)
	return e, smtp
}

// linkToken returns the token of the single-use link in m, checking the page it opens.
func linkToken(t *testing.T, m *mailtest.Message, e *env, path string) string {
	t.Helper()
	u, err := url.Parse(m.Link())
	if err != nil || m.Link() == "" {
		t.Fatalf("no link in the mail:\n%s", m.Text)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != e.url+path {
		t.Errorf("link opens %s, want %s", got, e.url+path)
	}
	return u.Query().Get("token")
}

func outboxRows(t *testing.T, e *env, template string) int {
	t.Helper()
	var n int
	if err := e.db(t).QueryRow(`SELECT COUNT(*) FROM outbox WHERE payload LIKE $1`, `%"template":"`+template+`"%`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func problemDetail(t *testing.T, r *resp) string {
	t.Helper()
	d, _ := r.object(t)["detail"].(string)
	return d
}

// A new user gets a verification mail in its locale over a real SMTP session; the link works
// once; the instance setting and the Links surface send none unless asked.
func TestEmailVerification(t *testing.T) {
	e, smtp := newMailEnv(t)
	root := e.bootstrap()
	first := smtp.Wait(t, 1, 10*time.Second)[0] // the bootstrapped administrator's own
	if first.To[0] != "root@example.com" || first.Subject() != "Confirm your email address" {
		t.Errorf("bootstrap mail to %v: %q", first.To, first.Subject())
	}
	res := e.must(http.StatusCreated, req{method: "POST", path: "/v1/users", token: root.token,
		body: map[string]any{"email": "ann@example.com", "given_name": "Ann", "locale": "de-DE", "password": testPassword}})
	ann := res.object(t)["id"].(string)
	if res.object(t)["email_verified"] != false {
		t.Error("a new user's address is verified before the link is opened")
	}
	m := smtp.Wait(t, 2, 10*time.Second)[1]
	if m.To[0] != "ann@example.com" || m.Subject() != "Bestätigen Sie Ihre E-Mail-Adresse" || !strings.Contains(m.Text, "Hallo Ann,") {
		t.Errorf("verification mail to %v: %q\n%s", m.To, m.Subject(), m.Text)
	}
	if id := m.Header.Get("Message-Id"); !strings.HasPrefix(id, "<obx_") || !strings.HasSuffix(id, "@localhost>") {
		t.Errorf("Message-ID %q, want <obx_…@localhost>", id)
	}
	if !strings.Contains(m.HTML, `<html lang="de">`) || !strings.Contains(m.HTML, `href="`+m.Link()+`"`) {
		t.Errorf("HTML body:\n%s", m.HTML)
	}
	tok := linkToken(t, m, e, service.PathVerifyEmail)
	got := e.must(http.StatusOK, req{method: "POST", path: "/v1/auth/email-verification/complete", body: map[string]any{"token": tok}}).object(t)
	if diff := cmp.Diff(map[string]any{"email": "ann@example.com", "email_verified": true}, got); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	if e.must(http.StatusOK, req{method: "GET", path: "/v1/users/" + ann, token: root.token}).object(t)["email_verified"] != true {
		t.Error("the address is not verified after the link was used")
	}
	for _, c := range []struct{ token, detail string }{
		{tok, "This link was used already; ask for a new one."},
		{"rsl_" + strings.Repeat("A", 49), "This link is not valid; ask for a new one."},
		{"not a token", "This link is not valid; ask for a new one."},
	} {
		r := e.must(http.StatusBadRequest, req{method: "POST", path: "/v1/auth/email-verification/complete", body: map[string]any{"token": c.token}})
		if problemDetail(t, r) != c.detail {
			t.Errorf("token %.10s…: %q, want %q", c.token, problemDetail(t, r), c.detail)
		}
	}
	// Verified already: asking again is a conflict. An unverified user asks for a new link.
	annToken := e.login("ann@example.com", testPassword)
	e.must(http.StatusConflict, req{method: "POST", path: "/v1/me/email-verification", token: annToken})
	bob := e.newUser(root, "bob@example.com")
	smtp.Wait(t, 3, 10*time.Second)
	e.must(http.StatusAccepted, req{method: "POST", path: "/v1/me/email-verification", token: bob.token})
	again := smtp.Wait(t, 4, 10*time.Second)[3]
	if again.To[0] != "bob@example.com" || again.Subject() != "Confirm your email address" {
		t.Errorf("resent verification to %v: %q", again.To, again.Subject())
	}
	e.must(http.StatusOK, req{method: "POST", path: "/v1/auth/email-verification/complete", body: map[string]any{"token": linkToken(t, again, e, service.PathVerifyEmail)}})

	// Links: a user created there gets no mail unless the caller asks ("confirm": false).
	before := outboxRows(t, e, "verify_email")
	links := func(body map[string]any) {
		e.links(root.token, req{method: "POST", path: "/users", body: body})
	}
	links(map[string]any{"username": "quiet", "password": "amber meadow 12", "email": "quiet@example.com"})
	if n := outboxRows(t, e, "verify_email"); n != before {
		t.Errorf("a Links user created without asking got a verification mail (%d rows, was %d)", n, before)
	}
	links(map[string]any{"username": "asked", "password": "amber meadow 12", "email": "asked@example.com", "confirm": false})
	if n := outboxRows(t, e, "verify_email"); n != before+1 {
		t.Errorf("a Links user created with confirm=false got no verification mail (%d rows, was %d)", n, before)
	}

	// The instance setting: no verification mail for users that administrators create.
	q, _ := newMailEnv(t, func(c *server.Config) { c.Mail.SkipVerification = true })
	qroot := q.bootstrap()
	q.createUser(qroot, "skipped@example.com")
	if n := outboxRows(t, q, "verify_email"); n != 1 { // the bootstrapped administrator's own only
		t.Errorf("with --skip-verification-mail: %d verification mails, want 1", n)
	}
}

// A user's own address change takes effect only once the link mailed to the new address is
// opened; the old address is told. The request says nothing about who has an address.
func TestEmailChange(t *testing.T) {
	e, smtp := newMailEnv(t, func(c *server.Config) { c.Mail.SkipVerification = true })
	root := e.bootstrap()
	smtp.Wait(t, 1, 10*time.Second)
	ann := e.newUser(root, "ann@example.com")
	bob := e.newUser(root, "bob@example.com")
	change := func(p principal, email, pw string) *resp {
		return e.do(req{method: "POST", path: "/v1/me/email-change", token: p.token, body: map[string]any{"email": email, "current_password": pw}})
	}
	if r := change(ann, "ann@new.example", "not my password"); r.status != http.StatusBadRequest {
		t.Errorf("wrong current password: %d %s", r.status, r.body)
	}
	if r := change(ann, "ann@example.com", testPassword); r.status != http.StatusBadRequest {
		t.Errorf("the current address: %d %s", r.status, r.body)
	}
	if r := change(ann, "ann@new.example", testPassword); r.status != http.StatusAccepted {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	m := smtp.Wait(t, 2, 10*time.Second)[1]
	if m.To[0] != "ann@new.example" || m.Subject() != "Confirm your new email address" ||
		!strings.Contains(m.Text, "from ann@example.com to ann@new.example") {
		t.Errorf("change mail to %v: %q\n%s", m.To, m.Subject(), m.Text)
	}
	if got := e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: ann.token}).object(t)["user"].(map[string]any)["email"]; got != "ann@example.com" {
		t.Errorf("the address changed before the link was opened: %v", got)
	}
	tok := linkToken(t, m, e, service.PathVerifyEmail)
	e.must(http.StatusOK, req{method: "POST", path: "/v1/auth/email-verification/complete", body: map[string]any{"token": tok}})
	u := e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: ann.token}).object(t)["user"].(map[string]any)
	if u["email"] != "ann@new.example" || u["email_verified"] != true {
		t.Errorf("after the link: %v", u)
	}
	told := smtp.Wait(t, 3, 10*time.Second)[2]
	if told.To[0] != "ann@example.com" || told.Subject() != "Your email address was changed" || told.Link() != "" {
		t.Errorf("notice to the old address: %v %q", told.To, told.Subject())
	}
	e.must(http.StatusBadRequest, req{method: "POST", path: "/v1/auth/email-verification/complete", body: map[string]any{"token": tok}})
	e.login("ann@new.example", testPassword)

	// Bob asks for Ann's address: the answer is the same 202; only the link's owner learns it
	// is taken, and nothing changes.
	if r := change(bob, "ANN@new.example", testPassword); r.status != http.StatusAccepted {
		t.Fatalf("change to a taken address: %d %s", r.status, r.body)
	}
	m = smtp.Wait(t, 4, 10*time.Second)[3]
	e.must(http.StatusConflict, req{method: "POST", path: "/v1/auth/email-verification/complete", body: map[string]any{"token": linkToken(t, m, e, service.PathVerifyEmail)}})
	if got := e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: bob.token}).object(t)["user"].(map[string]any)["email"]; got != "bob@example.com" {
		t.Errorf("bob's address: %v", got)
	}
	// An administrator's change of address makes it unverified again.
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + ann.id, token: root.token, body: map[string]any{"email_verified": true}})
	if got := e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + ann.id, token: root.token,
		body: map[string]any{"email": "ann@third.example"}}).object(t)["email_verified"]; got != false {
		t.Errorf("after an administrator changed the address, email_verified = %v", got)
	}
}

// Password reset: one answer for every login, a single-use link that expires, a new password
// under the policy, every session ended; throttled, audited; an administrator may send one.
func TestPasswordReset(t *testing.T) {
	e, smtp := newMailEnv(t, func(c *server.Config) { c.Mail.SkipVerification = true })
	root := e.bootstrap()
	smtp.Wait(t, 1, 10*time.Second)
	ann := e.newUser(root, "ann@example.com")
	other := e.login("ann@example.com", testPassword)
	reset := func(login string) *resp {
		return e.do(req{method: "POST", path: "/v1/auth/password-reset", body: map[string]any{"login": login}})
	}
	known, unknown, byName := reset("ann@example.com"), reset("nobody@example.com"), reset("ann")
	for _, r := range []*resp{known, unknown, byName} {
		if r.status != http.StatusAccepted {
			t.Fatalf("reset: %d %s", r.status, r.body)
		}
	}
	if string(known.body) != string(unknown.body) || string(known.body) != string(byName.body) {
		t.Errorf("answers differ:\n%s\n%s\n%s", known.body, unknown.body, byName.body)
	}
	for _, h := range []string{"Content-Type", "Cache-Control", "Content-Length"} {
		if known.header.Get(h) != unknown.header.Get(h) {
			t.Errorf("header %s differs: %q vs %q", h, known.header.Get(h), unknown.header.Get(h))
		}
	}
	msgs := smtp.Wait(t, 3, 10*time.Second)
	for _, m := range msgs[1:] {
		if m.To[0] != "ann@example.com" || m.Subject() != "Reset your password" || !strings.Contains(m.Text, "for 30 minutes") {
			t.Errorf("reset mail to %v: %q\n%s", m.To, m.Subject(), m.Text)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(smtp.Messages()); n != 3 {
		t.Errorf("%d messages; the unknown login must get none", n)
	}
	first, second := linkToken(t, msgs[1], e, service.PathResetPassword), linkToken(t, msgs[2], e, service.PathResetPassword)
	complete := func(tok, pw string) *resp {
		return e.do(req{method: "POST", path: "/v1/auth/password-reset/complete", body: map[string]any{"token": tok, "password": pw}})
	}
	if r := complete(first, "password1"); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"pointer":"/password"`) {
		t.Errorf("a common password: %d %s", r.status, r.body)
	}
	if r := complete(first, "orchard lantern 42"); r.status != http.StatusNoContent {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	for _, tok := range []string{ann.token, other} {
		e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", token: tok})
	}
	e.login("ann@example.com", "orchard lantern 42")
	// Used up: the same link, and the other link of the same kind, are refused.
	for _, tok := range []string{first, second} {
		if r := complete(tok, "orchard lantern 43"); r.status != http.StatusBadRequest || problemDetail(t, r) != "This link was used already; ask for a new one." {
			t.Errorf("a used link: %d %s", r.status, r.body)
		}
	}
	// A verification link does not reset a password.
	e.must(http.StatusAccepted, req{method: "POST", path: "/v1/users/" + ann.id + "/password-reset", token: root.token})
	m := smtp.Wait(t, 4, 10*time.Second)[3]
	tok := linkToken(t, m, e, service.PathResetPassword)
	e.must(http.StatusBadRequest, req{method: "POST", path: "/v1/auth/email-verification/complete", body: map[string]any{"token": tok}})
	// Expired: the link stops working at its expiry.
	if _, err := writableDB(t, e).Exec(`UPDATE link_tokens SET expires_at = $1 WHERE purpose = 'reset_password' AND used_at IS NULL`, time.Now().Add(-time.Second).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if r := complete(tok, "orchard lantern 44"); r.status != http.StatusBadRequest || problemDetail(t, r) != "This link has expired; ask for a new one." {
		t.Errorf("an expired link: %d %s", r.status, r.body)
	}
	// Only an account's manager sends it a link: the tenant that manages it, an instance
	// administrator; not a user who cannot even see the account, nor an admin of a tenant the
	// account merely belongs to.
	e.must(http.StatusNotFound, req{method: "POST", path: "/v1/users/" + root.id + "/password-reset", token: e.login("ann@example.com", "orchard lantern 42")})
	e.createTenant(root, "acme")
	boss := e.newUser(root, "boss@example.com")
	e.addMember(root, "acme", boss.id, "admin")
	managed := e.must(http.StatusCreated, req{method: "POST", path: "/v1/users", token: root.token,
		body: map[string]any{"email": "kit@example.com", "managed_by": "acme"}}).object(t)["id"].(string)
	e.addMember(root, "acme", managed, "viewer")
	e.addMember(root, "acme", ann.id, "viewer")
	e.must(http.StatusAccepted, req{method: "POST", path: "/v1/users/kit@example.com/password-reset", token: boss.token})
	if m := smtp.Wait(t, 5, 10*time.Second)[4]; m.To[0] != "kit@example.com" || m.Subject() != "Reset your password" {
		t.Errorf("the manager's reset link went to %v: %q", m.To, m.Subject())
	}
	e.must(http.StatusForbidden, req{method: "POST", path: "/v1/users/" + ann.id + "/password-reset", token: boss.token})
	// A deactivated user gets no link either way.
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + ann.id, token: root.token, body: map[string]any{"active": false}})
	e.must(http.StatusConflict, req{method: "POST", path: "/v1/users/" + ann.id + "/password-reset", token: root.token})
	before := outboxRows(t, e, "reset_password")
	if r := e.from("127.0.0.3").do(req{method: "POST", path: "/v1/auth/password-reset", body: map[string]any{"login": "ann@example.com"}}); r.status != http.StatusAccepted || string(r.body) != string(known.body) {
		t.Errorf("a deactivated user's reset: %d %s", r.status, r.body)
	}
	if n := outboxRows(t, e, "reset_password"); n != before {
		t.Error("a deactivated user was sent a reset link")
	}

	// Throttled per login name whether or not it exists (5 an hour), the same way.
	c := e.from("127.0.0.4")
	for _, login := range []string{"root", "ghost"} {
		var statuses []int
		for range 6 {
			statuses = append(statuses, c.do(req{method: "POST", path: "/v1/auth/password-reset", body: map[string]any{"login": login}}).status)
		}
		if diff := cmp.Diff([]int{202, 202, 202, 202, 202, 429}, statuses); diff != "" {
			t.Errorf("%s: statuses (-want +got):\n%s", login, diff)
		}
	}
	actions := map[string]int{}
	for _, ev := range e.auditEvents(root.token, "/v1/audit-events") {
		actions[ev["action"].(string)]++
	}
	if actions["auth.password_reset_requested"] < 14 || actions["user.password_reset"] != 1 || actions["user.password_reset_sent"] != 2 {
		t.Errorf("audit actions: %v", actions)
	}
}

// Without a mail server or directory, the calls that exist to send mail say so.
func TestMailOff(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	r := e.must(http.StatusServiceUnavailable, req{method: "POST", path: "/v1/auth/password-reset", body: map[string]any{"login": "root"}})
	if !strings.Contains(problemDetail(t, r), "--smtp-url or --mail-dir") {
		t.Errorf("detail %q", problemDetail(t, r))
	}
	e.must(http.StatusServiceUnavailable, req{method: "POST", path: "/v1/me/email-verification", token: root.token})
	if n := outboxRows(t, e, "verify_email"); n != 0 {
		t.Errorf("mail queued while mail is off: %d", n)
	}
}

// A temporary failure is retried with the same Message-ID; a refused recipient is dead and
// visible: roster mail list, the metric, a log line.
func TestMailRetriesAndDeadLetters(t *testing.T) {
	e, smtp := newMailEnv(t, func(c *server.Config) { c.Mail.SkipVerification = true; c.MetricsToken = metricsToken })
	smtp.TempFail.Store(2)
	smtp.RejectRcpt = func(to string) bool { return to == "gone@example.com" }
	root := e.bootstrap()
	m := smtp.Wait(t, 1, 20*time.Second)[0]
	var attempts int
	for deadline := time.Now().Add(10 * time.Second); attempts == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		err := e.db(t).QueryRow(`SELECT attempts FROM outbox WHERE state = 'sent'`).Scan(&attempts)
		if err != nil && err != sql.ErrNoRows {
			t.Fatal(err)
		}
	}
	if attempts != 3 {
		t.Errorf("the message went at attempt %d, want 3", attempts)
	}
	gone := e.createUser(root, "gone@example.com")
	e.must(http.StatusAccepted, req{method: "POST", path: "/v1/users/" + gone + "/password-reset", token: root.token})
	var id string
	for deadline := time.Now().Add(10 * time.Second); id == ""; {
		err := e.db(t).QueryRow(`SELECT id FROM outbox WHERE state = 'dead'`).Scan(&id)
		if err != nil && err != sql.ErrNoRows {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the refused message did not become dead")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.HasPrefix(m.Header.Get("Message-Id"), "<obx_") {
		t.Errorf("Message-ID %q", m.Header.Get("Message-Id"))
	}
	metrics := string(e.must(http.StatusOK, req{method: "GET", path: "/metrics", token: metricsToken}).body)
	for _, want := range []string{`roster_outbox_messages{kind="mail",state="dead"} 1`, `roster_outbox_dead_total{kind="mail"} 1`,
		`roster_outbox_sent_total{kind="mail"} 1`, `roster_outbox_failures_total{kind="mail"} 3`, `roster_outbox_delay_seconds_count{kind="mail"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !strings.Contains(e.logs.String(), `"msg":"outbox: message cannot be sent; it is dead (roster mail list shows it)"`) {
		t.Error("no log line for the dead message")
	}
	out, err := exec.Command(rosterBinary(t), "mail", "list", "--db", e.dsn).CombinedOutput()
	if err != nil || !strings.Contains(string(out), id) || !strings.Contains(string(out), "dead") || !strings.Contains(string(out), "gone@example.com") ||
		!strings.Contains(string(out), "no such mailbox") {
		t.Errorf("roster mail list: %v\n%s", err, out)
	}
}

// The SMTP password is used, and never logged: not when mail goes, not when the server
// refuses it.
func TestSMTPPasswordNeverLogged(t *testing.T) {
	const pw = "tangerine-vault-77"
	smtp := mailtest.Start(t, mailtest.Options{TLS: mailtest.StartTLS, User: "roster", Password: pw})
	e := newEnv(t, func(c *server.Config) { c.Mail.SMTPURL = smtp.URL(); c.Mail.SMTPTLS = smtp.ClientTLS })
	e.bootstrap()
	if m := smtp.Wait(t, 1, 10*time.Second)[0]; m.To[0] != "root@example.com" {
		t.Errorf("mail to %v", m.To)
	}
	bad := mailtest.Start(t, mailtest.Options{User: "roster", Password: "another one"})
	wrong := newEnv(t, func(c *server.Config) { c.Mail.SMTPURL = strings.Replace(bad.URL(), "another%20one", pw, 1) })
	wrong.bootstrap()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(wrong.logs.String(), "AUTH"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no failed attempt was logged")
		}
	}
	for _, logs := range []string{e.logs.String(), wrong.logs.String()} {
		if strings.Contains(logs, pw) {
			t.Error("a log line holds the SMTP password")
		}
		if !strings.Contains(logs, `"server":"smtp://roster@127.0.0.1:`) {
			t.Error("the start-up line does not name the mail server")
		}
	}
}

// After kill -9 between the acknowledgement and the send, the restarted server sends the
// message, with the same Message-ID, once the dead process's lease has run out.
func TestMailSurvivesKill9(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Options{})
	dsn := testdb.DSN(t)
	flags := []string{"--shutdown-delay", "0", "--smtp-url", smtp.URL(), "--outbox-lease", "3s", "--outbox-retry", "200ms", "--skip-verification-mail"}
	r := serveBinary(t, dsn, flags...)
	root := r.env.bootstrap()
	smtp.Wait(t, 1, 10*time.Second) // the administrator's verification mail
	uid := r.env.createUser(root, "ann@example.com")
	smtp.HoldData(true)
	r.env.must(http.StatusAccepted, req{method: "POST", path: "/v1/users/" + uid + "/password-reset", token: root.token})
	smtp.WaitInData(t, 10*time.Second) // acknowledged, and the send under way
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-r.done
	smtp.Release()
	r2 := serveBinary(t, dsn, flags...)
	m := smtp.Wait(t, 2, 20*time.Second)[1]
	held := smtp.Held()
	if len(held) != 1 || held[0].Header.Get("Message-Id") != m.Header.Get("Message-Id") {
		t.Fatalf("the message sent after restart has Message-ID %q; the one cut off had %v", m.Header.Get("Message-Id"), held)
	}
	if m.To[0] != "ann@example.com" || m.Subject() != "Reset your password" {
		t.Errorf("after restart: %v %q", m.To, m.Subject())
	}
	u, _ := url.Parse(m.Link())
	r2.env.must(http.StatusNoContent, req{method: "POST", path: "/v1/auth/password-reset/complete",
		body: map[string]any{"token": u.Query().Get("token"), "password": "orchard lantern 42"}})
	time.Sleep(300 * time.Millisecond)
	if n := len(smtp.Messages()); n != 2 {
		t.Errorf("%d messages delivered, want 2", n)
	}
}

// Two replicas on one PostgreSQL database send each message exactly once, and one killed in
// the middle of a send is taken over by the other.
func TestTwoReplicasMailOnce(t *testing.T) {
	if testdb.Kind() != testdb.Postgres {
		t.Skip("replicas need PostgreSQL")
	}
	smtp := mailtest.Start(t, mailtest.Options{})
	dsn := testdb.DSN(t)
	rs := startReplicasWith(t, dsn, 2, "--shutdown-delay", "0", "--smtp-url", smtp.URL(), "--outbox-lease", "3s", "--outbox-retry", "200ms")
	a, b := rs[0].env, rs[1].env
	root := a.bootstrap()
	smtp.Wait(t, 1, 20*time.Second)
	const n = 40
	race(n, func(i int) int {
		return []*env{a, b}[i%2].do(req{method: "POST", path: "/v1/users", token: root.token,
			body: map[string]any{"email": fmt.Sprintf("u%d@example.com", i)}}).status
	})
	msgs := smtp.Wait(t, n+1, 30*time.Second)
	time.Sleep(1500 * time.Millisecond) // both replicas poll at least once more
	seen := map[string]int{}
	for _, m := range smtp.Messages() {
		seen[m.Header.Get("Message-Id")]++
		seen["to:"+m.To[0]]++
	}
	for k, c := range seen {
		if c != 1 {
			t.Errorf("%s: %d messages", k, c)
		}
	}
	if len(smtp.Messages()) != len(msgs) || len(msgs) != n+1 {
		t.Errorf("%d messages, want %d", len(smtp.Messages()), n+1)
	}

	// Kill whichever replica is in the middle of sending; the other takes over.
	smtp.HoldData(true)
	uid := a.createUser(root, "last@example.com")
	smtp.WaitInData(t, 10*time.Second)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var owner string
	if err := db.QueryRow(`SELECT lease_owner FROM outbox WHERE payload LIKE '%last@example.com%'`).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	victim := rs[0]
	if !strings.Contains(owner, fmt.Sprintf("-%d-", victim.cmd.Process.Pid)) {
		victim = rs[1]
	}
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	smtp.Release()
	m := smtp.Wait(t, n+2, 20*time.Second)[n+1]
	if m.To[0] != "last@example.com" || len(smtp.Held()) != 1 || smtp.Held()[0].Header.Get("Message-Id") != m.Header.Get("Message-Id") {
		t.Errorf("taken over: to %v, held %d", m.To, len(smtp.Held()))
	}
	_ = uid
}

// writableDB opens the server's database for a test that writes beside the server: on SQLite
// with a busy timeout, so that it queues behind the server's writer.
func writableDB(t testing.TB, e *env) *sql.DB {
	t.Helper()
	if testdb.Kind() == testdb.Postgres {
		return e.db(t)
	}
	db, err := sql.Open("sqlite", "file:"+e.dsn+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
