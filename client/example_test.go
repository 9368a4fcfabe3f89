package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/rosterhq/roster/client"
	"github.com/rosterhq/roster/internal/server"
)

// startRoster starts a Roster with an empty SQLite database in a temporary directory, for the
// examples (which have no *testing.T), and returns its base URL and a function that stops it.
func startRoster() (string, func()) {
	dir, err := os.MkdirTemp("", "roster-example-")
	if err != nil {
		log.Fatal(err)
	}
	cfg := server.DefaultConfig()
	cfg.Addr, cfg.DB, cfg.ShutdownDelay = "127.0.0.1:0", dir+"/roster.db", 0
	srv, err := server.Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	return srv.URL(), func() {
		cancel()
		<-done
		srv.Close()
		os.RemoveAll(dir)
	}
}

// startRosterWithAdmin is startRoster with admin@example.com bootstrapped.
func startRosterWithAdmin() (string, func()) {
	url, stop := startRoster()
	c, _ := client.New(url)
	if _, err := c.Bootstrap(context.Background(), client.BootstrapRequest{Email: "admin@example.com", Password: "lunar orchid 7 tea"}); err != nil {
		log.Fatal(err)
	}
	return url, stop
}

// A tour: the first administrator, a tenant, a user and a membership.
func Example() {
	url, stop := startRoster()
	defer stop()
	ctx := context.Background()

	c, err := client.New(url)
	if err != nil {
		log.Fatal(err)
	}
	s, err := c.Bootstrap(ctx, client.BootstrapRequest{Email: "admin@example.com", Password: "lunar orchid 7 tea"})
	if err != nil {
		log.Fatal(err)
	}
	admin := c.WithToken(s.Token)

	tenant, err := admin.CreateTenant(ctx, client.TenantCreate{Slug: "acme", Name: "Acme Inc."})
	if err != nil {
		log.Fatal(err)
	}
	ann, err := admin.CreateUser(ctx, client.UserCreate{Email: "ann@example.com", GivenName: "Ann", Password: "quiet harbour 58"})
	if err != nil {
		log.Fatal(err)
	}
	m, err := admin.AddMember(ctx, tenant.Slug, client.MemberCreate{UserID: ann.ID, Roles: []string{"user"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.User.Email, "is a member of", tenant.Name, "with roles", m.Roles)
	// Output: ann@example.com is a member of Acme Inc. with roles [user]
}

// New takes options for the token, the *http.Client and the user agent.
func ExampleNew() {
	url, stop := startRosterWithAdmin()
	defer stop()
	ctx := context.Background()

	c, err := client.New(url,
		client.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}),
		client.WithUserAgent("nightly-sync/1.0"))
	if err != nil {
		log.Fatal(err)
	}
	s, err := c.Login(ctx, "admin@example.com", "lunar orchid 7 tea")
	if err != nil {
		log.Fatal(err)
	}
	c = c.WithToken(s.Token) // or client.WithToken(token) in New, for a token kept from before
	me, err := c.GetMe(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.User.Email, me.User.InstanceAdmin)
	// Output: admin@example.com true
}

