package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/web"
)

// consoleRow is one console route in the authorization matrix. The caller's credential goes
// in the session cookie, as after a sign-in; a form also carries the CSRF token of that
// session. Only login sessions work there, so service-account keys, like no credential at
// all, are sent to sign in (303).
type consoleRow struct {
	route string
	path  func() string
	form  func() url.Values // nil for GET
	fresh bool              // the request ends the session: use a fresh one
	want  want
}

const signIn = http.StatusSeeOther // the console's answer to a missing session, and to a done action

// presession is the pre-session cookie a signed-out browser holds on the sign-in page.
const presession = "matrix-presession-cookie-0123456789abcdef"

func (m *matrix) consoleRows() []consoleRow {
	at := func(p string) func() string { return func() string { return "/console" + p } }
	form := func(kv ...any) func() url.Values {
		return func() url.Values {
			v := url.Values{}
			for i := 0; i < len(kv); i += 2 {
				switch x := kv[i+1].(type) {
				case func() string:
					v.Add(kv[i].(string), x())
				default:
					v.Add(kv[i].(string), x.(string))
				}
			}
			return v
		}
	}
	seeAll := want{signIn, ok, ok, ok, ok, signIn, signIn, ok}                     // every person
	actAll := want{signIn, signIn, signIn, signIn, signIn, signIn, signIn, signIn} // every person's action succeeds
	// Reading and changing inside acme: its admins and instance administrators.
	read := func(w int) want { return want{signIn, forbid, forbid, w, hidden, signIn, signIn, w} }
	act := want{signIn, forbid, forbid, signIn, hidden, signIn, signIn, signIn}
	rootOnly := want{signIn, forbid, forbid, forbid, forbid, signIn, signIn, ok}
	strong := func() string { return m.fresh("quiet harbour ") }
	freshEmail := func() string { return m.fresh("cnew") + "@example.com" }
	target := func(p string) func() string { return func() string { return "/console/users/" + m.target + p } }
	const acme = "/tenants/acme"
	return []consoleRow{
		{"GET /console/{$}", at("/"), nil, false, actAll},
		{"GET /console/sign-in", at("/sign-in"), nil, false, want{ok, signIn, signIn, signIn, signIn, ok, ok, signIn}},
		{"POST /console/sign-in", at("/sign-in"), form("login", freshEmail, "password", "not the one"), false, every(unauth)},
		{"POST /console/sign-out", at("/sign-out"), form(), true, actAll},

		{"GET /console/tenants", at("/tenants"), nil, false, seeAll},
		{"POST /console/tenants", at("/tenants"), form("slug", func() string { return m.fresh("ct") }, "name", "T"), false,
			want{signIn, forbid, forbid, forbid, forbid, signIn, signIn, signIn}},
		{"GET /console/tenants/{tenant}", at(acme), nil, false, want{signIn, ok, ok, ok, hidden, signIn, signIn, ok}},
		{"POST /console/tenants/{tenant}", at(acme), form("name", "Acme"), false, act},

		{"GET /console/tenants/{tenant}/members", at(acme + "/members"), nil, false, read(ok)},
		{"POST /console/tenants/{tenant}/members", at(acme + "/members"),
			form("user", func() string { return m.e.createUser(m.root, freshEmail()) }, "roles", "viewer"), false, act},
		{"POST /console/tenants/{tenant}/members/new", at(acme + "/members/new"), form("email", freshEmail, "roles", "viewer"), false, act},
		{"POST /console/tenants/{tenant}/members/bulk", at(acme + "/members/bulk"), form("user", func() string { return m.target }, "roles", "viewer"), false, act},
		{"POST /console/tenants/{tenant}/members/{user}/roles", func() string { return "/console" + acme + "/members/" + m.target + "/roles" },
			form("roles", "viewer"), false, act},
		{"POST /console/tenants/{tenant}/members/{user}/remove", func() string { return "/console" + acme + "/members/" + m.freshMemberID() + "/remove" },
			form(), false, act},

		{"GET /console/tenants/{tenant}/roles", at(acme + "/roles"), nil, false, read(ok)},
		{"POST /console/tenants/{tenant}/roles", at(acme + "/roles"), form("name", func() string { return m.fresh("crole") }), false, act},
		{"GET /console/tenants/{tenant}/roles/{role}", at(acme + "/roles/billing"), nil, false, read(ok)},
		{"POST /console/tenants/{tenant}/roles/{role}", at(acme + "/roles/billing"),
			form("name", "billing", "description", "d", "other", "invoices:read"), false, act},
		{"POST /console/tenants/{tenant}/roles/{role}/delete", func() string {
			name := m.fresh("cgone")
			m.e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants/acme/roles", token: m.root.token, body: map[string]any{"name": name}})
			return "/console" + acme + "/roles/" + name + "/delete"
		}, form(), false, act},

		{"GET /console/tenants/{tenant}/service-accounts", at(acme + "/service-accounts"), nil, false, read(ok)},
		{"POST /console/tenants/{tenant}/service-accounts", at(acme + "/service-accounts"),
			form("name", func() string { return m.fresh("cbot") }, "roles", "viewer"), false, act},
		{"GET /console/tenants/{tenant}/service-accounts/{sa}", func() string { return "/console" + acme + "/service-accounts/" + m.saID }, nil, false, read(ok)},
		{"POST /console/tenants/{tenant}/service-accounts/{sa}", func() string { return "/console" + acme + "/service-accounts/" + m.saID },
			form("name", "matrix bot", "roles", "admin"), false, act},
		{"POST /console/tenants/{tenant}/service-accounts/{sa}/delete", func() string {
			return "/console" + acme + "/service-accounts/" + m.freshServiceAccount() + "/delete"
		}, form(), false, act},
		{"POST /console/tenants/{tenant}/service-accounts/{sa}/keys", func() string {
			return "/console" + acme + "/service-accounts/" + m.freshServiceAccount() + "/keys"
		}, form(), false, read(ok)},
		{"POST /console/tenants/{tenant}/service-accounts/{sa}/keys/{key}/revoke", func() string {
			return "/console" + acme + "/service-accounts/" + m.saID + "/keys/key_00000000000000000000000000/revoke"
		}, form(), false, read(hidden)},

		{"GET /console/users", at("/users"), nil, false, rootOnly},
		{"POST /console/users", at("/users"), form("email", freshEmail), false, want{signIn, forbid, forbid, forbid, forbid, signIn, signIn, signIn}},
		{"GET /console/users/{user}", target(""), nil, false, want{signIn, hidden, hidden, ok, hidden, signIn, signIn, ok}},
		{"POST /console/users/{user}", target(""), form("given_name", "T"), false, want{signIn, hidden, hidden, forbid, hidden, signIn, signIn, signIn}},
		{"POST /console/users/{user}/status", target("/status"), form("active", "true"), false, want{signIn, hidden, hidden, forbid, hidden, signIn, signIn, signIn}},
		{"POST /console/users/{user}/password", target("/password"), form("password", strong), false,
			want{signIn, hidden, hidden, forbid, hidden, signIn, signIn, signIn}},
		{"POST /console/users/{user}/sessions/{id}/revoke", target("/sessions/ses_00000000000000000000000000/revoke"), form(), false,
			want{signIn, hidden, hidden, hidden, hidden, signIn, signIn, hidden}},
		{"POST /console/users/{user}/tokens/{id}/revoke", target("/tokens/tok_00000000000000000000000000/revoke"), form(), false,
			want{signIn, hidden, hidden, hidden, hidden, signIn, signIn, hidden}},

		{"GET /console/audit", at("/audit"), nil, false, seeAll},

		{"GET /console/account", at("/account"), nil, false, seeAll},
		{"POST /console/account", at("/account"), form("given_name", "Me"), false, actAll},
		{"POST /console/account/password", at("/account/password"), form("current_password", "not the one", "password", strong), false,
			want{signIn, bad, bad, bad, bad, signIn, signIn, bad}},
		{"POST /console/account/tokens", at("/account/tokens"), form("name", func() string { return m.fresh("ctok") }), false, seeAll},
		{"POST /console/account/tokens/{id}/revoke", at("/account/tokens/tok_00000000000000000000000000/revoke"), form(), false,
			want{signIn, hidden, hidden, hidden, hidden, signIn, signIn, hidden}},
		{"POST /console/account/sessions/{id}/revoke", at("/account/sessions/ses_00000000000000000000000000/revoke"), form(), false,
			want{signIn, hidden, hidden, hidden, hidden, signIn, signIn, hidden}},

		{"GET /assets/{file}", func() string { return "/assets/roster.css" }, nil, false, every(ok)},
	}
}

