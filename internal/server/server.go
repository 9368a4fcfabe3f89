// Package server wires Roster together: configuration → database → service → HTTP, with a
// Listen/Serve/Close life cycle that end-to-end tests drive on 127.0.0.1:0.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/rosterhq/roster/internal/compat/ellacore"
	"github.com/rosterhq/roster/internal/compat/exolink"
	"github.com/rosterhq/roster/internal/compat/links"
	"github.com/rosterhq/roster/internal/compat/partner"
	"github.com/rosterhq/roster/internal/httpapi"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/sqlstore"
)

// Config is everything `roster serve` can be told.
type Config struct {
	Addr          string // listen address
	DB            string // database: a SQLite file path, sqlite:PATH, or a postgres:// URL
	DBOptions     sqlstore.Options
	SessionTTL    time.Duration // lifetime of a login session
	TokenMaxTTL   time.Duration // longest lifetime of an API token or key; 0 for no limit
	ShutdownGrace time.Duration // how long in-flight requests may take to finish on shutdown
	// EllaCoreTenant is the slug of the tenant the Ella Core surface serves.
	EllaCoreTenant string
	// PartnerRateLimit is how many requests a minute one partner-portal key may make.
	PartnerRateLimit int64
	// Version is what the server reports of itself.
	Version string
}

// DefaultConfig returns the configuration of a zero-setup server.
func DefaultConfig() Config {
	return Config{
		Addr: "127.0.0.1:8080", DB: "roster.db", DBOptions: sqlstore.DefaultOptions(),
		SessionTTL: service.DefaultConfig().SessionTTL, ShutdownGrace: 15 * time.Second,
		EllaCoreTenant: "ellacore", PartnerRateLimit: 500, Version: "dev",
	}
}

// Validate checks the configuration before anything is opened.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := sqlstore.ParseDSN(c.DB); err != nil {
		errs = append(errs, err)
	}
	if c.DBOptions.MaxConns < 2 {
		errs = append(errs, fmt.Errorf("db max conns %d: must be at least 2", c.DBOptions.MaxConns))
	}
	if c.DBOptions.StatementTimeout < 0 || c.DBOptions.Wait < 0 {
		errs = append(errs, errors.New("db statement timeout and db wait must not be negative"))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: %w", c.Addr, err))
	}
	if c.SessionTTL < time.Minute {
		errs = append(errs, fmt.Errorf("session TTL %s: must be at least 1m", c.SessionTTL))
	}
	if service.CheckSlug(c.EllaCoreTenant) != nil {
		errs = append(errs, fmt.Errorf("ellacore tenant %q: not a tenant slug (lower-case letters, digits and hyphens)", c.EllaCoreTenant))
	}
	if c.PartnerRateLimit < 1 {
		errs = append(errs, fmt.Errorf("partner rate limit %d: must be at least 1", c.PartnerRateLimit))
	}
	if c.TokenMaxTTL < 0 {
		errs = append(errs, fmt.Errorf("token max TTL %s: must not be negative", c.TokenMaxTTL))
	}
	if c.ShutdownGrace < 0 {
		errs = append(errs, fmt.Errorf("shutdown grace %s: must not be negative", c.ShutdownGrace))
	}
	return errors.Join(errs...)
}

// Server is a running Roster.
type Server struct {
	cfg  Config
	log  *slog.Logger
	db   *sqlstore.DB
	svc  *service.Service
	http *http.Server
	ln   net.Listener
}

// Open validates cfg, opens and migrates the database and builds the service.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db, err := OpenDB(ctx, cfg.DB, cfg.DBOptions, log)
	if err != nil {
		return nil, err
	}
	svc := service.New(db, password.NewHasher(password.DefaultParams), service.Config{SessionTTL: cfg.SessionTTL, TokenMaxTTL: cfg.TokenMaxTTL}, log)
	s := &Server{cfg: cfg, log: log, db: db, svc: svc}
	s.http = &http.Server{
		Handler:           handler(svc, log, cfg),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// handler serves the native API with every compatibility surface mounted beside it.
func handler(svc *service.Service, log *slog.Logger, cfg Config) http.Handler {
	api := httpapi.New(svc, log)
	api.Mount("/compat/exolink", exolink.New(svc, log))
	api.Mount("/compat/links", links.New(svc, log))
	api.Mount("/compat/partner", partner.New(svc, log, partner.Config{RateLimit: cfg.PartnerRateLimit}))
	api.Mount("/compat/ellacore", ellacore.New(svc, log, ellacore.Config{Tenant: cfg.EllaCoreTenant, Version: cfg.Version}))
	return api
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

// Listen binds the listen address.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.ln = ln
	return nil
}

// URL returns the base URL the server answers on, once Listen has returned.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Serve answers requests until ctx ends, then stops accepting connections and lets in-flight
// requests finish within the shutdown grace period.
func (s *Server) Serve(ctx context.Context) error {
	s.log.Info("roster listening", "addr", s.ln.Addr().String(), "url", s.URL(), "database", s.db.Kind(), "where", s.db.Where)
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", s.cfg.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	if err := s.http.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	s.log.Info("stopped: every in-flight request finished")
	return nil
}

// Close releases the database.
func (s *Server) Close() error {
	return s.db.Close()
}
