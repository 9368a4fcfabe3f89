package cli

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/client"
)

var keyColumns = []column[*client.ServiceAccountKey]{
	{"ID", func(k *client.ServiceAccountKey) string { return k.ID }},
	{"HINT", func(k *client.ServiceAccountKey) string { return k.Hint }},
	{"CREATED", func(k *client.ServiceAccountKey) string { return when(k.CreatedAt) }},
	{"EXPIRES", func(k *client.ServiceAccountKey) string { return whenPtr(k.ExpiresAt) }},
	{"LAST USED", func(k *client.ServiceAccountKey) string { return whenPtr(k.LastUsedAt) }},
}

var tokenColumns = []column[*client.APIToken]{
	{"ID", func(t *client.APIToken) string { return t.ID }},
	{"NAME", func(t *client.APIToken) string { return t.Name }},
	{"HINT", func(t *client.APIToken) string { return t.Hint }},
	{"CREATED", func(t *client.APIToken) string { return when(t.CreatedAt) }},
	{"EXPIRES", func(t *client.APIToken) string { return whenPtr(t.ExpiresAt) }},
	{"LAST USED", func(t *client.APIToken) string { return whenPtr(t.LastUsedAt) }},
}

var sessionColumns = []column[*client.SessionInfo]{
	{"ID", func(s *client.SessionInfo) string { return s.ID }},
	{"CURRENT", func(s *client.SessionInfo) string {
		if s.Current {
			return "*"
		}
		return ""
	}},
	{"CREATED", func(s *client.SessionInfo) string { return when(s.CreatedAt) }},
	{"EXPIRES", func(s *client.SessionInfo) string { return when(s.ExpiresAt) }},
	{"LAST USED", func(s *client.SessionInfo) string { return whenPtr(s.LastUsedAt) }},
	{"CLIENT", func(s *client.SessionInfo) string { return s.ClientAddr }},
	{"USER AGENT", func(s *client.SessionInfo) string { return s.UserAgent }},
}

func newKeysCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "List, create and revoke a service account's keys",
		Long: "A key (sk:…) authenticates a service account, inside its tenant only. Its secret is\n" +
			"shown once, when it is created; lists show a hint of it.",
	}
	cmd.AddCommand(newKeysListCommand(g), newKeysCreateCommand(g), newKeysRevokeCommand(g))
	return cmd
}

func newKeysListCommand(g *globals) *cobra.Command {
	var t tenantFlag
	cmd := &cobra.Command{
		Use:   "list SERVICE-ACCOUNT --tenant TENANT",
		Short: "List a service account's keys",
		Args:  args("SERVICE-ACCOUNT"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			tenant, err := t.need(cmd)
			if err != nil {
				return err
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			id, err := c.serviceAccountID(cmd, tenant, argv[0])
			if err != nil {
				return err
			}
			keys, err := c.ListServiceAccountKeys(cmd.Context(), tenant, id)
			return c.fail(cmd, list(g.out(cmd), each(keys, err), 0, keyColumns))
		},
	}
	t.register(cmd, true)
	return cmd
}

func newKeysCreateCommand(g *globals) *cobra.Command {
	var t tenantFlag
	cmd := &cobra.Command{
		Use:   "create SERVICE-ACCOUNT --tenant TENANT [--expires WHEN]",
		Short: "Create a key for a service account; its secret is printed this once",
		Args:  args("SERVICE-ACCOUNT"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			tenant, err := t.need(cmd)
			if err != nil {
				return err
			}
			var in client.KeyCreate
			if in.ExpiresAt, err = expiry(cmd); err != nil {
				return err
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			id, err := c.serviceAccountID(cmd, tenant, argv[0])
			if err != nil {
				return err
			}
			k, err := c.CreateServiceAccountKey(cmd.Context(), tenant, id, in)
			if err != nil {
				return c.fail(cmd, err)
			}
			o := g.out(cmd)
			o.note("The key is shown this once: keep it now. It is sent as \"Authorization: Bearer sk:…\".")
			return o.one(k, "")
		},
	}
	t.register(cmd, true)
	registerExpires(cmd)
	return cmd
}

func newKeysRevokeCommand(g *globals) *cobra.Command {
	var t tenantFlag
	cmd := &cobra.Command{
		Use:   "revoke SERVICE-ACCOUNT KEY --tenant TENANT",
		Short: "Revoke a service account's key (by its id); it stops working at once",
		Args:  args("SERVICE-ACCOUNT", "KEY"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			tenant, err := t.need(cmd)
			if err != nil {
				return err
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			id, err := c.serviceAccountID(cmd, tenant, argv[0])
			if err != nil {
				return err
			}
			if err := c.RevokeServiceAccountKey(cmd.Context(), tenant, id, argv[1]); err != nil {
				return c.fail(cmd, err)
			}
			g.out(cmd).note("Revoked key %s.", argv[1])
			return nil
		},
	}
	t.register(cmd, true)
	return cmd
}

// registerExpires adds --expires to a command that makes a token or key.
func registerExpires(cmd *cobra.Command) {
	cmd.Flags().String("expires", "", "when it stops working: an RFC 3339 time, a date (2027-12-31), or a duration from now (90d, 12h); default: never, or the server's --token-max-ttl")
}

// expiry is the --expires flag's time, nil when it was not given.
func expiry(cmd *cobra.Command) (*time.Time, error) {
	t, err := timeFlag(cmd, "expires", +1)
	if err != nil || t.IsZero() {
		return nil, err
	}
	return &t, nil
}

func newTokensCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "List, create and revoke your personal API tokens",
		Long: "A personal API token (rsp_…) acts as its owner, for scripts: set it as ROSTER_TOKEN. Its\n" +
			"secret is shown once, when it is created. Instance administrators name another user's\n" +
			"tokens with --user.",
	}
	cmd.AddCommand(newTokensListCommand(g), newTokensCreateCommand(g), newTokensRevokeCommand(g))
	return cmd
}

func newTokensListCommand(g *globals) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "list [--user USER]",
		Short: "List your API tokens, or a user's",
		Args:  args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			var tokens []*client.APIToken
			if user != "" {
				tokens, err = c.ListUserTokens(cmd.Context(), user)
			} else {
				tokens, err = c.ListMyTokens(cmd.Context())
			}
			return c.fail(cmd, list(g.out(cmd), each(tokens, err), 0, tokenColumns))
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the user (id, email or username) whose tokens to list (instance administrators)")
	return cmd
}

func newTokensCreateCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create NAME [--expires WHEN]",
		Short: "Create a personal API token; its secret is printed this once",
		Args:  args("NAME"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			in := client.APITokenCreate{Name: argv[0]}
			var err error
			if in.ExpiresAt, err = expiry(cmd); err != nil {
				return err
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			tok, err := c.CreateMyToken(cmd.Context(), in)
			if err != nil {
				return c.fail(cmd, err)
			}
			o := g.out(cmd)
			o.note("The token is shown this once: keep it now (for instance as ROSTER_TOKEN).")
			return o.one(tok, "")
		},
	}
	registerExpires(cmd)
	return cmd
}

func newTokensRevokeCommand(g *globals) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "revoke TOKEN [--user USER]",
		Short: "Revoke an API token, by id or name; it stops working at once",
		Args:  args("TOKEN"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			ref, id := argv[0], argv[0]
			if !strings.HasPrefix(ref, "tok_") {
				var tokens []*client.APIToken
				if user != "" {
					tokens, err = c.ListUserTokens(cmd.Context(), user)
				} else {
					tokens, err = c.ListMyTokens(cmd.Context())
				}
				if err != nil {
					return c.fail(cmd, err)
				}
				var found []string
				for _, t := range tokens {
					if t.Name == ref {
						found = append(found, t.ID)
					}
				}
				switch len(found) {
				case 0:
					return notFoundError{what: "API token", name: ref}
				case 1:
					id = found[0]
				default:
					return usagef(cmd, "%d tokens are named %q; name one by its id: %s", len(found), ref, strings.Join(found, ", "))
				}
			}
			if user != "" {
				err = c.RevokeUserToken(cmd.Context(), user, id)
			} else {
				err = c.RevokeMyToken(cmd.Context(), id)
			}
			if err != nil {
				return c.fail(cmd, err)
			}
			g.out(cmd).note("Revoked token %s.", ref)
			return nil
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the user (id, email or username) whose token to revoke (instance administrators)")
	return cmd
}

func newSessionsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "List and end your login sessions, or a user's",
		Long: "Login sessions are what roster login and every other password login make. Instance\n" +
			"administrators name another user's with --user, and sign a user out everywhere with\n" +
			"roster sessions revoke --user USER --all.",
	}
	cmd.AddCommand(newSessionsListCommand(g), newSessionsRevokeCommand(g))
	return cmd
}

func newSessionsListCommand(g *globals) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "list [--user USER]",
		Short: "List your unexpired sessions (the current one marked *), or a user's, newest first",
		Args:  args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			var sessions []*client.SessionInfo
			if user != "" {
				sessions, err = c.ListUserSessions(cmd.Context(), user)
			} else {
				sessions, err = c.ListMySessions(cmd.Context())
			}
			return c.fail(cmd, list(g.out(cmd), each(sessions, err), 0, sessionColumns))
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the user (id, email or username) whose sessions to list (instance administrators)")
	return cmd
}

func newSessionsRevokeCommand(g *globals) *cobra.Command {
	var user string
	var everyOne bool
	cmd := &cobra.Command{
		Use:   "revoke (SESSION | --user USER --all)",
		Short: "End a session by id (its token stops working at once), or every session of a user",
		RunE: func(cmd *cobra.Command, argv []string) error {
			switch {
			case everyOne && (user == "" || len(argv) > 0):
				return usagef(cmd, "--all ends every session of --user USER, and takes no SESSION")
			case !everyOne && len(argv) != 1:
				return usagef(cmd, "give one SESSION id (roster sessions list shows them), or --user USER --all")
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			switch {
			case everyOne:
				err = c.RevokeUserSessions(cmd.Context(), user)
			case user != "":
				err = c.RevokeUserSession(cmd.Context(), user, argv[0])
			default:
				err = c.RevokeMySession(cmd.Context(), argv[0])
			}
			if err != nil {
				return c.fail(cmd, err)
			}
			if everyOne {
				g.out(cmd).note("Ended every session of %s.", user)
			} else {
				g.out(cmd).note("Ended session %s.", argv[0])
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the user (id, email or username) whose session to end (instance administrators)")
	cmd.Flags().BoolVar(&everyOne, "all", false, "end every session of --user")
	return cmd
}
