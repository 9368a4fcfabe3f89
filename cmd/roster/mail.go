package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/sqlstore"
)

// registerMailFlags adds the flags of outbound mail and the outbox to `roster serve`.
func registerMailFlags(fs *pflag.FlagSet, c *server.MailConfig) {
	fs.StringVar(&c.SMTPURL, "smtp-url", c.SMTPURL, "mail server: smtp://user:password@host:port (STARTTLS when offered) or smtps://… (TLS); the password is never logged")
	fs.StringVar(&c.From, "mail-from", c.From, `From header of Roster's mail, such as "Acme <accounts@acme.example>"`)
	fs.StringVar(&c.Dir, "mail-dir", c.Dir, "write each mail as DIR/<id>.eml instead of sending it (local development)")
	fs.StringVar(&c.Templates, "mail-templates", c.Templates, "directory of mail templates (NAME.LANG.txt, NAME.LANG.html) that override the built-in ones")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "URL people reach Roster at, which links in mail start with (default: the listen address); with https, the console's cookies are Secure even behind a TLS proxy")
	fs.DurationVar(&c.ResetTTL, "reset-ttl", c.ResetTTL, "how long a password-reset link works")
	fs.DurationVar(&c.VerifyTTL, "verify-ttl", c.VerifyTTL, "how long a link that confirms an email address works")
	fs.BoolVar(&c.SkipVerification, "skip-verification-mail", c.SkipVerification, "send no verification mail to users that administrators, surfaces or imports create")
	fs.DurationVar(&c.OutboxLease, "outbox-lease", c.OutboxLease, "how long a replica holds a message it is sending before another may take it over")
	fs.DurationVar(&c.OutboxRetry, "outbox-retry", c.OutboxRetry, "wait after a failed delivery attempt; doubles with each further failure, up to 1h")
}

func newMailCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "mail", Short: "Look at the mail in the outbox without the network"}
	cmd.AddCommand(newMailListCommand(), newMailRetryCommand())
	return cmd
}

func newMailListCommand() *cobra.Command {
	db, dbOptions := server.DefaultConfig().DB, sqlstore.DefaultOptions()
	var logs logOptions
	state, limit := "pending,dead", 100
	cmd := &cobra.Command{
		Use:   "list [--state pending,dead]",
		Short: "List mail waiting to be sent (pending) or given up on (dead), newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var states []string
			for _, st := range strings.Split(state, ",") {
				switch st = strings.TrimSpace(st); st {
				case "all":
					states = nil
				case roster.OutboxPending, roster.OutboxDead, roster.OutboxSent:
					states = append(states, st)
				default:
					return fmt.Errorf("--state %q: want pending, dead, sent or all, comma-separated", st)
				}
			}
			if limit < 1 || limit > 10000 {
				return fmt.Errorf("--limit %d: want 1 to 10000", limit)
			}
			d, log, err := logs.openDB(cmd, db, dbOptions)
			if err != nil {
				return err
			}
			defer d.Close()
			list, err := offlineService(d, log).ListMailAsSystem(cmd.Context(), states, limit)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSTATE\tATTEMPTS\tTO\tTEMPLATE\tCREATED\tNEXT ATTEMPT\tLAST ERROR")
			for _, m := range list {
				next := "-"
				if m.Message.State == roster.OutboxPending {
					next = m.Message.NextAttemptAt.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", m.Message.ID, m.Message.State, m.Message.Attempts, m.To, m.Template,
					m.Message.CreatedAt.Format(time.RFC3339), next, oneLine(m.Message.LastError))
			}
			return w.Flush()
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&db, "db", db, "database: a SQLite file path, sqlite:PATH, or a postgres:// URL")
	registerDBOptions(fs, &dbOptions)
	fs.StringVar(&state, "state", state, "states to list, comma-separated: pending, dead, sent, or all")
	fs.IntVar(&limit, "limit", limit, "most messages to list")
	logs.register(fs)
	return cmd
}

func newMailRetryCommand() *cobra.Command {
	db, dbOptions := server.DefaultConfig().DB, sqlstore.DefaultOptions()
	var logs logOptions
	cmd := &cobra.Command{
		Use:   "retry ID…",
		Short: "Make dead mail pending again; a running server sends it at its next poll",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			d, log, err := logs.openDB(cmd, db, dbOptions)
			if err != nil {
				return err
			}
			defer d.Close()
			svc := offlineService(d, log)
			for _, id := range ids {
				if err := svc.RequeueMailAsSystem(cmd.Context(), id); err != nil {
					if roster.ErrorCodeOf(err) == roster.ENotFound {
						return fmt.Errorf("%s: no dead message has this id", id)
					}
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s is pending again\n", id)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", db, "database: a SQLite file path, sqlite:PATH, or a postgres:// URL")
	registerDBOptions(cmd.Flags(), &dbOptions)
	logs.register(cmd.Flags())
	return cmd
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	if s == "" {
		return "-"
	}
	return s
}