// AllUsers follows the pages for the loop; breaking out stops fetching.
func ExampleClient_AllUsers() {
	url, stop := startRosterWithAdmin()
	defer stop()
	ctx := context.Background()
	c, _ := client.New(url)
	s, _ := c.Login(ctx, "admin@example.com", "lunar orchid 7 tea")
	c = c.WithToken(s.Token)
	for _, email := range []string{"ann@example.com", "anton@example.com", "bob@example.com"} {
		if _, err := c.CreateUser(ctx, client.UserCreate{Email: email}); err != nil {
			log.Fatal(err)
		}
	}

	// Pages of 2, fetched as the loop needs them.
	for u, err := range c.AllUsers(ctx, client.UserFilter{Email: "an"}, client.ListOptions{Limit: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(u.Email)
	}
	// Output:
	// ann@example.com
	// anton@example.com
}

// ListUsers returns one page; pass its NextCursor back for the next.
func ExampleClient_ListUsers() {
	url, stop := startRosterWithAdmin()
	defer stop()
	ctx := context.Background()
	c, _ := client.New(url)
	s, _ := c.Login(ctx, "admin@example.com", "lunar orchid 7 tea")
	c = c.WithToken(s.Token)
	for _, email := range []string{"ann@example.com", "bob@example.com"} {
		if _, err := c.CreateUser(ctx, client.UserCreate{Email: email}); err != nil {
			log.Fatal(err)
		}
	}

	opts := client.ListOptions{Limit: 2}
	for {
		page, err := c.ListUsers(ctx, client.UserFilter{}, opts)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(len(page.Items), "users; last page:", page.NextCursor == "")
		if page.NextCursor == "" {
			break
		}
		opts.Cursor = page.NextCursor
	}
	// Output:
	// 2 users; last page: false
	// 1 users; last page: true
}

// Optimistic concurrency: an update conditional on the ETag read fails if someone changed the
// resource in between, instead of silently overwriting their change.
func ExampleIfMatch() {
	url, stop := startRosterWithAdmin()
	defer stop()
	ctx := context.Background()
	c, _ := client.New(url)
	s, _ := c.Login(ctx, "admin@example.com", "lunar orchid 7 tea")
	c = c.WithToken(s.Token)
	if _, err := c.CreateTenant(ctx, client.TenantCreate{Slug: "acme", Name: "Acme"}); err != nil {
		log.Fatal(err)
	}

	read, err := c.GetTenant(ctx, "acme")
	if err != nil {
		log.Fatal(err)
	}
	// Someone else renames it meanwhile.
	if _, err := c.UpdateTenant(ctx, "acme", client.TenantUpdate{Name: new("Acme Inc.")}); err != nil {
		log.Fatal(err)
	}
	_, err = c.UpdateTenant(ctx, "acme", client.TenantUpdate{Name: new("ACME")}, client.IfMatch(read.ETag))
	if client.IsPreconditionFailed(err) {
		now, _ := c.GetTenant(ctx, "acme")
		fmt.Printf("changed meanwhile: it is now %q\n", now.Name)
	}
	// Output: changed meanwhile: it is now "Acme Inc."
}

// A refusal is an *Error with the problem's code and its per-field errors.
func ExampleError() {
	url, stop := startRosterWithAdmin()
	defer stop()
	ctx := context.Background()
	c, _ := client.New(url)
	s, _ := c.Login(ctx, "admin@example.com", "lunar orchid 7 tea")
	c = c.WithToken(s.Token)

	_, err := c.CreateTenant(ctx, client.TenantCreate{Slug: "Not A Slug!", Name: "Acme"})
	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.StatusCode, e.Code)
		for _, f := range e.Fields {
			fmt.Println(f.Pointer, f.Detail)
		}
	}
	// Output:
	// 400 invalid
	// /slug must be 1 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit
}

// The predicates classify an error without a type assertion; they look through wrapping.
func ExampleIsNotFound() {
	url, stop := startRosterWithAdmin()
	defer stop()
	ctx := context.Background()
	c, _ := client.New(url)
	s, _ := c.Login(ctx, "admin@example.com", "lunar orchid 7 tea")
	c = c.WithToken(s.Token)

	_, err := c.GetTenant(ctx, "nowhere")
	err = fmt.Errorf("syncing tenant nowhere: %w", err)
	fmt.Println(client.IsNotFound(err), client.StatusOf(err))
	// Output: true 404
}

// A service account's key lets a backend ask what a user's token may do in its tenant.
func ExampleClient_Introspect() {
	url, stop := startRosterWithAdmin()
	defer stop()
	ctx := context.Background()
	c, _ := client.New(url)
	s, _ := c.Login(ctx, "admin@example.com", "lunar orchid 7 tea")
	admin := c.WithToken(s.Token)
	admin.CreateTenant(ctx, client.TenantCreate{Slug: "acme", Name: "Acme"})
	ann, _ := admin.CreateUser(ctx, client.UserCreate{Email: "ann@example.com", Password: "quiet harbour 58"})
	admin.AddMember(ctx, "acme", client.MemberCreate{UserID: ann.ID, Roles: []string{"viewer"}})
	sa, _ := admin.CreateServiceAccount(ctx, "acme", client.ServiceAccountCreate{Name: "backend", Roles: []string{"viewer"}})
	key, err := admin.CreateServiceAccountKey(ctx, "acme", sa.ID, client.KeyCreate{})
	if err != nil {
		log.Fatal(err)
	}
	annSession, _ := c.Login(ctx, "ann@example.com", "quiet harbour 58")

	backend := c.WithToken(key.Key)
	in, err := backend.Introspect(ctx, annSession.Token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(in.Active, in.Username, in.Tenants[0].Slug, in.Tenants[0].Permissions)
	// Output: true ann acme [resources:read tenant:read]
}

// FollowEvents reads the event stream and then waits for what commits next; keep a page's
// NextCursor to resume there.
func ExampleClient_FollowEvents() {
	url, stop := startRosterWithAdmin()
	defer stop()
	ctx := context.Background()
	c, _ := client.New(url)
	s, _ := c.Login(ctx, "admin@example.com", "lunar orchid 7 tea")
	c = c.WithToken(s.Token)
	c.CreateTenant(ctx, client.TenantCreate{Slug: "acme", Name: "Acme"})

	var cursor string
	for page, err := range c.FollowEvents(ctx, client.EventOptions{Types: []string{"tenant.created", "user.created"}}) {
		if err != nil {
			log.Fatal(err)
		}
		for _, e := range page.Items {
			fmt.Println(e.Type, e.Data.Object.Kind)
		}
		cursor = page.NextCursor // where to resume, in a later run
		break
	}
	fmt.Println(cursor != "")
	// Output:
	// tenant.created tenant
	// user.created user
	// tenant.created tenant
	// true
}
