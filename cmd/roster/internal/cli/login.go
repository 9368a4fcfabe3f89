package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/client"
)

// defaultServer is where roster login goes without --server: roster serve's default address.
const defaultServer = "http://127.0.0.1:8080"

func newLoginCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "login [LOGIN]",
		Short: "Log in to a server and store the session for the other commands",
		Long: "Log in with an email or username and a password, and store the session token with the\n" +
			"server's URL in the user's configuration directory (roster/credentials, mode 0600), where\n" +
			"the other commands find it. The password is asked for without echo at a terminal, and\n" +
			"read as one line from standard input otherwise; it is never stored.\n\n" +
			"The server is --server or ROSTER_SERVER, else the one of the stored session, else " + defaultServer + ".\n" +
			"A new login replaces the stored session and ends the old one.",
		Example: "  roster login --server https://roster.example.com admin@example.com\n" +
			"  roster login admin@example.com < password.txt",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, argv []string) error {
			o := g.out(cmd)
			_, old, err := loadCredentials()
			if err != nil { // replaced below by a good one
				o.note("%v", err)
			}
			server := g.server
			if server == "" && old != nil {
				server = old.Server
			}
			if server == "" {
				server = defaultServer
			}
			if server, err = normalizeServer(server); err != nil {
				return usagef(cmd, "%v", err)
			}
			in := newSecrets(cmd)
			login := ""
			if len(argv) == 1 {
				login = argv[0]
			} else if _, ok := in.terminal(); ok {
				if login, err = in.line("Login (email or username): "); err != nil {
					return err
				}
			}
			if login == "" {
				return usagef(cmd, "missing LOGIN (an email or username)")
			}
			if cleartext(server) {
				o.note("warning: %s is plain HTTP: the password crosses the network unencrypted; use https://", server)
			}
			password, err := in.read("Password: ")
			if err != nil {
				return err
			}
			anon, err := g.newClient(server, "")
			if err != nil {
				return usagef(cmd, "%v", err)
			}
			s, err := anon.Login(cmd.Context(), login, password)
			if err != nil {
				return (*conn)(nil).fail(cmd, err)
			}
			if _, err := saveCredentials(&credentials{Server: server, Token: s.Token, SessionID: s.SessionID,
				UserID: s.User.ID, Login: login, ExpiresAt: s.ExpiresAt}); err != nil {
				// Do not leave a session behind that nothing knows of.
				_ = anon.WithToken(s.Token).Logout(context.WithoutCancel(cmd.Context()))
				return err
			}
			if old != nil && old.Server == server && old.Token != s.Token {
				_ = anon.WithToken(old.Token).Logout(cmd.Context()) // it may have ended already
			}
			role := ""
			if s.User.InstanceAdmin {
				role = " (instance administrator)"
			}
			o.note("Logged in as %s%s until %s.", s.User.Email, role, when(s.ExpiresAt))
			if os.Getenv("ROSTER_TOKEN") != "" {
				o.note("note: ROSTER_TOKEN is set, and the other commands use it instead of this session")
			}
			return nil
		},
	}
	return cmd
}

func newLogoutCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "End the stored session and remove it",
		Long: "End the session roster login stored, on its server, and remove the credentials file.\n" +
			"With --token or ROSTER_TOKEN, end that session instead. Not being logged in is no error.\n" +
			"The file is removed even when the server cannot be reached; the command then fails and\n" +
			"says until when the session stays valid.",
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := g.out(cmd)
			file, stored, err := loadCredentials()
			if err != nil && g.token == "" {
				// An unreadable file is still removed: logging out must always be possible.
				o.note("%v", err)
				return removeCredentials()
			}
			if g.token != "" {
				c, err := g.connect(cmd)
				if err != nil {
					return err
				}
				if err := c.Logout(cmd.Context()); err != nil && !client.IsUnauthenticated(err) {
					return c.fail(cmd, err)
				}
				if stored != nil && stored.Token == g.token {
					if err := removeCredentials(); err != nil {
						return err
					}
				}
				o.note("Logged out; the session has ended.")
				return nil
			}
			if stored == nil {
				o.note("Not logged in.")
				return nil
			}
			c, err := g.newClient(stored.Server, stored.Token)
			if err == nil {
				err = c.Logout(cmd.Context())
			}
			if rmErr := removeCredentials(); rmErr != nil {
				return rmErr
			}
			switch {
			case err == nil:
				o.note("Logged out; the session has ended.")
			case client.IsUnauthenticated(err):
				o.note("Logged out; the session had ended already.")
			default:
				o.note("Removed %s, but the session could not be ended: it stays valid until %s (roster sessions revoke %s, after logging in again).",
					file, when(stored.ExpiresAt), stored.SessionID)
				return (*conn)(nil).fail(cmd, err)
			}
			return nil
		},
	}
}

func newWhoamiCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show who the credential is, on which server, and its memberships",
		Args:  args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			me, err := c.GetMe(cmd.Context())
			if err != nil {
				return c.fail(cmd, err)
			}
			o := g.out(cmd)
			if o.format == "json" {
				return o.one(me, "")
			}
			tw := tabwriter.NewWriter(o.w, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "server\t%s\n", c.server)
			fmt.Fprintf(tw, "user\t%s (%s)\n", me.User.Email, me.User.ID)
			fmt.Fprintf(tw, "instance admin\t%s\n", yes(me.User.InstanceAdmin))
			if c.stored != nil {
				fmt.Fprintf(tw, "session\t%s, until %s\n", c.stored.SessionID, when(c.stored.ExpiresAt))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(me.Memberships) == 0 {
				return nil
			}
			fmt.Fprintln(o.w)
			return list(o, each(me.Memberships, nil), 0, []column[client.Membership]{
				{"TENANT", func(m client.Membership) string { return m.Tenant.Slug }},
				{"ID", func(m client.Membership) string { return m.Tenant.ID }},
				{"STATUS", func(m client.Membership) string { return m.Status }},
				{"ROLES", func(m client.Membership) string { return strings.Join(m.Roles, ",") }},
			})
		},
	}
}
