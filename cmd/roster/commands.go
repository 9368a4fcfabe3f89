package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/cmd/roster/internal/cli"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/sqlstore"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// logOptions are the flags every command that logs shares.
type logOptions struct {
	level  string
	format string
}

func (o *logOptions) register(fs *pflag.FlagSet) {
	o.level, o.format = "info", "text"
	fs.Var(&choice{&o.level, []string{"debug", "info", "warn", "error"}}, "log-level", "log level: debug, info, warn or error")
	fs.Var(&choice{&o.format, []string{"text", "json"}}, "log-format", "log format: text or json")
}

// openDB opens and migrates an existing database for a command that works without the
// network, logging to the command's standard error. A SQLite file that does not exist, or is
// not a Roster database, is refused: a mistyped --db must not become a new, empty database.
func (o *logOptions) openDB(cmd *cobra.Command, dsn string, opts sqlstore.Options) (*sqlstore.DB, *slog.Logger, error) {
	opts.Existing = true
	return o.openOrCreateDB(cmd, dsn, opts)
}

// openOrCreateDB is openDB for roster migrate, which creates a SQLite database that does not
// exist yet.
func (o *logOptions) openOrCreateDB(cmd *cobra.Command, dsn string, opts sqlstore.Options) (*sqlstore.DB, *slog.Logger, error) {
	log, err := o.logger(cmd.ErrOrStderr())
	if err != nil {
		return nil, nil, err
	}
	d, err := server.OpenDB(cmd.Context(), dsn, opts, log)
	return d, log, err
}

// offlineService is the service over an open database, for commands without the network.
func offlineService(d *sqlstore.DB, log *slog.Logger) *service.Service {
	return service.New(d, password.NewHasher(password.DefaultParams), service.DefaultConfig(), log)
}

func (o *logOptions) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", o.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch o.format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", o.format)
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "roster",
		Short:         "Roster keeps users, tenants, roles and credentials behind your product",
		SilenceUsage:  true,
		SilenceErrors: true,
		// Every flag can also be set as ROSTER_<FLAG> (for --log-level, ROSTER_LOG_LEVEL) or
		// in the configuration file; a flag on the command line wins (see config.go).
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if !needsConfiguration(cmd) {
				return nil
			}
			return configure(cmd)
		},
	}
	root.PersistentFlags().String("config", "", "configuration file (TOML) whose keys are the flags of roster serve")
	root.AddCommand(newServeCommand(), newMigrateCommand(), newVersionCommand(), newUserCommand(),
		newBackupCommand(), newRestoreCommand(), newBenchCommand(), newImportCommand(), newSecretKeyCommand(), newMailCommand(),
		newConfigCommand(), newDocsCommand())
	cli.AddCommands(root, cli.Options{Version: buildVersion()})
	cli.Finish(root) // last: it prepares every command for cli.ExitCode
	return root
}

func newServeCommand() *cobra.Command {
	cfg := server.DefaultConfig()
	var logs logOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the API (applies migrations first)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := logs.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return explainConfig(cmd, err)
			}
			cfg.Version = buildVersion()
			srv, err := server.Open(cmd.Context(), cfg, log)
			if err != nil {
				return explainConfig(cmd, err)
			}
			defer srv.Close()
			if err := srv.Listen(); err != nil {
				return err
			}
			return srv.Serve(cmd.Context())
		},
	}
	registerServeFlags(cmd.Flags(), &cfg, &logs)
	return cmd
}

