package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/mailtest"
	"github.com/rosterhq/roster/internal/outbox"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/sqlstore"
)

// BenchmarkPasswordResetTiming alternates password-reset requests for an existing account and
// for an unknown one, as BenchmarkLoginFailureTiming does for logins, and reports the median of
// each: they should not tell the two apart. The throttle counters are cleared after each pair.
func BenchmarkPasswordResetTiming(b *testing.B) {
	smtp := mailtest.Start(b, mailtest.Options{})
	e := newEnv(b, func(c *server.Config) { c.Mail.SMTPURL = smtp.URL(); c.Mail.SkipVerification = true })
	e.bootstrap()
	db := writableDB(b, e)
	c := benchClient()
	var known, unknown []float64
	for i := 0; i < b.N; i++ {
		for _, name := range pairOrder(i) {
			start := time.Now()
			call(b, c, "POST", e.url+"/v1/auth/password-reset", "", fmt.Sprintf(`{"login": %q}`, name), http.StatusAccepted)
			ms := float64(time.Since(start).Microseconds()) / 1000
			if name == "root@example.com" {
				known = append(known, ms)
			} else {
				unknown = append(unknown, ms)
			}
		}
		// Each request then counts under new throttle rows, as an attacker's first try of a
		// name does, whether or not an account has it.
		if _, err := db.Exec(`DELETE FROM rate_counters`); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(median(known), "known-ms")
	b.ReportMetric(median(unknown), "unknown-ms")
}

// benchMailEnv is a server mailing a loopback SMTP server, and a second handle on its database.
func benchMailEnv(b *testing.B) (*env, *mailtest.Server, *sqlstore.DB) {
	smtp := mailtest.Start(b, mailtest.Options{})
	e := newEnv(b, func(c *server.Config) { c.Mail.SMTPURL = smtp.URL(); c.Mail.SkipVerification = true })
	e.bootstrap()
	smtp.Wait(b, 1, 10*time.Second)
	db, err := sqlstore.Open(context.Background(), e.dsn, sqlstore.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return e, smtp, db
}

// payload is an outbox mail with a link, as a password reset queues it.
func resetPayload(i int) map[string]any {
	return map[string]any{"to": fmt.Sprintf("u%d@example.com", i), "template": "reset_password", "locale": "en",
		"data": map[string]any{}, "link": map[string]any{"purpose": roster.LinkResetPassword, "subject_id": "usr_bench",
			"expires_at": time.Now().Add(time.Hour), "path": "/account/reset-password"}}
}

// BenchmarkMailThroughput commits b.N reset mails in one transaction and measures how long the
// server's outbox takes to deliver them all to a loopback SMTP server (each with its own
// SMTP session and a link minted for it): messages a second.
func BenchmarkMailThroughput(b *testing.B) {
	_, smtp, db := benchMailEnv(b)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	err := db.Write(ctx, func(tx roster.Tx) error {
		for i := 0; i < b.N; i++ {
			if _, err := outbox.Enqueue(ctx, tx, "mail", "", resetPayload(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	smtp.Wait(b, b.N+1, 10*time.Minute)
	d := time.Since(start)
	b.ReportMetric(float64(b.N)/d.Seconds(), "msgs/s")
}

// BenchmarkMailDelay measures, one request at a time, the delay from the commit of a password
// reset requested through the API (its 202) to the SMTP DATA command of its mail.
func BenchmarkMailDelay(b *testing.B) {
	e, smtp, _ := benchMailEnv(b)
	root := e.login("root@example.com", testPassword)
	res := e.must(http.StatusOK, req{method: "GET", path: "/v1/me", token: root})
	id := res.object(b)["user"].(map[string]any)["id"].(string)
	c := benchClient()
	var delays []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		call(b, c, "POST", e.url+"/v1/users/"+id+"/password-reset", root, "", http.StatusAccepted)
		acked := time.Now()
		m := smtp.Wait(b, i+2, time.Minute)[i+1]
		delays = append(delays, float64(m.DataStart.Sub(acked).Microseconds())/1000)
	}
	slices.Sort(delays)
	b.ReportMetric(median(delays), "median-ms")
	b.ReportMetric(delays[len(delays)*95/100], "p95-ms")
}
