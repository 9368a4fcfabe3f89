package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type streamEvent struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      struct {
		TenantID *string `json:"tenant_id"`
		Actor    struct {
			Kind, ID string
		} `json:"actor"`
		Object struct {
			Kind, ID string
		} `json:"object"`
	} `json:"data"`
}

type eventPage struct {
	Items      []streamEvent `json:"items"`
	NextCursor string        `json:"next_cursor"`
}

// readEvents reads one page of the stream at path after cursor.
func (e *env) readEvents(token, path, after string, params ...string) eventPage {
	e.t.Helper()
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	var page eventPage
	e.must(http.StatusOK, req{method: "GET", path: path + "?" + q.Encode(), token: token}).decode(e.t, &page)
	return page
}

func types(events []streamEvent) []string {
	out := []string{}
	for _, ev := range events {
		out = append(out, ev.Type)
	}
	return out
}

// Every change writes its event, in commit order; a refused change writes none; a tenant's
// readers see only their tenant; the cursor continues exactly where the last page ended.
func TestEventStream(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	start := e.readEvents(root.token, "/v1/events", "")
	// The Ella Core surface's tenant, bound at start-up, and the bootstrap.
	if diff := cmp.Diff([]string{"tenant.created", "user.created"}, types(start.Items)); diff != "" {
		t.Errorf("bootstrap events (-want +got):\n%s", diff)
	}
	acme := e.createTenant(root, "acme")
	ann := e.newUser(root, "ann@example.com")
	e.addMember(root, "acme", ann.id, "admin")
	// Refused: the last admin cannot leave. No event.
	e.must(http.StatusConflict, req{method: "DELETE", path: "/v1/tenants/acme/members/" + ann.id, token: ann.token})
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + ann.id, token: root.token, body: map[string]any{"family_name": "Smith"}})
	bob := e.createUser(root, "bob@example.com")
	e.must(http.StatusOK, req{method: "PATCH", path: "/v1/users/" + bob, token: root.token, body: map[string]any{"active": false}})
	e.createTenant(root, "globex")

	page := e.readEvents(root.token, "/v1/events", start.NextCursor)
	want := []string{"tenant.created", "user.created", "member.added", "user.updated", "user.created", "user.updated", "user.deactivated", "tenant.created"}
	if diff := cmp.Diff(want, types(page.Items)); diff != "" {
		t.Errorf("events after the cursor (-want +got):\n%s", diff)
	}
	added := page.Items[2]
	if added.Data.TenantID == nil || *added.Data.TenantID != acme || added.Data.Object.ID != ann.id || added.Data.Actor.ID != root.id {
		t.Errorf("member.added names tenant %v, object %v, actor %v", added.Data.TenantID, added.Data.Object, added.Data.Actor)
	}
	if again := e.readEvents(root.token, "/v1/events", page.NextCursor); len(again.Items) != 0 || again.NextCursor != page.NextCursor {
		t.Errorf("after the last event: %d items, cursor %q (want %q)", len(again.Items), again.NextCursor, page.NextCursor)
	}
	// Paging by limit meets every event once.
	var walked []string
	cursor := start.NextCursor
	for {
		p := e.readEvents(root.token, "/v1/events", cursor, "limit", "3")
		if len(p.Items) == 0 {
			break
		}
		walked = append(walked, types(p.Items)...)
		cursor = p.NextCursor
	}
	if diff := cmp.Diff(want, walked); diff != "" {
		t.Errorf("walked in pages of 3 (-want +got):\n%s", diff)
	}
	// A tenant's stream: audit:read there; other tenants' and installation events stay out.
	tenantPage := e.readEvents(ann.token, "/v1/tenants/acme/events", "")
	if diff := cmp.Diff([]string{"tenant.created", "member.added"}, types(tenantPage.Items)); diff != "" {
		t.Errorf("acme's stream (-want +got):\n%s", diff)
	}
	e.must(http.StatusForbidden, req{method: "GET", path: "/v1/events", token: ann.token})
	e.must(http.StatusNotFound, req{method: "GET", path: "/v1/tenants/globex/events", token: ann.token})
	viewer := e.newUser(root, "vic@example.com")
	e.addMember(root, "acme", viewer.id, "viewer")
	e.must(http.StatusForbidden, req{method: "GET", path: "/v1/tenants/acme/events", token: viewer.token})
	// Filters and bad input.
	if got := e.readEvents(root.token, "/v1/events", "", "type", "tenant.created"); len(got.Items) != 3 {
		t.Errorf("type=tenant.created: %v", types(got.Items))
	}
	for _, bad := range []string{"after=abc", "after=-1", "wait=forever", "wait=2m", "type=user.exploded", "limit=0"} {
		e.must(http.StatusBadRequest, req{method: "GET", path: "/v1/events?" + bad, token: root.token})
	}
}

// A long poll answers as soon as an event commits, and with an empty page when none does.
func TestEventStreamLongPoll(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	head := e.readEvents(root.token, "/v1/events", "")
	done := make(chan eventPage, 1)
	go func() { done <- e.readEvents(root.token, "/v1/events", head.NextCursor, "wait", "20s") }()
	time.Sleep(200 * time.Millisecond) // let the reader start waiting
	e.createTenant(root, "acme")
	select {
	case p := <-done:
		if diff := cmp.Diff([]string{"tenant.created"}, types(p.Items)); diff != "" {
			t.Errorf("woken reader got (-want +got):\n%s", diff)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the waiting reader was not woken by a commit")
	}
	empty := e.readEvents(root.token, "/v1/events", "999999", "wait", "1s")
	if len(empty.Items) != 0 || empty.NextCursor != "999999" {
		t.Errorf("an empty long poll: %d items, cursor %q", len(empty.Items), empty.NextCursor)
	}
}

// A reader that follows the cursor while 8 writers commit sees every event exactly once, in
// the order of the stream, with no event committed late skipped.
func TestEventStreamUnderConcurrentWriters(t *testing.T) {
	e := newEnv(t)
	root := e.bootstrap()
	head := e.readEvents(root.token, "/v1/events", "")
	const writers, each = 8, 15
	var wg sync.WaitGroup
	stop := make(chan struct{})
	seen := map[string]int{}
	var order []string
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		cursor := head.NextCursor
		for {
			p := e.readEvents(root.token, "/v1/events", cursor, "limit", "7", "wait", "1s")
			for _, ev := range p.Items {
				seen[ev.ID]++
				order = append(order, ev.ID)
			}
			cursor = p.NextCursor
			select {
			case <-stop:
				if len(p.Items) == 0 {
					return
				}
			default:
			}
		}
	}()
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e.must(http.StatusCreated, req{method: "POST", path: "/v1/tenants", token: root.token,
					body: map[string]any{"slug": fmt.Sprintf("w%d-%d", w, i), "name": "T"}})
			}
		})
	}
	wg.Wait()
	close(stop)
	<-readerDone
	if len(seen) != writers*each {
		t.Errorf("the reader saw %d distinct events, want %d", len(seen), writers*each)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s seen %d times", id, n)
		}
	}
	// The order the reader saw is the stream's order, which a fresh walk repeats.
	var again []string
	cursor := head.NextCursor
	for {
		p := e.readEvents(root.token, "/v1/events", cursor, "limit", "200")
		if len(p.Items) == 0 {
			break
		}
		for _, ev := range p.Items {
			again = append(again, ev.ID)
		}
		cursor = p.NextCursor
	}
	if diff := cmp.Diff(again, order); diff != "" {
		t.Errorf("the live reader's order differs from the stream's (-stream +live):\n%s", diff)
	}
}
