// Package server wires Roster together: configuration → database → service → HTTP, with a
// Listen/Serve/Close life cycle that end-to-end tests drive on 127.0.0.1:0.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster/internal/compat/ellacore"
	"github.com/rosterhq/roster/internal/compat/exolink"
	"github.com/rosterhq/roster/internal/compat/links"
	"github.com/rosterhq/roster/internal/compat/partner"
	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/httpapi"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/metrics"
	"github.com/rosterhq/roster/internal/outbox"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/seal"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/sqlstore"
	"github.com/rosterhq/roster/internal/web"
)

// Config is everything `roster serve` can be told.
type Config struct {
	Addr          string // listen address
	MetricsAddr   string // separate listen address for /metrics; empty serves it on Addr
	DB            string // database: a SQLite file path, sqlite:PATH, or a postgres:// URL
	DBOptions     sqlstore.Options
	SessionTTL    time.Duration // lifetime of a login session
	TokenMaxTTL   time.Duration // longest lifetime of an API token or key; 0 for no limit
	ShutdownDelay time.Duration // how long /readyz fails before the listener closes on shutdown
	ShutdownGrace time.Duration // how long in-flight requests may take to finish on shutdown
	// EllaCoreTenant is the slug of the tenant the Ella Core surface serves.
	EllaCoreTenant string
	// PartnerRateLimit is how many requests a minute one partner-portal key may make.
	PartnerRateLimit int64
	// LoginLock is the first lock after too many failed logins; each further one doubles.
	LoginLock time.Duration
	// PasswordMinLength is the fewest characters a new password may have.
	PasswordMinLength int
	// TrustedProxies are the proxies whose X-Forwarded-For names the client.
	TrustedProxies []netip.Prefix
	// SecretKeyFile names the key file that seals the secrets Roster must read back (TOTP
	// seeds, signing keys); empty leaves the features that need it off.
	SecretKeyFile string
	// MetricsToken is the bearer token /metrics asks for (MetricsTokenFile names a file
	// holding it). On Addr, /metrics without one answers 401 to everyone; on MetricsAddr, it
	// is open unless one is set.
	MetricsToken     string
	MetricsTokenFile string
	// Version is what the server reports of itself.
	Version string
	// Mail: SMTPURL (smtp:// or smtps://) or MailDir (write .eml files instead), not both;
	// neither leaves mail off. See MailConfig.
	Mail MailConfig
}

// MailConfig configures outbound mail and the outbox that sends it.
type MailConfig struct {
	SMTPURL   string
	From      string // the From header
	Dir       string
	Templates string // a directory of templates overriding the built-in ones
	// PublicURL starts the links in mail (empty: the server's own URL); when it is https, the
	// console's cookies are Secure even when TLS ends at a proxy.
	PublicURL string
	ResetTTL  time.Duration
	VerifyTTL time.Duration
	// SkipVerification sends no verification mail to users that administrators create.
	SkipVerification bool
	// OutboxLease and OutboxRetry are the outbox's lease and its first wait after a failure.
	OutboxLease time.Duration
	OutboxRetry time.Duration
	// SMTPTLS, for tests, is the TLS configuration (the roots to trust) of the SMTP client.
	SMTPTLS *tls.Config
}

// Enabled reports whether mail is configured.
func (c MailConfig) Enabled() bool { return c.SMTPURL != "" || c.Dir != "" }

// DefaultConfig returns the configuration of a zero-setup server.
func DefaultConfig() Config {
	return Config{
		Addr: "127.0.0.1:8080", DB: "roster.db", DBOptions: sqlstore.DefaultOptions(),
		SessionTTL:    service.DefaultConfig().SessionTTL,
		ShutdownDelay: 2 * time.Second, ShutdownGrace: 15 * time.Second,
		EllaCoreTenant: "ellacore", PartnerRateLimit: 500, PasswordMinLength: password.DefaultPolicy.MinLength, Version: "dev",
		LoginLock: service.DefaultConfig().LoginLock,
		Mail: MailConfig{From: "Roster <roster@localhost>", ResetTTL: service.DefaultResetTTL, VerifyTTL: service.DefaultVerifyTTL,
			OutboxLease: outbox.DefaultConfig().Lease, OutboxRetry: 10 * time.Second},
	}
}

