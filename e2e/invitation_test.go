package e2e

import (
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/internal/mailtest"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
)

// mailsTo waits until n messages to addr have arrived and returns them, or fails t.
func mailsTo(t *testing.T, smtp *mailtest.Server, addr string, n int) []*mailtest.Message {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var out []*mailtest.Message
		for _, m := range smtp.Messages() {
			if m.To[0] == addr {
				out = append(out, m)
			}
		}
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages to %s arrived, want %d", len(out), addr, n)
		}
	}
}

// inviteWorld is a mail-sending server with tenant acme, whose admin is boss, and globex,
// whose admin is other.
type inviteWorld struct {
	e           *env
	smtp        *mailtest.Server
	root, boss  principal
	other       principal
	acme        string // acme's id
	globex      string
	invitations string // acme's invitations
}

func newInviteWorld(t *testing.T, options ...func(*server.Config)) *inviteWorld {
	t.Helper()
	e, smtp := newMailEnv(t, append([]func(*server.Config){func(c *server.Config) { c.Mail.SkipVerification = true }}, options...)...)
	w := &inviteWorld{e: e, smtp: smtp, root: e.bootstrap(), invitations: "/v1/tenants/acme/invitations"}
	mailsTo(t, smtp, "root@example.com", 1) // the administrator's own verification mail
	w.acme, w.globex = e.createTenant(w.root, "acme"), e.createTenant(w.root, "globex")
	w.boss, w.other = e.newUser(w.root, "boss@example.com"), e.newUser(w.root, "other@example.com")
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + w.boss.id, token: w.root.token,
		body: map[string]any{"given_name": "Ada", "family_name": "Boss"}})
	e.addMember(w.root, "acme", w.boss.id, "admin")
	e.addMember(w.root, "globex", w.other.id, "admin")
	return w
}

// invite has p invite email to acme with body's other fields and returns the answer.
func (w *inviteWorld) invite(p principal, email string, roles []string, extra ...any) map[string]any {
	w.e.t.Helper()
	body := map[string]any{"email": email, "roles": roles}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	return w.e.must(http.StatusCreated, req{method: "POST", path: w.invitations, token: p.token, body: body}).object(w.e.t)
}

// token returns the link token of the latest invitation mail to addr, the nth such mail.
func (w *inviteWorld) token(t *testing.T, addr string, n int) string {
	t.Helper()
	return linkToken(t, mailsTo(t, w.smtp, addr, n)[n-1], w.e, service.PathAcceptInvitation)
}

func (w *inviteWorld) lookup(tok string) *resp {
	return w.e.do(req{method: "POST", path: "/v1/invitations/lookup", body: map[string]any{"token": tok}})
}

func (w *inviteWorld) acceptNew(tok, pw string, extra ...any) *resp {
	body := map[string]any{"token": tok, "password": pw}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	return w.e.do(req{method: "POST", path: "/v1/invitations/accept", body: body})
}

func (w *inviteWorld) acceptAs(p principal, tok string) *resp {
	return w.e.do(req{method: "POST", path: "/v1/me/invitations/accept", token: p.token, body: map[string]any{"token": tok}})
}

// refused checks that r is a 400 about the token that says detail.
func refused(t *testing.T, what string, r *resp, detail string) {
	t.Helper()
	if r.status != http.StatusBadRequest || problemDetail(t, r) != detail || !strings.Contains(string(r.body), `"pointer":"/token"`) {
		t.Errorf("%s: %d %s, want 400 %q", what, r.status, r.body, detail)
	}
}