// walkConsole sends every console row as every kind of caller.
func (m *matrix) walkConsole(t *testing.T, callers []struct {
	name string
	p    *principal
}) {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, row := range m.consoleRows() {
		method, _, _ := strings.Cut(row.route, " ")
		w := row.want
		statuses := []int{w.anon, w.viewer, w.user, w.admin, w.other, w.sa, w.osa, w.root}
		for i, caller := range callers {
			if statuses[i] == 0 {
				continue
			}
			t.Run(row.route+"/"+caller.name, func(t *testing.T) {
				secret := caller.p.token
				if row.fresh && caller.p.email != "" {
					res := m.e.do(req{method: "POST", path: "/v1/auth/login", body: map[string]any{"login": caller.p.email, "password": testPassword}})
					if res.status != http.StatusOK {
						t.Fatalf("log in again as %s: %d %s", caller.name, res.status, res.body)
					}
					secret = res.object(t)["token"].(string)
				}
				var body *strings.Reader
				if row.form != nil {
					v := row.form()
					key := secret
					if key == "" || !strings.HasPrefix(key, "rss_") || row.route == "POST /console/sign-in" {
						key = presession
					}
					v.Set(web.CSRFField, web.CSRFToken(key))
					body = strings.NewReader(v.Encode())
				} else {
					body = strings.NewReader("")
				}
				r, err := http.NewRequest(method, m.e.url+row.path(), body)
				if err != nil {
					t.Fatal(err)
				}
				if row.form != nil {
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				r.AddCookie(&http.Cookie{Name: "roster_presession", Value: presession})
				if secret != "" {
					r.AddCookie(&http.Cookie{Name: "roster_session", Value: secret})
				}
				res, err := client.Do(r)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != statuses[i] {
					t.Errorf("%s %s as %s: status %d, want %d", method, r.URL.Path, caller.name, res.StatusCode, statuses[i])
				}
			})
		}
	}
}