// registerServeFlags adds the flags of roster serve, which are also the keys of the
// configuration file.
func registerServeFlags(fs *pflag.FlagSet, cfg *server.Config, logs *logOptions) {
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "address to listen on (host:port)")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", cfg.MetricsAddr, "separate address for GET /metrics (empty: serve it on --addr, to bearers of --metrics-token only)")
	fs.StringVar(&cfg.MetricsToken, "metrics-token", cfg.MetricsToken, "bearer token GET /metrics asks for (prefer ROSTER_METRICS_TOKEN or --metrics-token-file to a flag others can see)")
	fs.StringVar(&cfg.MetricsTokenFile, "metrics-token-file", cfg.MetricsTokenFile, "file holding the bearer token GET /metrics asks for")
	fs.StringVar(&cfg.DB, "db", cfg.DB, "database: a SQLite file path, sqlite:PATH, or a postgres:// URL")
	registerDBOptions(fs, &cfg.DBOptions)
	fs.DurationVar(&cfg.SessionTTL, "session-ttl", cfg.SessionTTL, "lifetime of a login session")
	fs.StringVar(&cfg.EllaCoreTenant, "ellacore-tenant", cfg.EllaCoreTenant, "slug of the tenant the Ella Core surface serves (created at start-up)")
	fs.Int64Var(&cfg.PartnerRateLimit, "partner-rate-limit", cfg.PartnerRateLimit, "requests a minute one partner-portal key may make")
	fs.DurationVar(&cfg.LoginLock, "login-lock", cfg.LoginLock, "first lock after 5 failed password checks on one account from one address (doubles with each further failure, up to 1h)")
	fs.Var(&prefixes{&cfg.TrustedProxies}, "trusted-proxies", "comma-separated addresses or CIDR ranges of proxies whose X-Forwarded-For names the client")
	fs.IntVar(&cfg.PasswordMinLength, "password-min-length", cfg.PasswordMinLength, "fewest characters (Unicode code points) a new password may have, 8 to 64")
	fs.StringVar(&cfg.SecretKeyFile, "secret-key-file", cfg.SecretKeyFile, "file of the key that encrypts TOTP seeds and signing keys at rest (roster secret-key generate --out FILE)")
	fs.DurationVar(&cfg.TokenMaxTTL, "token-max-ttl", cfg.TokenMaxTTL, "longest lifetime of an API token or service-account key (0: no limit)")
	registerMailFlags(fs, &cfg.Mail)
	fs.DurationVar(&cfg.ShutdownDelay, "shutdown-delay", cfg.ShutdownDelay, "how long /readyz fails before the listener closes on shutdown")
	fs.DurationVar(&cfg.ShutdownGrace, "shutdown-grace", cfg.ShutdownGrace, "time in-flight requests get to finish on shutdown")
	logs.register(fs)
}

func newMigrateCommand() *cobra.Command {
	db, dbOptions := server.DefaultConfig().DB, sqlstore.DefaultOptions()
	var logs logOptions
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create the database if there is none, apply pending migrations and exit",
		Long: "Apply pending migrations and exit. A SQLite file that does not exist is created (as roster serve\n" +
			"does); every other offline command refuses a database that does not exist.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, _, err := logs.openOrCreateDB(cmd, db, dbOptions)
			if err != nil {
				return err
			}
			defer d.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "%s database %s is migrated\n", d.Kind(), d.Where)
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", db, "database: a SQLite file path, sqlite:PATH, or a postgres:// URL")
	registerDBOptions(cmd.Flags(), &dbOptions)
	logs.register(cmd.Flags())
	return cmd
}

// registerDBOptions adds the flags that tune the database connection.
func registerDBOptions(fs *pflag.FlagSet, o *sqlstore.Options) {
	fs.IntVar(&o.MaxConns, "db-max-conns", o.MaxConns, "most PostgreSQL connections this process opens")
	fs.DurationVar(&o.StatementTimeout, "db-statement-timeout", o.StatementTimeout, "bound on every PostgreSQL statement (0: none)")
	fs.DurationVar(&o.Wait, "db-wait", o.Wait, "how long to retry a PostgreSQL server that does not answer yet at start")
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "roster", buildVersion())
		},
	}
}

// buildVersion is the version set at build time, or the module's, or "dev".
func buildVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok && version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return version
}

func newUserCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Administer users without the network (on a server: roster users)"}
	cmd.AddCommand(newUserCreateCommand())
	return cmd
}

