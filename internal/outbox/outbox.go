// Package outbox delivers what Roster's changes want sent (mail now, webhook calls later)
// from a table written in the same transaction as the change: a change and its message
// commit together or not at all. Workers on every replica claim due messages under a lease
// (FOR UPDATE SKIP LOCKED on PostgreSQL, so that no two replicas claim one message), hand each
// to the Sender of its kind, and record the outcome only while they still hold the lease. A
// failed attempt is retried with exponential backoff and jitter; a message that keeps failing,
// grows too old or is refused for good becomes dead: listed, counted and logged, never dropped.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/rosterhq/roster"
)

// Sender delivers messages of one kind. It must be safe for concurrent use. An error marked
// Permanent makes the message dead at once; any other error is retried.
type Sender interface {
	Send(ctx context.Context, m *roster.OutboxMessage) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m *roster.OutboxMessage) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m *roster.OutboxMessage) error { return f(ctx, m) }

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot cure (a recipient the mail server refuses,
// a payload that does not parse).
func Permanent(err error) error { return &permanentError{err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Policy says how hard to try one kind of message.
type Policy struct {
	MaxAttempts int           // a message whose attempt number this many fails is dead
	MaxAge      time.Duration // a message older than this when an attempt fails is dead
	Backoff     time.Duration // wait after the first failure; doubles with each further one
	MaxBackoff  time.Duration // the longest wait between attempts
	Concurrency int           // messages of this kind one worker sends at once
}

// Kind is one kind of message and how it is sent.
type Kind struct {
	Name   string
	Sender Sender
	Policy Policy
}

// Config tunes a Worker.
type Config struct {
	// Owner names this process in leases; NewOwner makes a unique one.
	Owner string
	// Lease is how long a claimed message is this worker's alone; a worker that dies mid-send
	// is taken over when it runs out. Each attempt gets half of it.
	Lease time.Duration
	// Poll is how often the worker looks for messages that other processes committed (its
	// own commits wake it at once).
	Poll time.Duration
	// Retention is how long sent messages are kept before they are pruned.
	Retention time.Duration
}

// DefaultConfig returns the configuration of a server.
func DefaultConfig() Config {
	return Config{Owner: NewOwner(), Lease: time.Minute, Poll: time.Second, Retention: 7 * 24 * time.Hour}
}

// NewOwner returns a lease owner name unique to this process: host, pid and 32 random bits.
func NewOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Observer hears what the worker does, for metrics. Delay is the time from the message's
// creation (its transaction) to the end of the attempt that sent it.
type Observer interface {
	ObserveOutboxSent(kind string, delay time.Duration)
	ObserveOutboxFailure(kind string)
	ObserveOutboxDead(kind string)
}

// Enqueue writes a message of kind with payload (marshalled to JSON) in tx, due at once. It
// returns the stored message.
func Enqueue(ctx context.Context, tx roster.Tx, kind, partitionKey string, payload any) (*roster.OutboxMessage, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("outbox: marshal %s payload: %w", kind, err)
	}
	t := time.Now().UTC().Truncate(time.Microsecond)
	m := &roster.OutboxMessage{ID: roster.NewID(roster.PrefixOutbox), Kind: kind, PartitionKey: partitionKey,
		Payload: string(raw), State: roster.OutboxPending, NextAttemptAt: t, CreatedAt: t, UpdatedAt: t}
	if err := tx.EnqueueOutbox(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// Worker delivers the outbox's messages of its kinds.
type Worker struct {
	store roster.Store
	cfg   Config
	log   *slog.Logger
	obs   Observer
	kinds []*kindLoop
}

type kindLoop struct {
	Kind
	wake chan struct{}
}

// New returns a worker for the given kinds; obs may be nil.
func New(store roster.Store, cfg Config, log *slog.Logger, obs Observer, kinds ...Kind) *Worker {
	def := DefaultConfig()
	if cfg.Owner == "" {
		cfg.Owner = def.Owner
	}
	if cfg.Lease <= 0 {
		cfg.Lease = def.Lease
	}
	if cfg.Poll <= 0 {
		cfg.Poll = def.Poll
	}
	if cfg.Retention <= 0 {
		cfg.Retention = def.Retention
	}
	w := &Worker{store: store, cfg: cfg, log: log, obs: obs}
	for _, k := range kinds {
		if k.Policy.Concurrency < 1 {
			k.Policy.Concurrency = 1
		}
		w.kinds = append(w.kinds, &kindLoop{Kind: k, wake: make(chan struct{}, 1)})
	}
	return w
}

// Wake tells the worker that a message was just committed, so it need not wait for its poll.
// It never blocks.
func (w *Worker) Wake() {
	for _, k := range w.kinds {
		select {
		case k.wake <- struct{}{}:
		default:
		}
	}
}

// Run delivers messages until ctx ends, then waits for the attempts under way to finish
// (each is bounded by half the lease) and returns.
func (w *Worker) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, k := range w.kinds {
		wg.Go(func() { w.loop(ctx, k) })
	}
	wg.Go(func() { w.prune(ctx) })
	wg.Wait()
}

func (w *Worker) loop(ctx context.Context, k *kindLoop) {
	slots := make(chan struct{}, k.Policy.Concurrency)
	freed := make(chan struct{}, k.Policy.Concurrency)
	rec := newRecorder(w, k)
	var inflight sync.WaitGroup
	defer func() { inflight.Wait(); rec.close() }()
	kinds := []string{k.Name}
	prep, _ := k.Sender.(Preparer)
	for ctx.Err() == nil {
		free := cap(slots) - len(slots)
		var claimed []*roster.OutboxMessage
		var refused []outcome
		if free > 0 {
			now := time.Now().UTC()
			err := w.store.Write(ctx, func(tx roster.Tx) (err error) {
				if claimed, err = tx.ClaimOutbox(ctx, kinds, w.cfg.Owner, now, now.Add(w.cfg.Lease), free); err != nil || prep == nil {
					return err
				}
				refused, claimed, err = w.prepare(ctx, tx, k, prep, claimed)
				return err
			})
			if err != nil && ctx.Err() == nil {
				w.log.Warn("outbox: could not claim messages", "kind", k.Name, "error", err)
				claimed, refused = nil, nil
			}
			for _, o := range refused {
				w.report(k, o)
			}
			for _, m := range claimed {
				slots <- struct{}{}
				inflight.Go(func() {
					w.attempt(k, rec, m)
					<-slots
					select {
					case freed <- struct{}{}:
					default:
					}
				})
			}
			if n := len(claimed) + len(refused); n == free {
				continue // there may be more due at once
			}
		}
		wait := w.cfg.Poll
		if free > 0 && len(claimed) == 0 {
			var due time.Time
			var any bool
			err := w.store.Read(ctx, func(tx roster.Tx) (err error) {
				due, any, err = tx.NextOutboxDue(ctx, kinds)
				return err
			})
			// A message due now that could not be claimed waits behind an earlier one of its
			// partition, or under another worker's lease: look again at the next poll.
			if err == nil && any {
				if d := time.Until(due); d > 0 && d < wait {
					wait = d
				}
			}
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-k.wake:
		case <-freed:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// Preparer is an optional interface of a Sender. Prepare runs for each claimed message inside
// the transaction that claims it, before the attempt, so that what an attempt must write first
// (a mail's single-use link) costs no transaction of its own. An error fails the attempt as a
// Send error would.
type Preparer interface {
	Prepare(ctx context.Context, tx roster.Tx, m *roster.OutboxMessage) error
}

// prepare runs prep for each claimed message in the claiming transaction. Messages it fails
// have their outcome recorded in the same transaction and are returned apart.
func (w *Worker) prepare(ctx context.Context, tx roster.Tx, k *kindLoop, prep Preparer, claimed []*roster.OutboxMessage) ([]outcome, []*roster.OutboxMessage, error) {
	var refused []outcome
	var ready []*roster.OutboxMessage
	for _, m := range claimed {
		err := prep.Prepare(ctx, tx, m)
		if err == nil {
			ready = append(ready, m)
			continue
		}
		o := w.judge(k, m, err)
		if err := o.record(ctx, tx, w.cfg.Owner); err != nil {
			return nil, nil, err
		}
		refused = append(refused, o)
	}
	return refused, ready, nil
}

// outcome is what became of one attempt.
type outcome struct {
	m    *roster.OutboxMessage
	err  error     // nil: sent
	dead bool      // given up on
	next time.Time // when to retry, when neither sent nor dead
	at   time.Time
	lost bool // the lease was gone when the outcome was recorded
}

// judge decides what an attempt that ended with err means for m.
func (w *Worker) judge(k *kindLoop, m *roster.OutboxMessage, err error) outcome {
	now := time.Now().UTC().Truncate(time.Microsecond)
	o := outcome{m: m, err: err, at: now}
	switch {
	case err == nil:
	case IsPermanent(err) || m.Attempts >= k.Policy.MaxAttempts || now.Sub(m.CreatedAt) >= k.Policy.MaxAge:
		o.dead = true
	default:
		o.next = now.Add(backoff(k.Policy, m.Attempts))
	}
	return o
}

// record writes the outcome in tx, only while owner holds the lease.
func (o *outcome) record(ctx context.Context, tx roster.Tx, owner string) error {
	var err error
	switch {
	case o.err == nil:
		err = tx.MarkOutboxSent(ctx, o.m.ID, owner, o.at)
	case o.dead:
		err = tx.KillOutbox(ctx, o.m.ID, owner, errorText(o.err), o.at)
	default:
		err = tx.RetryOutbox(ctx, o.m.ID, owner, o.next, errorText(o.err), o.at)
	}
	if roster.ErrorCodeOf(err) == roster.ENotFound {
		o.lost, err = true, nil
	}
	return err
}

// attempt sends one message and has its outcome recorded. It outlives the worker's context,
// so that a shutdown does not abandon a message mid-send, but not half the lease.
func (w *Worker) attempt(k *kindLoop, rec *recorder, m *roster.OutboxMessage) {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.Lease/2)
	defer cancel()
	o := w.judge(k, m, k.Sender.Send(ctx, m))
	if err := rec.record(&o); err != nil {
		w.log.Error("outbox: could not record an attempt; it is retried when the lease runs out",
			"kind", k.Name, "message", m.ID, "attempt", m.Attempts, "error", err)
		return
	}
	w.report(k, o)
}

// report logs and counts a recorded outcome.
func (w *Worker) report(k *kindLoop, o outcome) {
	m := o.m
	switch {
	case o.lost:
		w.log.Warn("outbox: lease lost before the outcome was recorded; another worker retries it",
			"kind", k.Name, "message", m.ID, "attempt", m.Attempts)
	case o.err == nil:
		if w.obs != nil {
			w.obs.ObserveOutboxSent(k.Name, o.at.Sub(m.CreatedAt))
		}
		w.log.Debug("outbox: sent", "kind", k.Name, "message", m.ID, "attempt", m.Attempts)
	case o.dead:
		if w.obs != nil {
			w.obs.ObserveOutboxFailure(k.Name)
			w.obs.ObserveOutboxDead(k.Name)
		}
		w.log.Error("outbox: message cannot be sent; it is dead (roster mail list shows it)",
			"kind", k.Name, "message", m.ID, "attempts", m.Attempts, "permanent", IsPermanent(o.err), "error", errorText(o.err))
	default:
		if w.obs != nil {
			w.obs.ObserveOutboxFailure(k.Name)
		}
		w.log.Warn("outbox: attempt failed; retrying later", "kind", k.Name, "message", m.ID, "attempt", m.Attempts,
			"error", errorText(o.err))
	}
}

// recorder writes outcomes in batches: while one transaction commits, the outcomes that
// finish meanwhile wait for the next, so many attempts cost one commit.
type recorder struct {
	w    *Worker
	reqs chan recordReq
	done chan struct{}
}

type recordReq struct {
	o   *outcome
	err chan error
}

const maxRecordBatch = 64

func newRecorder(w *Worker, k *kindLoop) *recorder {
	r := &recorder{w: w, reqs: make(chan recordReq, k.Policy.Concurrency), done: make(chan struct{})}
	go r.run()
	return r
}

func (r *recorder) record(o *outcome) error {
	req := recordReq{o: o, err: make(chan error, 1)}
	r.reqs <- req
	return <-req.err
}

func (r *recorder) close() { close(r.reqs); <-r.done }

func (r *recorder) run() {
	defer close(r.done)
	for first := range r.reqs {
		batch := []recordReq{first}
	more:
		for len(batch) < maxRecordBatch {
			select {
			case req, ok := <-r.reqs:
				if !ok {
					break more
				}
				batch = append(batch, req)
			default:
				break more
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), r.w.cfg.Lease/2)
		err := r.w.store.Write(ctx, func(tx roster.Tx) error {
			for _, req := range batch {
				req.o.lost = false
				if err := req.o.record(ctx, tx, r.w.cfg.Owner); err != nil {
					return err
				}
			}
			return nil
		})
		cancel()
		for _, req := range batch {
			req.err <- err
		}
	}
}

// backoff is the wait after the given number of failed attempts: Backoff doubled for each
// attempt after the first, at most MaxBackoff, within ±20% so that retries spread out.
func backoff(p Policy, attempts int) time.Duration {
	d := p.Backoff
	for i := 1; i < attempts && d < p.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.MaxBackoff)
	jitter := time.Duration(mrand.Int64N(int64(d)/5*2+1)) - d/5
	return max(d+jitter, time.Millisecond)
}

// errorText bounds what is kept of an error.
func errorText(err error) string {
	s := err.Error()
	if len(s) > 1000 {
		s = s[:1000]
	}
	return s
}

// prune deletes sent messages past the retention, once an hour.
func (w *Worker) prune(ctx context.Context) {
	for {
		for ctx.Err() == nil {
			var n int64
			err := w.store.Write(ctx, func(tx roster.Tx) (err error) {
				n, err = tx.PruneOutbox(ctx, time.Now().Add(-w.cfg.Retention), 1000)
				return err
			})
			if err != nil || n < 1000 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}
