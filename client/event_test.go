package client_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/client"
)

func eventTypes(p *client.Page[*client.Event]) string {
	var out []string
	for _, e := range p.Items {
		out = append(out, e.Type)
	}
	return strings.Join(out, " ")
}

func TestListEvents(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	start, err := w.admin.ListEvents(ctx, client.EventOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The Ella Core surface's tenant, made at start-up, then the bootstrap's administrator.
	if got := eventTypes(start); got != "tenant.created user.created" || start.NextCursor == "" {
		t.Errorf("after the bootstrap: %q, next %q", got, start.NextCursor)
	}
	tn := mustTenant(t, w, "acme")
	ann, annc := w.user(t, "ann@example.com")
	if _, err := w.admin.AddMember(ctx, "acme", client.MemberCreate{UserID: ann.ID, Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}

	page, err := w.admin.ListEvents(ctx, client.EventOptions{After: start.NextCursor})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := eventTypes(page), "tenant.created user.created member.added"; got != want {
		t.Errorf("events after the cursor = %q, want %q", got, want)
	}
	added := page.Items[2]
	var details map[string]any
	if err := json.Unmarshal(added.Data.Details, &details); err != nil {
		t.Errorf("details %s: %v", added.Data.Details, err)
	}
	if !strings.HasPrefix(added.ID, "evt_") || added.Data.TenantID != tn.ID || added.Data.Actor.ID != w.adminID ||
		added.Data.Object.ID == "" || time.Since(added.Timestamp) > time.Minute {
		t.Errorf("member.added = %+v", added)
	}
	empty, err := w.admin.ListEvents(ctx, client.EventOptions{After: page.NextCursor})
	if err != nil || len(empty.Items) != 0 || empty.NextCursor != page.NextCursor {
		t.Errorf("after the last event: %+v, %v; want nothing and the same cursor", empty, err)
	}

	typed, err := w.admin.ListEvents(ctx, client.EventOptions{Types: []string{"member.added", "tenant.created"}, Limit: 1})
	if err != nil || eventTypes(typed) != "tenant.created" {
		t.Errorf("typed, limit 1 = %q, %v", eventTypes(typed), err)
	}
	mine, err := annc.ListTenantEvents(ctx, "acme", client.EventOptions{})
	if err != nil || eventTypes(mine) != "tenant.created member.added" {
		t.Errorf("acme's events for its admin = %q, %v", eventTypes(mine), err)
	}
	if _, err := annc.ListEvents(ctx, client.EventOptions{}); !client.IsForbidden(err) {
		t.Errorf("the installation's events for a tenant admin = %v, want forbidden", err)
	}
	if _, err := w.admin.ListEvents(ctx, client.EventOptions{After: "not a cursor"}); !client.IsInvalid(err) {
		t.Errorf("a bad cursor = %v, want invalid", err)
	}
}

// FollowTenantEvents waits for events as they commit, and resumes from a page's cursor.
func TestFollowEvents(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mustTenant(t, w, "acme")
	first, err := w.admin.ListTenantEvents(ctx, "acme", client.EventOptions{})
	if err != nil || len(first.Items) != 1 {
		t.Fatalf("acme's first events: %+v, %v", first, err)
	}

	got := make(chan string, 16)
	go func() {
		defer close(got)
		for page, err := range w.admin.FollowTenantEvents(ctx, "acme", client.EventOptions{After: first.NextCursor, Wait: 2 * time.Second}) {
			if err != nil {
				got <- "error: " + err.Error()
				return
			}
			got <- eventTypes(page)
			if strings.Contains(eventTypes(page), "member.removed") {
				return
			}
		}
	}()
	ann, _ := w.user(t, "ann@example.com")
	time.Sleep(2500 * time.Millisecond) // one long poll ends empty, and is not yielded
	if _, err := w.admin.AddMember(ctx, "acme", client.MemberCreate{UserID: ann.ID, Roles: []string{"viewer"}}); err != nil {
		t.Fatal(err)
	}
	var seen []string
	for s := range got {
		seen = append(seen, s)
		if s == "member.added" {
			if err := w.admin.RemoveMember(ctx, "acme", ann.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if want := "member.added|member.removed"; strings.Join(seen, "|") != want {
		t.Errorf("followed %q, want %q", strings.Join(seen, "|"), want)
	}

	// The iterator ends with the context, saying so.
	short, stop := context.WithTimeout(ctx, 200*time.Millisecond)
	defer stop()
	n := 0
	for page, err := range w.admin.FollowEvents(short, client.EventOptions{After: first.NextCursor, Types: []string{"role.created"}}) {
		n++
		if page != nil || err == nil || short.Err() == nil {
			t.Errorf("following past the deadline yielded %+v, %v", page, err)
		}
	}
	if n != 1 {
		t.Errorf("the loop ran %d times after the deadline, want once", n)
	}
}
