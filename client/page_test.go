package client_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster/client"
)

// countingClient counts the requests w's client makes from now on.
func countingClient(w *world, token string) (*client.Client, *atomic.Int64) {
	var n atomic.Int64
	h := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		n.Add(1)
		return w.http.Transport.RoundTrip(r)
	})}
	c, _ := client.New(w.url, client.WithHTTPClient(h), client.WithToken(token))
	return c, &n
}

func seedUsers(t testing.TB, w *world, n int) []string {
	t.Helper()
	emails := []string{"admin@example.com"}
	for i := range n {
		email := fmt.Sprintf("u%02d@example.com", i)
		if _, err := w.admin.CreateUser(context.Background(), client.UserCreate{Email: email}); err != nil {
			t.Fatal(err)
		}
		emails = append(emails, email)
	}
	return emails
}

// The iterator follows next_cursor to the end, one request a page.
func TestAllFollowsEveryPage(t *testing.T) {
	w := newWorld(t)
	want := seedUsers(t, w, 6) // 7 users with the administrator: pages of 2, 2, 2, 1
	c, requests := countingClient(w, w.adminToken(t))
	var got []string
	for u, err := range c.AllUsers(context.Background(), client.UserFilter{}, client.ListOptions{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, u.Email)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("AllUsers = %v, want %v", got, want)
	}
	if n := requests.Load(); n != 4 {
		t.Errorf("%d requests for 7 users in pages of 2, want 4", n)
	}
}

// Breaking out of the loop stops fetching.
func TestAllStopsWhenTheLoopDoes(t *testing.T) {
	w := newWorld(t)
	seedUsers(t, w, 6)
	c, requests := countingClient(w, w.adminToken(t))
	var got []string
	for u, err := range c.AllUsers(context.Background(), client.UserFilter{}, client.ListOptions{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, u.Email)
		if len(got) == 3 {
			break
		}
	}
	if n := requests.Load(); len(got) != 3 || n != 2 {
		t.Errorf("broke after %d users and %d requests, want 3 and 2", len(got), n)
	}
}

// ListX pages by hand; AllX can start from any page's cursor.
func TestPagesByHand(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	want := seedUsers(t, w, 4)
	var got []string
	opts := client.ListOptions{Limit: 2}
	pages := 0
	for {
		page, err := w.admin.ListUsers(ctx, client.UserFilter{}, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range page.Items {
			got = append(got, u.Email)
		}
		if page.NextCursor == "" {
			break
		}
		opts.Cursor = page.NextCursor
	}
	if strings.Join(got, " ") != strings.Join(want, " ") || pages != 3 {
		t.Errorf("paged by hand: %v in %d pages, want %v in 3", got, pages, want)
	}
	first, err := w.admin.ListUsers(ctx, client.UserFilter{}, client.ListOptions{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	var rest []string
	for u, err := range w.admin.AllUsers(ctx, client.UserFilter{}, client.ListOptions{Limit: 2, Cursor: first.NextCursor}) {
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, u.Email)
	}
	if strings.Join(rest, " ") != strings.Join(want[2:], " ") {
		t.Errorf("AllUsers from the second page = %v, want %v", rest, want[2:])
	}
}

// A failing fetch is yielded once, and ends the loop.
func TestAllYieldsTheErrorOnce(t *testing.T) {
	w := newWorld(t)
	n := 0
	for m, err := range w.admin.AllMembers(context.Background(), "nowhere", client.MemberFilter{}, client.ListOptions{}) {
		n++
		if m != nil || !client.IsNotFound(err) {
			t.Errorf("AllMembers of an unknown tenant yielded %v, %v; want nil, not_found", m, err)
		}
	}
	if n != 1 {
		t.Errorf("the loop ran %d times, want once", n)
	}
}