// Validate checks the configuration before anything is opened. Each value it refuses is a
// *KeyError naming the value's key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &KeyError{Key: key, Err: fmt.Errorf(format, args...)})
	}
	if _, _, err := sqlstore.ParseDSN(c.DB); err != nil {
		// ParseDSN names --db itself; the key says where the value came from instead.
		bad("db", "%s", strings.TrimPrefix(err.Error(), "--db: "))
	}
	if c.DBOptions.MaxConns < 2 {
		bad("db-max-conns", "must be at least 2, not %d", c.DBOptions.MaxConns)
	}
	if c.DBOptions.StatementTimeout < 0 {
		bad("db-statement-timeout", "must not be negative")
	}
	if c.DBOptions.Wait < 0 {
		bad("db-wait", "must not be negative")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr", "%q is not host:port (%v)", c.Addr, err)
	}
	if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil && c.MetricsAddr != "" {
		bad("metrics-addr", "%q is not host:port (%v)", c.MetricsAddr, err)
	}
	switch {
	case c.MetricsToken != "" && c.MetricsTokenFile != "":
		bad("metrics-token", "give it or metrics-token-file, not both")
	case c.MetricsToken != "" && len(c.MetricsToken) < minMetricsToken:
		bad("metrics-token", "must be at least %d characters (openssl rand -hex 32 makes one)", minMetricsToken)
	}
	if c.SessionTTL < time.Minute {
		bad("session-ttl", "must be at least 1m, not %s", c.SessionTTL)
	}
	if service.CheckSlug(c.EllaCoreTenant) != nil {
		bad("ellacore-tenant", "%q is not a tenant slug (lower-case letters, digits and hyphens)", c.EllaCoreTenant)
	}
	if c.LoginLock < time.Second {
		bad("login-lock", "must be at least 1s, not %s", c.LoginLock)
	}
	if c.PasswordMinLength < 8 || c.PasswordMinLength > 64 {
		bad("password-min-length", "must be from 8 to 64, not %d", c.PasswordMinLength)
	}
	if c.PartnerRateLimit < 1 {
		bad("partner-rate-limit", "must be at least 1, not %d", c.PartnerRateLimit)
	}
	for key, d := range map[string]time.Duration{"token-max-ttl": c.TokenMaxTTL, "shutdown-delay": c.ShutdownDelay, "shutdown-grace": c.ShutdownGrace} {
		if d < 0 {
			bad(key, "must not be negative")
		}
	}
	errs = append(errs, c.Mail.validate()...)
	slices.SortStableFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// validate checks the mail settings, each fault a *KeyError.
func (c MailConfig) validate() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &KeyError{Key: key, Err: fmt.Errorf(format, args...)})
	}
	if c.SMTPURL != "" && c.Dir != "" {
		bad("mail-dir", "give it or smtp-url, not both")
	}
	if c.SMTPURL != "" {
		if _, err := mail.ParseSMTP(c.SMTPURL); err != nil {
			// The mail package names the flag itself; the key says where the value came from.
			bad("smtp-url", "%s", strings.TrimPrefix(err.Error(), "--smtp-url: "))
		}
	}
	if _, err := mail.NewMailer(nil, nil, c.From); err != nil {
		bad("mail-from", "%s", strings.TrimPrefix(err.Error(), "--mail-from "))
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad("public-url", "%q: want an http:// or https:// URL such as https://roster.example.com", c.PublicURL)
		}
	}
	if c.ResetTTL < time.Minute {
		bad("reset-ttl", "must be at least 1m, not %s", c.ResetTTL)
	}
	if c.VerifyTTL < time.Minute {
		bad("verify-ttl", "must be at least 1m, not %s", c.VerifyTTL)
	}
	if c.OutboxLease < 2*time.Second {
		bad("outbox-lease", "must be at least 2s, not %s", c.OutboxLease)
	}
	if c.OutboxRetry < 100*time.Millisecond {
		bad("outbox-retry", "must be at least 100ms, not %s", c.OutboxRetry)
	}
	return errs
}

// minMetricsToken is the shortest metrics token accepted: one a scraper's operator can
// generate, and nobody can guess.
const minMetricsToken = 16

// metricsToken returns the bearer token /metrics asks for, reading it from its file if named.
func (c Config) metricsToken() (string, error) {
	if c.MetricsTokenFile == "" {
		return c.MetricsToken, nil
	}
	b, err := os.ReadFile(c.MetricsTokenFile)
	if err != nil {
		return "", &KeyError{Key: "metrics-token-file", Err: err}
	}
	token := strings.TrimSpace(string(b))
	if len(token) < minMetricsToken {
		return "", &KeyError{Key: "metrics-token-file", Err: fmt.Errorf("%s holds %d characters; a metrics token must have at least %d", c.MetricsTokenFile, len(token), minMetricsToken)}
	}
	return token, nil
}

