package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/server"
)

func TestPasswordPolicy(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	for _, c := range []struct {
		name, password, detail string
	}{
		{"too short", "seven77", "must be at least 8 characters long"},
		{"too short in code points", "日本語のパスワ", "must be at least 8 characters long"}, // 7 characters, 21 bytes
		{"common", "Password1", "is one of the most common passwords; choose another"},
		{"common after NFKC", "ｑｗｅｒｔｙｕｉｏｐ", "is one of the most common passwords; choose another"},
		{"holds the username", "my-annabel-rocks", "must not contain your username or the name part of your email"},
		{"holds the email's name", "xxannabelxx-42", "must not contain your username or the name part of your email"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := e.must(http.StatusBadRequest, req{method: "POST", path: "/v1/users", token: admin.token,
				body: map[string]any{"email": "annabel@example.com", "username": "annabel", "password": c.password}})
			if diff := cmp.Diff([]any{map[string]any{"pointer": "/password", "detail": c.detail}}, res.object(t)["errors"]); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
	// Eight characters are enough however many bytes they take, and the password is compared
	// after NFKC: full-width digits and letters log in as their ASCII forms.
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/users", token: admin.token,
		body: map[string]any{"email": "kana@example.com", "password": "日本語のパスワード"}})
	e.login("kana@example.com", "日本語のパスワード")
	e.must(http.StatusCreated, req{method: "POST", path: "/v1/users", token: admin.token,
		body: map[string]any{"email": "wide@example.com", "password": "ｌａｎｔｅｒｎ４２ｆｉｒ"}})
	e.login("wide@example.com", "lantern42fir")
}

// from returns a copy of e whose requests come from another loopback address.
func (e *env) from(ip string) *env {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	c := *e
	c.client = &http.Client{Timeout: time.Minute, Transport: &validatingTransport{t: e.t, next: &http.Transport{DialContext: d.DialContext}}}
	return &c
}

func TestLoginThrottling(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.LoginLock = 2 * time.Second })
	admin := e.bootstrap()
	e.newUser(admin, "ann@example.com")
	login := func(env *env, name, password string) *resp {
		return env.do(req{method: "POST", path: "/v1/auth/login", body: map[string]any{"login": name, "password": password}})
	}
	for i := range 5 {
		if res := login(e, "ann@example.com", "wrong guess number"); res.status != 401 {
			t.Fatalf("failure %d: %d %s", i, res.status, res.body)
		}
	}
	// Locked: the right password gets the same 429 as a wrong one, on every surface.
	wrong, right := login(e, "ann@example.com", "wrong guess number"), login(e, "ANN@example.com", testPassword)
	for _, res := range []*resp{wrong, right} {
		if res.status != 429 || res.header.Get("Retry-After") == "" {
			t.Fatalf("while locked: %d %v %s", res.status, res.header, res.body)
		}
	}
	if a, b := wrong.object(t), right.object(t); a["detail"] != b["detail"] {
		t.Errorf("a locked account answers a right password differently: %v vs %v", a, b)
	}
	if res := e.links("", req{method: "POST", path: "/login", body: map[string]any{"username": "ann@example.com", "password": testPassword}}); res.status != 429 {
		t.Errorf("Links login while locked: %d", res.status)
	}
	if res := e.ella("", req{method: "POST", path: "/auth/login", body: map[string]any{"email": "ann@example.com", "password": testPassword}}); res.status != 429 {
		t.Errorf("Ella Core login while locked: %d", res.status)
	}
	// The real user, from an address that has not been failing, logs in; so do other users.
	if res := login(e.from("127.0.0.2"), "ann@example.com", testPassword); res.status != 200 {
		t.Errorf("from a clean address: %d %s", res.status, res.body)
	}
	if res := login(e, "root", testPassword); res.status != 200 {
		t.Errorf("another user from the failing address: %d %s", res.status, res.body)
	}
	// A name nobody has is throttled the same way, so a 429 tells nothing.
	for range 5 {
		login(e, "ghost@example.com", "wrong guess number")
	}
	if res := login(e, "ghost@example.com", "wrong guess number"); res.status != 429 {
		t.Errorf("unknown name after 5 failures: %d", res.status)
	}
	// The lock runs out by itself; the next failure locks for twice as long.
	time.Sleep(2100 * time.Millisecond)
	e.login("ann@example.com", testPassword)

	actions := map[string]int{}
	for _, ev := range e.auditEvents(admin.token, "/v1/audit-events") {
		actions[ev["action"].(string)]++
	}
	if actions["auth.locked"] < 2 || actions["auth.unlocked"] < 1 {
		t.Errorf("lock events: %v", actions)
	}
}

