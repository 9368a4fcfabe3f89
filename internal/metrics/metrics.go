// Package metrics exposes Roster's Prometheus metrics: requests by route, method and status,
// latency by route, login outcomes, the password-hash queue, the database pool and the build.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors of one server.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	logins   *prometheus.CounterVec
	hashWait prometheus.Histogram
	outbox   *outboxMetrics
}

// New returns the metrics of a server: db is its database pool (the writer, for SQLite),
// hashQueue reports how many password hashes wait for a slot.
func New(version string, db *sql.DB, hashQueue func() int64) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_http_requests_total", Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "roster_http_request_duration_seconds", Help: "Time to answer HTTP requests, by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_logins_total", Help: "Password checks, by outcome (success, failure).",
		}, []string{"outcome"}),
		hashWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "roster_password_hash_wait_seconds", Help: "Time password hashes waited for a free slot.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		outbox: newOutboxMetrics(),
	}
	m.registry.MustRegister(m.outbox.sent, m.outbox.failed, m.outbox.dead, m.outbox.delay)
	m.registry.MustRegister(m.requests, m.latency, m.logins, m.hashWait,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "roster_password_hash_queue", Help: "Password hashes waiting for a free slot now.",
		}, func() float64 { return float64(hashQueue()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "roster_build_info", Help: "Always 1; the version is a label.", ConstLabels: prometheus.Labels{"version": version},
		}, func() float64 { return 1 }),
		collectors.NewDBStatsCollector(db, "roster"),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// ObserveRequest counts one answered request.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// ObserveLogin counts one password check.
func (m *Metrics) ObserveLogin(ok bool) {
	outcome := "failure"
	if ok {
		outcome = "success"
	}
	m.logins.WithLabelValues(outcome).Inc()
}

// ObserveHashWait records how long a password hash waited for a slot.
func (m *Metrics) ObserveHashWait(d time.Duration) { m.hashWait.Observe(d.Seconds()) }
