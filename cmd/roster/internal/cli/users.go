package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/client"
)

var userColumns = []column[*client.User]{
	{"ID", func(u *client.User) string { return u.ID }},
	{"EMAIL", func(u *client.User) string { return u.Email }},
	{"USERNAME", func(u *client.User) string { return u.Username }},
	{"NAME", func(u *client.User) string { return strings.TrimSpace(u.GivenName + " " + u.FamilyName) }},
	{"ACTIVE", func(u *client.User) string { return yes(u.Active) }},
	{"ADMIN", func(u *client.User) string { return yes(u.InstanceAdmin) }},
	{"MANAGED BY", func(u *client.User) string { return u.ManagedBy }},
}

func newUsersCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "users",
		Aliases: []string{"u"},
		Short:   "List, create, change and delete users; set and reset passwords",
		Long: "Users are global identities that join tenants as members. A user is named by its id,\n" +
			"email or username. (roster user create, singular, creates one in the database file\n" +
			"without a server, for recovery.)",
	}
	cmd.AddCommand(newUsersListCommand(g), newUsersGetCommand(g), newUsersCreateCommand(g), newUsersUpdateCommand(g),
		newUsersDeleteCommand(g), newUsersActiveCommand(g, false), newUsersActiveCommand(g, true),
		newUsersResetPasswordCommand(g), newUsersSetPasswordCommand(g))
	return cmd
}

func newUsersListCommand(g *globals) *cobra.Command {
	var f client.UserFilter
	var limit int
	cmd := &cobra.Command{
		Use:   "list [--q TEXT] [--email PREFIX] [--username PREFIX] [--active=false]",
		Short: "List users, oldest first (instance administrators)",
		Args:  args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			items := c.AllUsers(cmd.Context(), f, client.ListOptions{Limit: g.pageSize(limit)})
			return c.fail(cmd, list(g.out(cmd), items, limit, userColumns))
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.Search, "q", "", "only users whose email, username, given or family name contains this")
	fs.StringVar(&f.Email, "email", "", "only users whose email starts with this")
	fs.StringVar(&f.Username, "username", "", "only users whose username starts with this")
	fs.Var(&optionalBool{&f.Active}, "active", "only active users; --active=false: only deactivated ones (default: both)")
	fs.Lookup("active").NoOptDefVal = "true"
	registerLimit(cmd, &limit)
	return cmd
}

func newUsersGetCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "get USER",
		Short: "Show a user (with its ETag, for --if-match)",
		Args:  args("USER"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			u, err := c.GetUser(cmd.Context(), argv[0])
			if err != nil {
				return c.fail(cmd, err)
			}
			return g.out(cmd).one(u, u.ETag)
		},
	}
}