// Admin, admin, ADMIN and full-width ａｄｍｉｎ are one username: of fifty racing creates, one wins.
func TestUsernameVariantsRace(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	variants := []string{"Admin", "admin", "ADMIN", "ａｄｍｉｎ", "Ａｄｍｉｎ"}
	statuses := race(50, func(i int) int {
		return e.do(req{method: "POST", path: "/v1/users", token: admin.token,
			body: map[string]any{"username": variants[i%len(variants)], "email": fmt.Sprintf("v%d@example.com", i)}}).status
	})
	if diff := cmp.Diff(map[int]int{201: 1, 409: 49}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	// The full-width form logs in as the ASCII one and is shown in it.
	u := e.must(http.StatusOK, req{method: "GET", path: "/v1/users?username=admin", token: admin.token}).object(t)["items"].([]any)[0].(map[string]any)
	if name := u["username"].(string); name != "Admin" && name != "admin" && name != "ADMIN" {
		t.Errorf("stored username %q is not in ASCII", name)
	}
}

// A hash made with weaker parameters is replaced at the next successful login.
func TestHashUpgradeOnLogin(t *testing.T) {
	e := newEnv(t)
	admin := e.bootstrap()
	ann := e.newUser(admin, "ann@example.com")
	weak, err := password.NewHasher(password.Params{MemoryKiB: 8 * 1024, Time: 1, Threads: 1}).Hash(context.Background(), testPassword)
	if err != nil {
		t.Fatal(err)
	}
	db := e.db(t)
	if _, err := db.Exec(`UPDATE users SET password_hash = $1 WHERE id = $2`, weak, ann.id); err != nil {
		t.Fatal(err)
	}
	e.login(ann.email, testPassword)
	var stored string
	if err := db.QueryRow(`SELECT password_hash FROM users WHERE id = $1`, ann.id).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash after login %q, want the current parameters", stored[:40])
	}
	e.login(ann.email, testPassword)
}

// X-Forwarded-For names the client only when the peer is a trusted proxy.
func TestTrustedProxies(t *testing.T) {
	for _, c := range []struct {
		name    string
		trusted []netip.Prefix
		want    string
	}{
		{"no trusted proxy", nil, "127.0.0.1"},
		{"behind a trusted proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "198.51.100.7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, func(cfg *server.Config) { cfg.TrustedProxies = c.trusted })
			admin := e.bootstrap()
			e.must(http.StatusOK, req{method: "POST", path: "/v1/auth/login", body: map[string]any{"login": "root", "password": testPassword},
				header: map[string]string{"X-Forwarded-For": "203.0.113.1, 198.51.100.7, 127.0.0.9"}})
			sessions := e.must(http.StatusOK, req{method: "GET", path: "/v1/me/sessions", token: admin.token}).object(t)["items"].([]any)
			var addrs []string
			for _, s := range sessions {
				addrs = append(addrs, s.(map[string]any)["client_addr"].(string))
			}
			if !slices.Contains(addrs, c.want) {
				t.Errorf("session addresses %v, want one from %s", addrs, c.want)
			}
		})
	}
}
