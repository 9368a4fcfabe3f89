package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/outbox"
	"github.com/rosterhq/roster/internal/sqlstore"
	"github.com/rosterhq/roster/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Run(m)) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func open(t testing.TB, dsn string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), dsn, sqlstore.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background(), quiet); err != nil {
		t.Fatal(err)
	}
	return db
}

// enqueue commits one message per payload, each in its own transaction, and returns the ids.
func enqueue(t testing.TB, db roster.Store, kind, partition string, payloads ...string) []string {
	t.Helper()
	var ids []string
	for _, p := range payloads {
		err := db.Write(context.Background(), func(tx roster.Tx) error {
			m, err := outbox.Enqueue(context.Background(), tx, kind, partition, p)
			if err == nil {
				ids = append(ids, m.ID)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// recorder is a Sender that records what it is given and fails as told.
type recorder struct {
	mu    sync.Mutex
	sent  []string       // payloads delivered, in order
	calls map[string]int // attempts per payload
	fail  func(payload string, attempt int) error
}

func (r *recorder) Send(_ context.Context, m *roster.OutboxMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[string]int{}
	}
	r.calls[m.Payload]++
	if r.fail != nil {
		if err := r.fail(m.Payload, r.calls[m.Payload]); err != nil {
			return err
		}
	}
	r.sent = append(r.sent, m.Payload)
	return nil
}

func (r *recorder) snapshot() ([]string, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls := map[string]int{}
	for k, v := range r.calls {
		calls[k] = v
	}
	return append([]string(nil), r.sent...), calls
}

// counter is an Observer.
type counter struct {
	mu                 sync.Mutex
	sent, failed, dead int
}

func (c *counter) ObserveOutboxSent(string, time.Duration) { c.mu.Lock(); c.sent++; c.mu.Unlock() }
func (c *counter) ObserveOutboxFailure(string)             { c.mu.Lock(); c.failed++; c.mu.Unlock() }
func (c *counter) ObserveOutboxDead(string)                { c.mu.Lock(); c.dead++; c.mu.Unlock() }

var fast = outbox.Policy{MaxAttempts: 4, MaxAge: time.Hour, Backoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Concurrency: 4}

// run starts a worker until t ends.
func run(t testing.TB, db roster.Store, cfg outbox.Config, obs outbox.Observer, kinds ...outbox.Kind) *outbox.Worker {
	w := outbox.New(db, cfg, quiet, obs, kinds...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

func states(t testing.TB, db roster.Store, ids []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := db.Read(context.Background(), func(tx roster.Tx) error {
		for _, id := range ids {
			m, err := tx.FindOutbox(context.Background(), id)
			if err != nil {
				return err
			}
			out[id] = fmt.Sprintf("%s/%d", m.State, m.Attempts)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func eventually(t testing.TB, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 15s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A failing message is retried with backoff until it goes; one refused for good, or failing
// every allowed attempt, is dead; the others are unaffected.
func TestRetriesAndDeadLetters(t *testing.T) {
	db := open(t, testdb.DSN(t))
	rec := &recorder{fail: func(p string, attempt int) error {
		switch {
		case p == `"flaky"` && attempt < 3:
			return errors.New("451 try later")
		case p == `"refused"`:
			return outbox.Permanent(errors.New("550 no such mailbox"))
		case p == `"broken"`:
			return errors.New("connection refused")
		}
		return nil
	}}
	obs := &counter{}
	ids := enqueue(t, db, "mail", "", "ok", "flaky", "refused", "broken")
	run(t, db, outbox.Config{Lease: 5 * time.Second, Poll: 20 * time.Millisecond}, obs, outbox.Kind{Name: "mail", Sender: rec, Policy: fast})
	want := map[string]string{ids[0]: "sent/1", ids[1]: "sent/3", ids[2]: "dead/1", ids[3]: "dead/4"}
	eventually(t, "all four settling", func() bool { return cmp.Equal(want, states(t, db, ids)) })
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.sent != 2 || obs.dead != 2 || obs.failed != 2+1+4 {
		t.Errorf("observed sent %d, failed %d, dead %d; want 2, 7, 2", obs.sent, obs.failed, obs.dead)
	}
	var dead []*roster.OutboxMessage
	_ = db.Read(context.Background(), func(tx roster.Tx) (err error) {
		dead, err = tx.ListOutbox(context.Background(), roster.OutboxFilter{Page: roster.Page{Limit: 10}, States: []string{roster.OutboxDead}})
		return err
	})
	if len(dead) != 2 || dead[0].LastError != "connection refused" || dead[1].LastError != "550 no such mailbox" {
		t.Errorf("dead letters: %+v", dead)
	}
	// A dead letter put back is sent once the failure is cured.
	rec.mu.Lock()
	rec.fail = nil
	rec.mu.Unlock()
	if err := db.Write(context.Background(), func(tx roster.Tx) error { return tx.RequeueOutbox(context.Background(), ids[3], time.Now()) }); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the requeued message going", func() bool { return states(t, db, ids[3:])[ids[3]] == "sent/1" })
}

// Messages of one partition go one at a time in commit order, a later one waiting while an
// earlier one is retried; another partition does not wait for it.
func TestPartitionOrder(t *testing.T) {
	db := open(t, testdb.DSN(t))
	rec := &recorder{fail: func(p string, attempt int) error {
		if p == `"a1"` && attempt < 3 {
			return errors.New("endpoint down")
		}
		return nil
	}}
	enqueue(t, db, "hook", "endpoint-a", "a1", "a2", "a3", "a4")
	enqueue(t, db, "hook", "endpoint-b", "b1", "b2")
	run(t, db, outbox.Config{Lease: 5 * time.Second, Poll: 20 * time.Millisecond}, nil,
		outbox.Kind{Name: "hook", Sender: rec, Policy: outbox.Policy{MaxAttempts: 10, MaxAge: time.Hour, Backoff: 50 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Concurrency: 8}})
	eventually(t, "six deliveries", func() bool { sent, _ := rec.snapshot(); return len(sent) == 6 })
	sent, _ := rec.snapshot()
	var a, b []string
	for _, p := range sent {
		if p[1] == 'a' {
			a = append(a, p)
		} else {
			b = append(b, p)
		}
	}
	if diff := cmp.Diff([]string{`"a1"`, `"a2"`, `"a3"`, `"a4"`}, a); diff != "" {
		t.Errorf("partition a out of order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{`"b1"`, `"b2"`}, b); diff != "" {
		t.Errorf("partition b (-want +got):\n%s", diff)
	}
	if sent[0] != `"b1"` {
		t.Errorf("partition b waited for a's retries: %v", sent)
	}
}

// A worker that died holding a lease is taken over once the lease runs out, and its late
// report of an outcome is refused.
func TestLeaseTakeover(t *testing.T) {
	db := open(t, testdb.DSN(t))
	ids := enqueue(t, db, "mail", "", "orphan")
	ctx := context.Background()
	t0 := time.Now().UTC()
	err := db.Write(ctx, func(tx roster.Tx) error {
		got, err := tx.ClaimOutbox(ctx, []string{"mail"}, "dead-replica", t0, t0.Add(time.Second), 10)
		if err == nil && len(got) != 1 {
			err = fmt.Errorf("claimed %d", len(got))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Leased: nobody else can claim it.
	err = db.Write(ctx, func(tx roster.Tx) error {
		got, err := tx.ClaimOutbox(ctx, []string{"mail"}, "other", time.Now().UTC(), time.Now().UTC().Add(time.Minute), 10)
		if err == nil && len(got) != 0 {
			err = fmt.Errorf("a leased message was claimed again")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	run(t, db, outbox.Config{Owner: "survivor", Lease: 5 * time.Second, Poll: 50 * time.Millisecond}, nil, outbox.Kind{Name: "mail", Sender: rec, Policy: fast})
	eventually(t, "the take-over", func() bool { return states(t, db, ids)[ids[0]] == "sent/2" })
	err = db.Write(ctx, func(tx roster.Tx) error { return tx.MarkOutboxSent(ctx, ids[0], "dead-replica", time.Now()) })
	if roster.ErrorCodeOf(err) != roster.ENotFound {
		t.Errorf("the dead replica's late report: %v, want not found", err)
	}
}

// Two workers on separate connections (two replicas) deliver each of many messages once.
func TestTwoWorkersDeliverOnce(t *testing.T) {
	dsn := testdb.DSN(t)
	a, b := open(t, dsn), open(t, dsn)
	var payloads []string
	for i := range 300 {
		payloads = append(payloads, fmt.Sprint(i))
	}
	rec := &recorder{}
	kind := outbox.Kind{Name: "mail", Sender: rec, Policy: fast}
	cfg := outbox.Config{Lease: 30 * time.Second, Poll: 10 * time.Millisecond}
	run(t, a, cfg, nil, kind)
	run(t, b, cfg, nil, kind)
	var wg sync.WaitGroup
	for i := range 3 { // writers on both connections, while the workers run
		wg.Go(func() { enqueue(t, []*sqlstore.DB{a, b}[i%2], "mail", "", payloads[i*100:(i+1)*100]...) })
	}
	wg.Wait()
	eventually(t, "300 deliveries", func() bool { sent, _ := rec.snapshot(); return len(sent) >= 300 })
	time.Sleep(100 * time.Millisecond)
	sent, calls := rec.snapshot()
	if len(sent) != 300 {
		t.Errorf("%d deliveries of 300 messages", len(sent))
	}
	for p, n := range calls {
		if n != 1 {
			t.Errorf("message %s attempted %d times", p, n)
		}
	}
}
