package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/client"
)

var memberColumns = []column[*client.Member]{
	{"USER ID", func(m *client.Member) string { return m.UserID }},
	{"EMAIL", func(m *client.Member) string { return m.User.Email }},
	{"NAME", func(m *client.Member) string { return strings.TrimSpace(m.User.GivenName + " " + m.User.FamilyName) }},
	{"STATUS", func(m *client.Member) string { return m.Status }},
	{"ROLES", func(m *client.Member) string { return strings.Join(m.Roles, ",") }},
}

func newMembersCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "members",
		Aliases: []string{"m"},
		Short:   "List a tenant's members, add users to it, set their roles, remove them",
		Long: "Members are users in a tenant (--tenant), with roles there. A member is named by its user's\n" +
			"id, email or username. Adding an account the tenant does not manage invites it: the\n" +
			"membership grants nothing until the person accepts it.",
	}
	cmd.AddCommand(newMembersListCommand(g), newMembersGetCommand(g), newMembersAddCommand(g),
		newMembersSetRolesCommand(g), newMembersRemoveCommand(g))
	return cmd
}

func newMembersListCommand(g *globals) *cobra.Command {
	var t tenantFlag
	var f client.MemberFilter
	var limit int
	cmd := &cobra.Command{
		Use:   "list --tenant TENANT [--role ROLE] [--q TEXT] [--email PREFIX]",
		Short: "List a tenant's members, by user id",
		Args:  args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			tenant, err := t.need(cmd)
			if err != nil {
				return err
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			items := c.AllMembers(cmd.Context(), tenant, f, client.ListOptions{Limit: g.pageSize(limit)})
			return c.fail(cmd, list(g.out(cmd), items, limit, memberColumns))
		},
	}
	t.register(cmd, true)
	fs := cmd.Flags()
	fs.StringVar(&f.Role, "role", "", "only members holding this role (id or name)")
	fs.StringVar(&f.Search, "q", "", "only members whose email, username, given or family name contains this")
	fs.StringVar(&f.Email, "email", "", "only members whose email starts with this")
	registerLimit(cmd, &limit)
	return cmd
}

func newMembersGetCommand(g *globals) *cobra.Command {
	var t tenantFlag
	cmd := &cobra.Command{
		Use:   "get USER --tenant TENANT",
		Short: "Show one membership (with its ETag, for --if-match)",
		Args:  args("USER"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			tenant, err := t.need(cmd)
			if err != nil {
				return err
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			m, err := c.GetMember(cmd.Context(), tenant, argv[0])
			if err != nil {
				return c.fail(cmd, err)
			}
			return g.out(cmd).one(m, m.ETag)
		},
	}
	t.register(cmd, true)
	return cmd
}

func newMembersAddCommand(g *globals) *cobra.Command {
	var t tenantFlag
	var roles []string
	cmd := &cobra.Command{
		Use:   "add USER --tenant TENANT --role ROLE [--role ROLE...]",
		Short: "Add a user to a tenant with roles (or invite it, when the tenant does not manage it)",
		Args:  args("USER"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			tenant, err := t.need(cmd)
			if err != nil {
				return err
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			userID, err := c.userID(cmd, argv[0])
			if err != nil {
				return err
			}
			m, err := c.AddMember(cmd.Context(), tenant, client.MemberCreate{UserID: userID, Roles: roles})
			if err != nil {
				return c.fail(cmd, err)
			}
			if m.Status == client.MemberInvited {
				g.out(cmd).note("Invited %s: the membership grants nothing until the user accepts it.", argv[0])
			}
			return g.out(cmd).one(m, m.ETag)
		},
	}
	t.register(cmd, true)
	cmd.Flags().StringSliceVarP(&roles, "role", "r", nil, "a role to grant (id or name); repeat it or separate by commas")
	return cmd
}

// userID resolves a user named by email or username to its id, which adding a member takes.
func (c *conn) userID(cmd *cobra.Command, ref string) (string, error) {
	if strings.HasPrefix(ref, "usr_") {
		return ref, nil
	}
	u, err := c.GetUser(cmd.Context(), ref)
	if err != nil {
		return "", c.fail(cmd, err)
	}
	return u.ID, nil
}

func newMembersSetRolesCommand(g *globals) *cobra.Command {
	var t tenantFlag
	var roles []string
	var m ifMatch
	cmd := &cobra.Command{
		Use:   "set-roles USER --tenant TENANT --role ROLE [--role ROLE...] [--if-match ETAG]",
		Short: "Replace a member's roles",
		Args:  args("USER"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			tenant, err := t.need(cmd)
			if err != nil {
				return err
			}
			if len(roles) == 0 {
				return usagef(cmd, "missing --role: give every role the member is to hold (to take it out of the tenant: roster members remove)")
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			mem, err := c.SetMemberRoles(cmd.Context(), tenant, argv[0], roles, m.opts()...)
			if err != nil {
				return c.fail(cmd, err)
			}
			return g.out(cmd).one(mem, mem.ETag)
		},
	}
	t.register(cmd, true)
	cmd.Flags().StringSliceVarP(&roles, "role", "r", nil, "a role the member is to hold (id or name); repeat it or separate by commas")
	m.register(cmd)
	return cmd
}

func newMembersRemoveCommand(g *globals) *cobra.Command {
	var t tenantFlag
	var m ifMatch
	cmd := &cobra.Command{
		Use:   "remove USER --tenant TENANT [--if-match ETAG]",
		Short: "Take a user out of a tenant (the account stays)",
		Args:  args("USER"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			tenant, err := t.need(cmd)
			if err != nil {
				return err
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			if err := c.RemoveMember(cmd.Context(), tenant, argv[0], m.opts()...); err != nil {
				return c.fail(cmd, err)
			}
			g.out(cmd).note("Removed %s from %s.", argv[0], tenant)
			return nil
		},
	}
	t.register(cmd, true)
	m.register(cmd)
	return cmd
}
