package e2e

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
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