func newUserCreateCommand() *cobra.Command {
	db, dbOptions := server.DefaultConfig().DB, sqlstore.DefaultOptions()
	var in service.CreateUserInput
	var logs logOptions
	cmd := &cobra.Command{
		Use:   "create --email EMAIL [--username NAME] [--instance-admin] < password",
		Short: "Create a user, reading its password from standard input",
		Long: "Create a user directly in the database, for recovery and scripting. The password is\n" +
			"read from standard input (one line); at a terminal it is asked for without echo.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, err := readPassword(cmd)
			if err != nil {
				return err
			}
			in.Password = &pw
			d, log, err := logs.openDB(cmd, db, dbOptions)
			if err != nil {
				return err
			}
			defer d.Close()
			u, err := offlineService(d, log).CreateUserAsSystem(cmd.Context(), in)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created user %s (%s)\n", u.ID, u.Email)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&db, "db", db, "database: a SQLite file path, sqlite:PATH, or a postgres:// URL")
	registerDBOptions(fs, &dbOptions)
	fs.StringVar(&in.Email, "email", "", "email address (required)")
	fs.StringVar(&in.Username, "username", "", "username (defaults to the email)")
	fs.StringVar(&in.GivenName, "given-name", "", "given name")
	fs.StringVar(&in.FamilyName, "family-name", "", "family name")
	fs.BoolVar(&in.InstanceAdmin, "instance-admin", false, "make the user an instance administrator")
	_ = cmd.MarkFlagRequired("email")
	logs.register(fs)
	return cmd
}

// readPassword reads one line from standard input, without echo at a terminal.
func readPassword(cmd *cobra.Command) (string, error) {
	if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(cmd.ErrOrStderr(), "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		return string(b), err
	}
	line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// describe renders an error for a terminal: a service error as its message and per-field
// details, anything else as it is.
func describe(err error) string {
	var e *roster.Error
	if !errors.As(err, &e) || e.Code == roster.EInternal {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString(e.Message)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "\n  --%s: %s", strings.ReplaceAll(strings.TrimPrefix(f.Pointer, "/"), "_", "-"), f.Detail)
	}
	return b.String()
}

func newBackupCommand() *cobra.Command {
	db, out := server.DefaultConfig().DB, ""
	var logs logOptions
	cmd := &cobra.Command{
		Use:   "backup --db roster.db --out FILE",
		Short: "Copy a SQLite database consistently while the server keeps serving",
		Long: "Copy a SQLite database consistently while the server keeps serving. The database is opened\n" +
			"read-only, and must exist and be a Roster database.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := logs.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			opts := sqlstore.DefaultOptions()
			opts.ReadOnly = true
			d, err := sqlstore.Open(cmd.Context(), db, opts)
			if err != nil {
				return err
			}
			defer d.Close()
			if err := d.Backup(cmd.Context(), out); err != nil {
				return err
			}
			log.Info("backup written", "from", d.Where, "to", out)
			fmt.Fprintf(cmd.OutOrStdout(), "backed up %s to %s\n", d.Where, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", db, "the SQLite database to copy")
	cmd.Flags().StringVar(&out, "out", "", "the file to write (must not exist)")
	_ = cmd.MarkFlagRequired("out")
	logs.register(cmd.Flags())
	return cmd
}

func newRestoreCommand() *cobra.Command {
	db, from := server.DefaultConfig().DB, ""
	cmd := &cobra.Command{
		Use:   "restore --db roster.db --from FILE",
		Short: "Put a backup in place of a SQLite database (stop every server using it first)",
		Long: "Check a backup's integrity, then put it in place of a SQLite database file. Refused while a\n" +
			"roster serve (or another roster command) has the database open: every Roster process holds a\n" +
			"lock on it (the file --db.lock beside it) for as long as it does.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kind, path, err := sqlstore.ParseDSN(db)
			if err != nil {
				return err
			}
			if kind != sqlstore.KindSQLite {
				return errors.New("restore: PostgreSQL is restored with pg_restore (see README)")
			}
			if err := sqlstore.Restore(cmd.Context(), from, path); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored %s from %s\n", path, from)
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", db, "the SQLite database to replace")
	cmd.Flags().StringVar(&from, "from", "", "the backup to restore")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// choice is a flag that takes one of a few words, so that a wrong one is refused where it was
// given (the flag, its variable or the file's line).
type choice struct {
	value   *string
	allowed []string
}

func (c *choice) String() string { return *c.value }

func (c *choice) Set(s string) error {
	if !slices.Contains(c.allowed, s) {
		return fmt.Errorf("want %s or %s", strings.Join(c.allowed[:len(c.allowed)-1], ", "), c.allowed[len(c.allowed)-1])
	}
	*c.value = s
	return nil
}

func (c *choice) Type() string { return "string" }

// prefixes is a flag holding addresses and CIDR ranges, such as "10.0.0.0/8,127.0.0.1".
type prefixes struct{ list *[]netip.Prefix }

func (p *prefixes) String() string {
	if p.list == nil {
		return ""
	}
	var out []string
	for _, x := range *p.list {
		out = append(out, x.String())
	}
	return strings.Join(out, ",")
}

func (p *prefixes) Set(s string) error {
	var list []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			addr, err := netip.ParseAddr(part)
			if err != nil {
				return fmt.Errorf("%q is neither an address nor a CIDR range", part)
			}
			list = append(list, netip.PrefixFrom(addr, addr.BitLen()))
			continue
		}
		pfx, err := netip.ParsePrefix(part)
		if err != nil {
			return fmt.Errorf("%q is neither an address nor a CIDR range", part)
		}
		list = append(list, pfx.Masked())
	}
	*p.list = list
	return nil
}

func (p *prefixes) Type() string { return "cidrs" }