// A KeyError is one configuration value that Validate refuses. Key is the value's name as a
// flag (without "--") and as a configuration-file key, so that the command line can say
// where the value came from: the flag, a ROSTER_* variable or a line of the file.
type KeyError struct {
	Key string
	Err error
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Err.Error() }

func (e *KeyError) Unwrap() error { return e.Err }

// Server is a running Roster.
type Server struct {
	cfg     Config
	log     *slog.Logger
	db      *sqlstore.DB
	svc     *service.Service
	metrics *metrics.Metrics
	http    *http.Server
	ln      net.Listener
	mhttp   *http.Server // the metrics listener, when separate
	mln     net.Listener
	ready   atomic.Bool // /readyz answers 200 only while this is set
	routes  []string
	outbox  *outbox.Worker // nil when mail is off
}

// Open validates cfg, opens and migrates the database and builds the service.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	metricsToken, err := cfg.metricsToken()
	if err != nil {
		return nil, err
	}
	db, err := OpenDB(ctx, cfg.DB, cfg.DBOptions, log)
	if err != nil {
		return nil, err
	}
	var sealer *seal.Sealer
	if cfg.SecretKeyFile != "" {
		if sealer, err = seal.LoadFile(cfg.SecretKeyFile); err != nil {
			db.Close()
			return nil, err
		}
	}
	hasher := password.NewHasher(password.DefaultParams)
	m := metrics.New(cfg.Version, db.Pool(), hasher.Waiting)
	hasher.OnWait = m.ObserveHashWait
	s := &Server{cfg: cfg, log: log, db: db, metrics: m}
	mailer, err := openMailer(cfg.Mail, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	mc := service.MailConfig{Enabled: mailer != nil, ResetTTL: cfg.Mail.ResetTTL, VerifyTTL: cfg.Mail.VerifyTTL,
		SkipVerificationMail: cfg.Mail.SkipVerification, Wake: s.wakeOutbox}
	svc := service.New(db, hasher, service.Config{SessionTTL: cfg.SessionTTL, TokenMaxTTL: cfg.TokenMaxTTL, ObserveLogin: m.ObserveLogin,
		PasswordPolicy: password.Policy{MinLength: cfg.PasswordMinLength}, LoginLock: cfg.LoginLock, Sealer: sealer, Mail: mc}, log)
	s.svc = svc
	m.WatchOutbox(svc.CountOutbox)
	if mailer != nil {
		s.outbox = outbox.New(db, outbox.Config{Lease: cfg.Mail.OutboxLease}, log, m, outbox.Kind{
			Name: service.MailKind, Sender: svc.MailSender(mailer, s.publicURL),
			Policy: outbox.Policy{MaxAttempts: 20, MaxAge: 24 * time.Hour, Backoff: cfg.Mail.OutboxRetry, MaxBackoff: time.Hour, Concurrency: 8},
		})
	}
	// The Ella Core surface serves one tenant: bound here, once, before any request.
	ella, err := svc.EnsureTenantAsSystem(ctx, cfg.EllaCoreTenant, "Ella Core")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("ellacore tenant %q: %w", cfg.EllaCoreTenant, err)
	}

	api := httpapi.New(svc, log, m, cfg.TrustedProxies)
	api.Mount("/compat/exolink", exolink.New(svc, log))
	api.Mount("/compat/links", links.New(svc, log))
	api.Mount("/compat/ellacore", ellacore.New(svc, log, ellacore.Config{Tenant: ella.ID, Version: cfg.Version}))
	api.Mount("/compat/partner", partner.New(svc, log, partner.Config{RateLimit: cfg.PartnerRateLimit}))
	publicURL, err := web.ParsePublicURL(cfg.Mail.PublicURL)
	if err != nil {
		db.Close()
		return nil, err
	}
	api.Mount(console.Base, console.New(svc, log, web.Config{PublicURL: publicURL}))
	api.Mount(web.AssetsPath, web.Assets{})
	api.Handle("GET /readyz", http.HandlerFunc(s.readyz))
	if cfg.MetricsAddr == "" {
		// On the main address, which clients reach, the metrics need their token.
		api.Handle("GET /metrics", metrics.Protect(m.Handler(), metricsToken))
	} else {
		h := m.Handler()
		if metricsToken != "" {
			h = metrics.Protect(h, metricsToken)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", h)
		s.mhttp = newHTTPServer(mux, log)
	}
	s.http = newHTTPServer(api, log)
	s.routes = api.Routes()
	return s, nil
}

