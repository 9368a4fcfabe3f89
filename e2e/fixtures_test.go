package e2e

import (
	"context"
	"testing"

	"github.com/rosterhq/roster/client"
)

const testPassword = "correct horse battery staple"

// principal is a logged-in user.
type principal struct {
	id, email, token string
}

// api returns a client of e's server that authenticates with token (none if empty). It goes
// through e's client, so every answer is checked against the OpenAPI document as well. The
// fixtures below use it; tests that assert raw statuses and bodies use e.do and e.must.
func (e *env) api(token string) *client.Client {
	e.t.Helper()
	c, err := client.New(e.url, client.WithHTTPClient(e.client), client.WithToken(token))
	if err != nil {
		e.t.Fatalf("client: %v", err)
	}
	return c
}

// bootstrap creates the first instance administrator.
func (e *env) bootstrap() principal {
	e.t.Helper()
	s, err := e.api("").Bootstrap(context.Background(), client.BootstrapRequest{Email: "root@example.com", Password: testPassword})
	if err != nil {
		e.t.Fatalf("bootstrap: %v", err)
	}
	return principal{id: s.User.ID, email: "root@example.com", token: s.Token}
}

// newUser creates a user with testPassword (as admin) and logs it in.
func (e *env) newUser(admin principal, email string) principal {
	e.t.Helper()
	u, err := e.api(admin.token).CreateUser(context.Background(), client.UserCreate{Email: email, Password: testPassword})
	if err != nil {
		e.t.Fatalf("create user %s: %v", email, err)
	}
	return principal{id: u.ID, email: email, token: e.login(email, testPassword)}
}

// createUser creates a user without a password and returns its id.
func (e *env) createUser(admin principal, email string) string {
	e.t.Helper()
	u, err := e.api(admin.token).CreateUser(context.Background(), client.UserCreate{Email: email})
	if err != nil {
		e.t.Fatalf("create user %s: %v", email, err)
	}
	return u.ID
}

func (e *env) login(login, password string) string {
	e.t.Helper()
	s, err := e.api("").Login(context.Background(), login, password)
	if err != nil {
		e.t.Fatalf("log in as %s: %v", login, err)
	}
	return s.Token
}

func (e *env) createTenant(admin principal, slug string) string {
	e.t.Helper()
	t, err := e.api(admin.token).CreateTenant(context.Background(), client.TenantCreate{Slug: slug, Name: "Tenant " + slug})
	if err != nil {
		e.t.Fatalf("create tenant %s: %v", slug, err)
	}
	return t.ID
}

func (e *env) addMember(by principal, tenant, userID string, roles ...string) {
	e.t.Helper()
	if _, err := e.api(by.token).AddMember(context.Background(), tenant, client.MemberCreate{UserID: userID, Roles: roles}); err != nil {
		e.t.Fatalf("add %s to %s: %v", userID, tenant, err)
	}
}

// newServiceAccount creates a service account with roles in tenant and a key for it.
func (e *env) newServiceAccount(by principal, tenant, name string, roles ...string) (id, key string) {
	e.t.Helper()
	c := e.api(by.token)
	sa, err := c.CreateServiceAccount(context.Background(), tenant, client.ServiceAccountCreate{Name: name, Roles: roles})
	if err != nil {
		e.t.Fatalf("create service account %s in %s: %v", name, tenant, err)
	}
	k, err := c.CreateServiceAccountKey(context.Background(), tenant, sa.ID, client.KeyCreate{})
	if err != nil {
		e.t.Fatalf("create a key of %s: %v", sa.ID, err)
	}
	return sa.ID, k.Key
}

func strs(t testing.TB, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("%v is not a list", v)
	}
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = x.(string)
	}
	return out
}
