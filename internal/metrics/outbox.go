package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster"
)

// outboxMetrics count what the outbox worker does, by kind of message.
type outboxMetrics struct {
	sent, failed, dead *prometheus.CounterVec
	delay              *prometheus.HistogramVec
}

func newOutboxMetrics() *outboxMetrics {
	return &outboxMetrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_outbox_sent_total", Help: "Outbox messages delivered, by kind (mail, webhook).",
		}, []string{"kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_outbox_failures_total", Help: "Failed delivery attempts of outbox messages, by kind.",
		}, []string{"kind"}),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_outbox_dead_total", Help: "Outbox messages given up on (dead), by kind.",
		}, []string{"kind"}),
		delay: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "roster_outbox_delay_seconds", Help: "Time from an outbox message's commit to its delivery, by kind.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600},
		}, []string{"kind"}),
	}
}

// ObserveOutboxSent counts a delivered message and its delay from commit.
func (m *Metrics) ObserveOutboxSent(kind string, delay time.Duration) {
	m.outbox.sent.WithLabelValues(kind).Inc()
	m.outbox.delay.WithLabelValues(kind).Observe(delay.Seconds())
}

// ObserveOutboxFailure counts a failed attempt.
func (m *Metrics) ObserveOutboxFailure(kind string) { m.outbox.failed.WithLabelValues(kind).Inc() }

// ObserveOutboxDead counts a message given up on.
func (m *Metrics) ObserveOutboxDead(kind string) { m.outbox.dead.WithLabelValues(kind).Inc() }

// WatchOutbox exports roster_outbox_messages{kind,state}: the pending and dead messages in the
// database (shared by every replica), counted at each scrape.
func (m *Metrics) WatchOutbox(count func(context.Context) ([]roster.OutboxCount, error)) {
	m.registry.MustRegister(&outboxCollector{count: count})
}

var outboxDesc = prometheus.NewDesc("roster_outbox_messages",
	"Outbox messages waiting (pending) or given up on (dead) in the database, by kind and state.", []string{"kind", "state"}, nil)

type outboxCollector struct {
	count func(context.Context) ([]roster.OutboxCount, error)
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- outboxDesc }

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		return // the database is down: /readyz says so, and the other metrics still serve
	}
	seen := map[[2]string]bool{}
	for _, n := range counts {
		seen[[2]string{n.Kind, n.State}] = true
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(n.N), n.Kind, n.State)
	}
	for _, st := range []string{roster.OutboxPending, roster.OutboxDead} { // zeros, so alerts see the series
		if !seen[[2]string{"mail", st}] {
			ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, 0, "mail", st)
		}
	}
}