// openMailer builds the mail transport the configuration names, or nil when mail is off.
func openMailer(c MailConfig, log *slog.Logger) (*mail.Mailer, error) {
	var tr mail.Transport
	switch {
	case c.SMTPURL != "":
		smtp, err := mail.ParseSMTP(c.SMTPURL)
		if err != nil {
			return nil, err
		}
		smtp.TLS = c.SMTPTLS
		log.Info("mail: sending through SMTP", "server", smtp.String(), "from", c.From)
		tr = smtp
	case c.Dir != "":
		log.Info("mail: writing each message to a file instead of sending it", "dir", c.Dir)
		tr = &mail.Dir{Path: c.Dir}
	default:
		log.Info("mail is off: no --smtp-url or --mail-dir")
		return nil, nil
	}
	tpl, err := mail.NewTemplates(c.Templates)
	if err != nil {
		return nil, err
	}
	return mail.NewMailer(tr, tpl, c.From)
}

// publicURL is the base of the links in mail.
func (s *Server) publicURL() string {
	if s.cfg.Mail.PublicURL != "" {
		return s.cfg.Mail.PublicURL
	}
	return s.URL()
}

func (s *Server) wakeOutbox() {
	if s.outbox != nil {
		s.outbox.Wake()
	}
}

// Routes returns every route pattern the server answers on its main address.
func (s *Server) Routes() []string { return s.routes }

func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           httpx.CloseAfterChunked(h),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// OpenDB opens the database named by dsn and applies pending migrations.
func OpenDB(ctx context.Context, dsn string, o sqlstore.Options, log *slog.Logger) (*sqlstore.DB, error) {
	o.Log = log
	db, err := sqlstore.Open(ctx, dsn, o)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx, log); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Service returns the service, for the command line and tests.
func (s *Server) Service() *service.Service { return s.svc }

// readyz answers 200 while the server takes traffic: started, not shutting down, its database
// answering and fully migrated; 503 otherwise.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	status, code := "ready", http.StatusOK
	if !s.ready.Load() {
		status, code = "not ready", http.StatusServiceUnavailable
	} else if err := s.db.Ping(r.Context()); err != nil {
		status, code = "database unreachable", http.StatusServiceUnavailable
	} else if n, err := s.db.Pending(r.Context()); err != nil || n > 0 {
		status, code = "database not migrated", http.StatusServiceUnavailable
	}
	httpx.WriteJSON(w, code, map[string]string{"status": status})
}

// Listen binds the listen addresses.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.ln = ln
	if s.mhttp != nil {
		if s.mln, err = net.Listen("tcp", s.cfg.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen for metrics: %w", err)
		}
	}
	return nil
}

// URL returns the base URL the server answers on, once Listen has returned.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// MetricsURL returns the URL of /metrics on the separate metrics address, once Listen has
// returned, or "" when the metrics are served on the main address.
func (s *Server) MetricsURL() string {
	if s.mln == nil {
		return ""
	}
	return "http://" + s.mln.Addr().String() + "/metrics"
}

// Serve answers requests until ctx ends. Then /readyz fails at once, the listener stays open
// for the shutdown delay (so load balancers notice), and in-flight requests get the shutdown
// grace period to finish.
func (s *Server) Serve(ctx context.Context) error {
	s.log.Info("roster listening", "addr", s.ln.Addr().String(), "url", s.URL(), "database", s.db.Kind(), "where", s.db.Where)
	errc := make(chan error, 2)
	go func() { errc <- s.http.Serve(s.ln) }()
	if s.mhttp != nil {
		s.log.Info("metrics listening", "addr", s.mln.Addr().String())
		go func() { errc <- s.mhttp.Serve(s.mln) }()
	}
	// The outbox outlives the listener, so that requests still being answered can queue mail.
	octx, stopOutbox := context.WithCancel(context.Background())
	outboxDone := make(chan struct{})
	go func() {
		defer close(outboxDone)
		if s.outbox != nil {
			s.outbox.Run(octx)
		}
	}()
	defer func() { stopOutbox(); <-outboxDone }()
	s.ready.Store(true)
	select {
	case err := <-errc:
		s.ready.Store(false)
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.ready.Store(false)
	s.log.Info("shutting down: readiness fails now", "delay_ms", s.cfg.ShutdownDelay.Milliseconds(), "grace_ms", s.cfg.ShutdownGrace.Milliseconds())
	time.Sleep(s.cfg.ShutdownDelay)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	err := s.http.Shutdown(sctx)
	if s.mhttp != nil {
		err = errors.Join(err, s.mhttp.Shutdown(sctx))
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	s.log.Info("stopped: every in-flight request finished")
	return nil
}

// Close releases the database.
func (s *Server) Close() error {
	return s.db.Close()
}