// A person Roster does not know is invited over real SMTP, follows the link, chooses a password
// and names, and is a member that the tenant manages, with a verified address; the link then
// works no more.
func TestInvitationNewAccount(t *testing.T) {
	w := newInviteWorld(t)
	e := w.e
	inv := w.invite(w.boss, "bea@example.com", []string{"user"}, "given_name", "Bea", "locale", "de-DE", "expires_in", 3*24*3600)
	for k, want := range map[string]any{"email": "bea@example.com", "given_name": "Bea", "locale": "de-DE", "status": "pending",
		"user_id": nil, "closed_at": nil, "tenant_id": w.acme} {
		if !cmp.Equal(inv[k], want) {
			t.Errorf("invitation %s = %v, want %v", k, inv[k], want)
		}
	}
	if diff := cmp.Diff([]string{"user"}, strs(t, inv["roles"])); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	if by := inv["invited_by"].(map[string]any); by["kind"] != "user" || by["id"] != w.boss.id {
		t.Errorf("invited_by %v", by)
	}
	if exp := mustTime(t, inv["expires_at"].(string)); exp.Sub(mustTime(t, inv["created_at"].(string))) != 72*time.Hour {
		t.Errorf("expires_at %v for 3 days", exp)
	}

	m := mailsTo(t, w.smtp, "bea@example.com", 1)[0]
	if m.Subject() != "Ada Boss hat Sie zu Tenant acme eingeladen" || !strings.Contains(m.Text, "Hallo Bea,") ||
		!strings.Contains(m.Text, "3 Tage lang") || !strings.Contains(m.HTML, `<html lang="de">`) {
		t.Errorf("invitation mail %q:\n%s", m.Subject(), m.Text)
	}
	tok := w.linkOf(t, m)
	preview := w.lookup(tok)
	if preview.status != http.StatusOK || preview.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("lookup: %d %s", preview.status, preview.body)
	}
	got := preview.object(t)
	delete(got, "expires_at")
	want := map[string]any{"tenant": map[string]any{"id": w.acme, "slug": "acme", "name": "Tenant acme"}, "email": "bea@example.com",
		"given_name": "Bea", "family_name": "", "roles": []any{"user"}, "inviter": "Ada Boss", "account_exists": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lookup (-want +got):\n%s", diff)
	}

	// The password policy applies here; a refused password leaves the link usable.
	if r := w.acceptNew(tok, "password1"); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"pointer":"/password"`) {
		t.Errorf("a common password: %d %s", r.status, r.body)
	}
	r := w.acceptNew(tok, "orchard lantern 42", "family_name", "Kim")
	if r.status != http.StatusCreated {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	member := r.object(t)
	bea := member["user_id"].(string)
	if member["status"] != "active" || member["tenant_id"] != w.acme || !cmp.Equal(strs(t, member["roles"]), []string{"user"}) {
		t.Errorf("the new member: %v", member)
	}
	token := e.login("bea@example.com", "orchard lantern 42")
	me := e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: token}).object(t)
	u := me["user"].(map[string]any)
	for k, want := range map[string]any{"email_verified": true, "managed_by": w.acme, "locale": "de-DE", "given_name": "Bea", "family_name": "Kim"} {
		if u[k] != want {
			t.Errorf("the new account's %s = %v, want %v", k, u[k], want)
		}
	}
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme", token: token}) // a member now
	// The tenant manages the account it made.
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + bea, token: w.boss.token, body: map[string]any{"given_name": "Beatrix"}})

	// Used: the link is refused, and the invitation says who joined.
	refused(t, "replayed", w.acceptNew(tok, "orchard lantern 43"), "This invitation was accepted already.")
	refused(t, "lookup after use", w.lookup(tok), "This invitation was accepted already.")
	got = e.must(http.StatusOK, req{method: "GET", path: w.invitations + "/" + inv["id"].(string), token: w.boss.token}).object(t)
	if got["status"] != "accepted" || got["user_id"] != bea || got["closed_at"] == nil {
		t.Errorf("after acceptance: %v", got)
	}
	var types []string
	for _, ev := range e.readEvents(w.boss.token, "/v1/tenants/acme/events", "", "limit", "200").Items {
		if ev.Data.Object.ID == inv["id"] || ev.Data.Object.ID == bea {
			types = append(types, ev.Type)
		}
	}
	// The account's own events (user.created, user.updated) are the installation's.
	if diff := cmp.Diff([]string{"invitation.created", "member.added", "invitation.accepted"}, types); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func (w *inviteWorld) linkOf(t *testing.T, m *mailtest.Message) string {
	t.Helper()
	return linkToken(t, m, w.e, service.PathAcceptInvitation)
}

// A person who has an account gets a mail of its own, and accepts signed in: through the link,
// or with the accept call of invited memberships. The inviter's answer looks as for a new
// address, and the link is no one else's to use.
func TestInvitationExistingAccount(t *testing.T) {
	w := newInviteWorld(t)
	e := w.e
	carl := e.newUser(w.root, "carl@example.com")
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + carl.id, token: w.root.token, body: map[string]any{"given_name": "Carl"}})
	known := w.invite(w.boss, "carl@example.com", []string{"viewer"}, "given_name", "Charlie")
	unknown := w.invite(w.boss, "nobody@example.com", []string{"viewer"}, "given_name", "Charlie")
	shape := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			switch k {
			case "id", "email", "expires_at", "created_at", "updated_at":
				out[k] = "<varies>"
			default:
				out[k] = v
			}
		}
		return out
	}
	if diff := cmp.Diff(shape(unknown), shape(known)); diff != "" {
		t.Errorf("the answer for a known address differs from one for an unknown address (-unknown +known):\n%s", diff)
	}
	m := mailsTo(t, w.smtp, "carl@example.com", 1)[0]
	if m.Subject() != "Ada Boss invited you to Tenant acme" || !strings.Contains(m.Text, "Hello Carl,") || !strings.Contains(m.Text, "sign in") {
		t.Errorf("mail to an account %q:\n%s", m.Subject(), m.Text)
	}
	tok := w.linkOf(t, m)
	if got := w.lookup(tok).object(t)["account_exists"]; got != true {
		t.Errorf("account_exists = %v for an account's invitation", got)
	}
	if got := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members/" + carl.id, token: w.boss.token}).object(t)["status"]; got != "invited" {
		t.Errorf("the account's membership is %v before it accepts, want invited", got)
	}
	if r := w.acceptNew(tok, "orchard lantern 42"); r.status != http.StatusConflict {
		t.Errorf("a new account for an address that has one: %d %s", r.status, r.body)
	}
	if r := w.acceptAs(w.other, tok); r.status != http.StatusForbidden {
		t.Errorf("another person accepts: %d %s", r.status, r.body)
	}
	r := w.acceptAs(carl, tok)
	if r.status != http.StatusOK || r.object(t)["status"] != "active" || !cmp.Equal(strs(t, r.object(t)["roles"]), []string{"viewer"}) {
		t.Fatalf("accept signed in: %d %s", r.status, r.body)
	}
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme", token: carl.token})
	refused(t, "replayed", w.acceptAs(carl, tok), "This invitation was accepted already.")
	if got := e.must(http.StatusOK, req{method: "GET", path: w.invitations + "/" + known["id"].(string), token: w.boss.token}).object(t); got["status"] != "accepted" || got["user_id"] != carl.id {
		t.Errorf("after acceptance: %v", got)
	}

	// The accept call of invited memberships accepts the invitation too, and uses up its link.
	erin := e.newUser(w.root, "erin@example.com")
	einv := w.invite(w.boss, "erin@example.com", []string{"viewer"})
	etok := w.token(t, "erin@example.com", 1)
	e.must(http.StatusOK, req{method: "POST", path: "/v1/me/memberships/acme/accept", token: erin.token})
	refused(t, "the link after the membership was accepted", w.acceptAs(erin, etok), "This invitation was accepted already.")
	if got := e.must(http.StatusOK, req{method: "GET", path: w.invitations + "/" + einv["id"].(string), token: w.boss.token}).object(t)["status"]; got != "accepted" {
		t.Errorf("invitation accepted through the membership: %v", got)
	}
	// ... but not once the invitation has expired.
	fay := e.newUser(w.root, "fay@example.com")
	finv := w.invite(w.boss, "fay@example.com", []string{"viewer"})
	mailsTo(t, w.smtp, "fay@example.com", 1) // a resend would leave it unsent
	expire(t, w.e, finv["id"].(string))
	e.must(http.StatusConflict, req{method: "POST", path: "/v1/me/memberships/acme/accept", token: fay.token})
	// Declining (leaving the invited membership) declines the invitation.
	e.must(http.StatusOK, req{method: "POST", path: w.invitations + "/" + finv["id"].(string) + "/resend", token: w.boss.token})
	ftok := w.token(t, "fay@example.com", 2) // before the decline, which would leave an unsent mail unsent
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/tenants/acme/members/" + fay.id, token: fay.token})
	refused(t, "a declined invitation", w.acceptAs(fay, ftok), "This invitation was declined.")

	// An expired invitation makes way for a new one to the address, with its invited membership.
	hugo := e.newUser(w.root, "hugo@example.com")
	old := w.invite(w.boss, "hugo@example.com", []string{"viewer"})
	otok := w.token(t, "hugo@example.com", 1) // a replacement would leave it unsent
	expire(t, w.e, old["id"].(string))
	fresh := w.invite(w.boss, "hugo@example.com", []string{"user"})
	if got := e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/acme/members/" + hugo.id, token: w.boss.token}).object(t); got["status"] != "invited" ||
		!cmp.Equal(strs(t, got["roles"]), []string{"user"}) {
		t.Errorf("the membership of the new invitation: %v", got)
	}
	if got := e.must(http.StatusOK, req{method: "GET", path: w.invitations + "/" + old["id"].(string), token: w.boss.token}).object(t)["status"]; got != "expired" {
		t.Errorf("the replaced invitation is %v", got)
	}
	e.must(http.StatusConflict, req{method: "POST", path: w.invitations + "/" + old["id"].(string) + "/resend", token: w.boss.token})
	refused(t, "the replaced invitation's link", w.acceptAs(hugo, otok), "This invitation has expired; ask for a new one.")
	e.must(http.StatusOK, req{method: "POST", path: "/v1/me/memberships/acme/accept", token: hugo.token})
	if got := e.must(http.StatusOK, req{method: "GET", path: w.invitations + "/" + fresh["id"].(string), token: w.boss.token}).object(t)["status"]; got != "accepted" {
		t.Errorf("the new invitation is %v after the membership was accepted", got)
	}

	// An address that got an account after it was invited: its owner signs in and accepts.
	w.invite(w.boss, "gil@example.com", []string{"viewer"})
	gtok := w.token(t, "gil@example.com", 1)
	g := e.newUser(w.root, "gil@example.com")
	if got := w.lookup(gtok).object(t)["account_exists"]; got != true {
		t.Errorf("account_exists = %v once the address has an account", got)
	}
	if r := w.acceptAs(g, gtok); r.status != http.StatusOK || r.object(t)["status"] != "active" {
		t.Errorf("accept by the address's new account: %d %s", r.status, r.body)
	}
}

// outboxSettled waits until every message in the outbox is sent, or fails t when one is dead or
// some are still pending after 10 seconds.
func outboxSettled(t *testing.T, e *env) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var pending, dead int
		if err := e.db(t).QueryRow(`SELECT COUNT(CASE WHEN state = 'pending' THEN 1 END), COUNT(CASE WHEN state = 'dead' THEN 1 END) FROM outbox`).Scan(&pending, &dead); err != nil {
			t.Fatal(err)
		}
		if dead > 0 {
			t.Fatalf("%d dead messages in the outbox", dead)
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still pending", pending)
		}
	}
}

// expire moves an invitation's expiry into the past, in the database.
func expire(t *testing.T, e *env, id string) {
	t.Helper()
	if _, err := writableDB(t, e).Exec(`UPDATE invitations SET expires_at = $1 WHERE id = $2`, time.Now().Add(-time.Second).UnixMicro(), id); err != nil {
		t.Fatal(err)
	}
}

// Expired, revoked and replaced links are refused and say why; sending again makes a new link;
// revoking withdraws the invited membership; a mail queued before a revocation or a resend
// never goes out.
func TestInvitationExpiryRevocationResend(t *testing.T) {
	w := newInviteWorld(t, func(c *server.Config) { c.Mail.OutboxRetry = 1500 * time.Millisecond })
	e := w.e
	gus := w.invite(w.boss, "gus@example.com", []string{"viewer"})
	tok := w.token(t, "gus@example.com", 1)
	expire(t, e, gus["id"].(string))
	refused(t, "expired lookup", w.lookup(tok), "This invitation has expired; ask for a new one.")
	refused(t, "expired accept", w.acceptNew(tok, "orchard lantern 42"), "This invitation has expired; ask for a new one.")
	list := func(status string) []string {
		var page struct {
			Items []struct {
				Email  string `json:"email"`
				Status string `json:"status"`
			} `json:"items"`
		}
		e.must(http.StatusOK, req{method: "GET", path: w.invitations + "?status=" + status, token: w.boss.token}).decode(t, &page)
		var out []string
		for _, it := range page.Items {
			out = append(out, it.Email+":"+it.Status)
		}
		return out
	}
	if diff := cmp.Diff([]string{"gus@example.com:expired"}, list("expired")); diff != "" {
		t.Errorf("expired (-want +got):\n%s", diff)
	}
	if got := list("pending"); len(got) != 0 {
		t.Errorf("pending: %v", got)
	}
	e.must(http.StatusBadRequest, req{method: "GET", path: w.invitations + "?status=lost", token: w.boss.token})
	// Sent again: a new link that works; the old one was replaced.
	again := e.must(http.StatusOK, req{method: "POST", path: w.invitations + "/" + gus["id"].(string) + "/resend", token: w.boss.token,
		body: map[string]any{"expires_in": 7200}}).object(t)
	if again["status"] != "pending" || mustTime(t, again["expires_at"].(string)).Before(time.Now().Add(110*time.Minute)) {
		t.Errorf("after resend: %v", again)
	}
	tok2 := w.token(t, "gus@example.com", 2)
	if m := mailsTo(t, w.smtp, "gus@example.com", 2)[1]; !strings.Contains(m.Text, "for 2 hours") {
		t.Errorf("resent mail:\n%s", m.Text)
	}
	refused(t, "the first link after a resend", w.lookup(tok), "This link was replaced by a newer invitation mail; use the link in that one.")
	e.must(http.StatusOK, req{method: "POST", path: "/v1/invitations/lookup", body: map[string]any{"token": tok2}})
	// Inviting the address again while an invitation is pending is a conflict; after expiry the
	// old one makes way.
	e.must(http.StatusConflict, req{method: "POST", path: w.invitations, token: w.boss.token, body: map[string]any{"email": "GUS@example.com", "roles": []string{"viewer"}}})

	// Revoked: the link dies at once; a revoked invitation is not sent or revoked again.
	hal := w.invite(w.boss, "hal@example.com", []string{"viewer"})
	htok := w.token(t, "hal@example.com", 1)
	rv := e.must(http.StatusOK, req{method: "POST", path: w.invitations + "/" + hal["id"].(string) + "/revoke", token: w.boss.token}).object(t)
	if rv["status"] != "revoked" || rv["closed_at"] == nil {
		t.Errorf("revoked: %v", rv)
	}
	refused(t, "revoked lookup", w.lookup(htok), "This invitation was revoked.")
	refused(t, "revoked accept", w.acceptNew(htok, "orchard lantern 42"), "This invitation was revoked.")
	e.must(http.StatusConflict, req{method: "POST", path: w.invitations + "/" + hal["id"].(string) + "/revoke", token: w.boss.token})
	e.must(http.StatusConflict, req{method: "POST", path: w.invitations + "/" + hal["id"].(string) + "/resend", token: w.boss.token})
	// If-Match guards both.
	e.must(http.StatusPreconditionFailed, req{method: "POST", path: w.invitations + "/" + gus["id"].(string) + "/revoke", token: w.boss.token,
		header: map[string]string{"If-Match": `"1"`}})
	// Revoking an account's invitation withdraws its invited membership.
	ivo := e.newUser(w.root, "ivo@example.com")
	iinv := w.invite(w.boss, "ivo@example.com", []string{"viewer"})
	e.must(http.StatusOK, req{method: "POST", path: w.invitations + "/" + iinv["id"].(string) + "/revoke", token: w.boss.token})
	e.must(http.StatusNotFound, req{method: "POST", path: "/v1/me/memberships/acme/accept", token: ivo.token})
	outboxSettled(t, e) // nothing is on its way when the next mail is made to fail

	// A mail that could not go out yet is not sent once its invitation is revoked, nor once it
	// was sent again (only the newer mail goes): the first attempt fails, the retry finds it
	// obsolete.
	failed := func(to string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var n int
			err := e.db(t).QueryRow(`SELECT attempts FROM outbox WHERE payload LIKE $1 AND state = 'pending' AND last_error <> ''`, "%"+to+"%").Scan(&n)
			if err == nil && n == 1 {
				return
			}
			if err != nil && err != sql.ErrNoRows {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("the first attempt to mail %s did not fail", to)
			}
		}
	}
	w.smtp.TempFail.Store(1)
	jo := w.invite(w.boss, "jo@example.com", []string{"viewer"})
	failed("jo@example.com")
	e.must(http.StatusOK, req{method: "POST", path: w.invitations + "/" + jo["id"].(string) + "/revoke", token: w.boss.token})
	w.smtp.TempFail.Store(1)
	kim := w.invite(w.boss, "kim@example.com", []string{"viewer"})
	failed("kim@example.com")
	e.must(http.StatusOK, req{method: "POST", path: w.invitations + "/" + kim["id"].(string) + "/resend", token: w.boss.token})
	ktok := w.token(t, "kim@example.com", 1)
	time.Sleep(2500 * time.Millisecond) // past the retry of both first mails
	for _, to := range []string{"jo@example.com", "kim@example.com"} {
		want := map[string]int{"jo@example.com": 0, "kim@example.com": 1}[to]
		if n := len(mailsTo(t, w.smtp, to, 0)); n != want {
			t.Errorf("%d mails to %s, want %d", n, to, want)
		}
	}
	outboxSettled(t, e) // the obsolete mails count as done, not dead
	if r := w.acceptNew(ktok, "orchard lantern 42"); r.status != http.StatusCreated {
		t.Errorf("the resent link: %d %s", r.status, r.body)
	}
	// Every link the revoked and resent invitations had is used up (the failed attempts minted one each).
	var live int
	if err := e.db(t).QueryRow(`SELECT COUNT(*) FROM link_tokens WHERE purpose = 'invitation' AND used_at IS NULL AND subject_id IN ($1, $2)`,
		jo["id"], kim["id"]).Scan(&live); err != nil || live != 0 {
		t.Errorf("%d links still work (%v)", live, err)
	}
}

// Nobody offers more than they hold, or renews or withdraws an offer of more; another tenant's
// administrators neither see nor touch the tenant's invitations; two racing acceptances of one
// link make one account.
func TestInvitationAuthority(t *testing.T) {
	w := newInviteWorld(t)
	e := w.e
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/roles", token: w.root.token,
		body: map[string]any{"name": "member-manager", "permissions": []string{"members:*", "tenant:read", "resources:read"}}})
	mgr := e.newUser(w.root, "mgr@example.com")
	e.addMember(w.root, "acme", mgr.id, "member-manager")
	for _, role := range []string{"admin", "user"} {
		e.must(http.StatusForbidden, req{method: "POST", path: w.invitations, token: mgr.token, body: map[string]any{"email": "x@example.com", "roles": []string{role}}})
	}
	w.invite(mgr, "x@example.com", []string{"viewer"})
	adminInv := w.invite(w.boss, "y@example.com", []string{"admin"})["id"].(string)
	e.must(http.StatusForbidden, req{method: "POST", path: w.invitations + "/" + adminInv + "/resend", token: mgr.token})
	e.must(http.StatusForbidden, req{method: "POST", path: w.invitations + "/" + adminInv + "/revoke", token: mgr.token})
	e.must(http.StatusOK, req{method: "GET", path: w.invitations + "/" + adminInv, token: mgr.token})
	// A role a pending invitation offers stays until the invitation is revoked.
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/roles", token: w.root.token, body: map[string]any{"name": "temp"}})
	tmp := w.invite(w.boss, "t@example.com", []string{"temp"})["id"].(string)
	e.must(http.StatusConflict, req{method: "DELETE", path: "/v1/tenants/acme/roles/temp", token: w.boss.token})
	e.must(http.StatusOK, req{method: "POST", path: w.invitations + "/" + tmp + "/revoke", token: w.boss.token})
	e.must(http.StatusNoContent, req{method: "DELETE", path: "/v1/tenants/acme/roles/temp", token: w.boss.token})

	// Another tenant's administrator: 404 for everything of acme's, also through its own tenant.
	for _, r := range []req{
		{method: "GET", path: w.invitations},
		{method: "POST", path: w.invitations, body: map[string]any{"email": "z@example.com", "roles": []string{"viewer"}}},
		{method: "GET", path: w.invitations + "/" + adminInv},
		{method: "POST", path: w.invitations + "/" + adminInv + "/resend"},
		{method: "POST", path: w.invitations + "/" + adminInv + "/revoke"},
		{method: "GET", path: "/v1/tenants/globex/invitations/" + adminInv},
		{method: "POST", path: "/v1/tenants/globex/invitations/" + adminInv + "/revoke"},
	} {
		r.token = w.other.token
		e.must(http.StatusNotFound, r)
	}
	e.must(http.StatusBadRequest, req{method: "GET", path: w.invitations + "/inv_x", token: w.boss.token}) // malformed, not unknown
	var page struct{ Items []any }
	e.must(http.StatusOK, req{method: "GET", path: "/v1/tenants/globex/invitations", token: w.other.token}).decode(t, &page)
	if len(page.Items) != 0 {
		t.Errorf("globex lists %d invitations of acme's", len(page.Items))
	}
	// ... nor accepts an invitation sent to someone else, holding its link.
	ytok := w.token(t, "y@example.com", 1)
	if r := w.acceptAs(w.other, ytok); r.status != http.StatusForbidden {
		t.Errorf("another tenant's admin accepts: %d %s", r.status, r.body)
	}
	if got := e.must(http.StatusOK, req{method: "GET", path: w.invitations + "/" + adminInv, token: w.boss.token}).object(t)["status"]; got != "pending" {
		t.Errorf("after a refused acceptance: %v", got)
	}

	// Racing acceptances of one link: exactly one makes the account.
	w.invite(w.boss, "race@example.com", []string{"viewer"})
	rtok := w.token(t, "race@example.com", 1)
	statuses := race(8, func(int) int { return w.acceptNew(rtok, "orchard lantern 42").status })
	if statuses[http.StatusCreated] != 1 || statuses[http.StatusBadRequest] != 7 {
		t.Errorf("racing acceptances: %v, want one 201 and seven 400", statuses)
	}
	var n int
	if err := e.db(t).QueryRow(`SELECT COUNT(*) FROM users WHERE email_key = 'race@example.com'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d accounts for the raced address (%v)", n, err)
	}
	e.login("race@example.com", "orchard lantern 42")
}