func newUsersCreateCommand(g *globals) *cobra.Command {
	var in client.UserCreate
	var inactive, withPassword bool
	cmd := &cobra.Command{
		Use:   "create EMAIL [--username NAME] [--given-name NAME] [--family-name NAME] [--password-stdin]",
		Short: "Create a user (instance administrators)",
		Long: "Create a user. Without --password-stdin it has no password: send it a reset link\n" +
			"(roster users reset-password) or set one later (roster users set-password).",
		Args: args("EMAIL"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			in.Email = argv[0]
			if inactive {
				in.Active = new(false)
			}
			if withPassword {
				pw, err := newSecrets(cmd).newPassword("Password for " + in.Email + ": ")
				if err != nil {
					return err
				}
				in.Password = pw
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			u, err := c.CreateUser(cmd.Context(), in)
			if err != nil {
				return c.fail(cmd, err)
			}
			return g.out(cmd).one(u, u.ETag)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&in.Username, "username", "", "username (default: the email's local part)")
	fs.StringVar(&in.GivenName, "given-name", "", "given name")
	fs.StringVar(&in.FamilyName, "family-name", "", "family name")
	fs.StringVar(&in.Locale, "locale", "", "locale, such as en or de-CH")
	fs.BoolVar(&withPassword, "password-stdin", false, "read the user's password from standard input (asked for without echo at a terminal)")
	fs.BoolVar(&inactive, "inactive", false, "create the user deactivated")
	fs.BoolVar(&in.EmailVerified, "email-verified", false, "mark the email as verified (no verification mail)")
	fs.BoolVar(&in.InstanceAdmin, "instance-admin", false, "make the user an instance administrator")
	fs.StringVar(&in.ManagedBy, "managed-by", "", "the tenant (id or slug) that manages the account; default: the instance")
	return cmd
}

func newUsersUpdateCommand(g *globals) *cobra.Command {
	var (
		username, email, given, family, locale, managedBy string
		verified, admin                                   bool
		m                                                 ifMatch
	)
	fields := []string{"username", "email", "given-name", "family-name", "locale", "email-verified", "instance-admin", "managed-by"}
	cmd := &cobra.Command{
		Use:   "update USER [--given-name NAME] [--family-name NAME] [--email EMAIL] [...] [--if-match ETAG]",
		Short: "Change a user's profile; only the flags given are changed",
		Args:  args("USER"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if !changed(cmd, fields...) {
				return usagef(cmd, "nothing to change: give at least one of --%s", strings.Join(fields, ", --"))
			}
			in := client.UserUpdate{
				Username: ptr(cmd, "username", username), Email: ptr(cmd, "email", email),
				GivenName: ptr(cmd, "given-name", given), FamilyName: ptr(cmd, "family-name", family),
				Locale: ptr(cmd, "locale", locale), EmailVerified: ptr(cmd, "email-verified", verified),
				InstanceAdmin: ptr(cmd, "instance-admin", admin), ManagedBy: ptr(cmd, "managed-by", managedBy),
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			u, err := c.UpdateUser(cmd.Context(), argv[0], in, m.opts()...)
			if err != nil {
				return c.fail(cmd, err)
			}
			return g.out(cmd).one(u, u.ETag)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&username, "username", "", "new username (instance administrators)")
	fs.StringVar(&email, "email", "", "new email (instance administrators; users change their own by a mailed link)")
	fs.StringVar(&given, "given-name", "", "new given name")
	fs.StringVar(&family, "family-name", "", "new family name")
	fs.StringVar(&locale, "locale", "", "new locale")
	fs.BoolVar(&verified, "email-verified", false, "whether the email is verified (instance administrators)")
	fs.BoolVar(&admin, "instance-admin", false, "whether the user is an instance administrator (instance administrators)")
	fs.StringVar(&managedBy, "managed-by", "", `the tenant that manages the account; "" hands it to the instance (instance administrators)`)
	m.register(cmd)
	return cmd
}

func newUsersDeleteCommand(g *globals) *cobra.Command {
	var m ifMatch
	cmd := &cobra.Command{
		Use:   "delete USER [--if-match ETAG]",
		Short: "Delete a user with its memberships and credentials (instance administrators)",
		Args:  args("USER"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			if err := c.DeleteUser(cmd.Context(), argv[0], m.opts()...); err != nil {
				return c.fail(cmd, err)
			}
			g.out(cmd).note("Deleted user %s.", argv[0])
			return nil
		},
	}
	m.register(cmd)
	return cmd
}

// newUsersActiveCommand is users activate (active) or users deactivate.
func newUsersActiveCommand(g *globals, active bool) *cobra.Command {
	var m ifMatch
	cmd := &cobra.Command{
		Use:   "deactivate USER [--if-match ETAG]",
		Short: "Deactivate a user: its logins, sessions and tokens stop working at once",
		Args:  args("USER"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			u, err := c.UpdateUser(cmd.Context(), argv[0], client.UserUpdate{Active: &active}, m.opts()...)
			if err != nil {
				return c.fail(cmd, err)
			}
			return g.out(cmd).one(u, u.ETag)
		},
	}
	if active {
		cmd.Use = "activate USER [--if-match ETAG]"
		cmd.Short = "Activate a deactivated user again"
	}
	m.register(cmd)
	return cmd
}

func newUsersResetPasswordCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "reset-password USER",
		Short: "Mail a user a link to choose a new password",
		Args:  args("USER"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			a, err := c.SendPasswordReset(cmd.Context(), argv[0])
			if err != nil {
				return c.fail(cmd, err)
			}
			o := g.out(cmd)
			if o.format == "json" {
				return o.one(a, "")
			}
			o.note("%s", a.Detail)
			return nil
		},
	}
}

func newUsersSetPasswordCommand(g *globals) *cobra.Command {
	var current bool
	var m ifMatch
	cmd := &cobra.Command{
		Use:   "set-password USER [--current] < password",
		Short: "Set a user's password, read without echo at a terminal or from standard input",
		Long: "Set a user's password and end its other sessions. The new password is asked for twice\n" +
			"without echo at a terminal, or read as a line from standard input. Setting your own needs\n" +
			"--current: your current password is read first (the first line of input).",
		Args: args("USER"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			in := newSecrets(cmd)
			var body client.PasswordSet
			var err error
			if current {
				if body.CurrentPassword, err = in.read("Current password: "); err != nil {
					return err
				}
			}
			if body.Password, err = in.newPassword("New password: "); err != nil {
				return err
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			if err := c.SetUserPassword(cmd.Context(), argv[0], body, m.opts()...); err != nil {
				return c.fail(cmd, err)
			}
			g.out(cmd).note("Set the password of %s; its other sessions have ended.", argv[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&current, "current", false, "read the current password first (to set your own)")
	m.register(cmd)
	return cmd
}

// registerLimit adds --limit to a list command.
func registerLimit(cmd *cobra.Command, limit *int) {
	cmd.Flags().Var((*limitValue)(limit), "limit", "list at most this many (default: all, fetched page by page)")
}

// limitValue is a count of at least 1.
type limitValue int

func (l *limitValue) String() string {
	if *l == 0 {
		return ""
	}
	return strconv.Itoa(int(*l))
}

func (l *limitValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return fmt.Errorf("want a whole number of at least 1")
	}
	*l = limitValue(n)
	return nil
}

func (l *limitValue) Type() string { return "int" }

// pageSize is the page a list with at most limit items asks for.
func (g *globals) pageSize(limit int) int {
	if limit > 0 && limit < g.opts.PageSize {
		return limit
	}
	return g.opts.PageSize
}

// optionalBool is a flag that is true, false or not given (nil).
type optionalBool struct{ v **bool }

func (b *optionalBool) String() string {
	if b.v == nil || *b.v == nil {
		return ""
	}
	return strconv.FormatBool(**b.v)
}

func (b *optionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false")
	}
	*b.v = &v
	return nil
}

func (b *optionalBool) Type() string { return "bool" }
