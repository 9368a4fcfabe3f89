package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/client"
)

var roleColumns = []column[*client.Role]{
	{"ID", func(r *client.Role) string { return r.ID }},
	{"NAME", func(r *client.Role) string { return r.Name }},
	{"BUILTIN", func(r *client.Role) string { return yes(r.Builtin) }},
	{"PERMISSIONS", func(r *client.Role) string { return strings.Join(r.Permissions, ",") }},
	{"DESCRIPTION", func(r *client.Role) string { return r.Description }},
}

func newRolesCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "roles",
		Short: "List a tenant's roles, define custom ones, change and delete them",
		Long: "A role is a named set of permissions in one tenant (--tenant), named by its id or name:\n" +
			"the built-in admin, user and viewer, and custom roles. Nobody defines or grants a role\n" +
			"holding a permission they do not hold themselves.",
	}
	cmd.AddCommand(newRolesListCommand(g), newRolesGetCommand(g), newRolesCreateCommand(g),
		newRolesUpdateCommand(g), newRolesDeleteCommand(g))
	return cmd
}

func newRolesListCommand(g *globals) *cobra.Command {
	var t tenantFlag
	var limit int
	cmd := &cobra.Command{
		Use:   "list --tenant TENANT",
		Short: "List a tenant's roles",
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
			items := c.AllRoles(cmd.Context(), tenant, client.ListOptions{Limit: g.pageSize(limit)})
			return c.fail(cmd, list(g.out(cmd), items, limit, roleColumns))
		},
	}
	t.register(cmd, true)
	registerLimit(cmd, &limit)
	return cmd
}

func newRolesGetCommand(g *globals) *cobra.Command {
	var t tenantFlag
	cmd := &cobra.Command{
		Use:   "get ROLE --tenant TENANT",
		Short: "Show a role (with its ETag, for --if-match)",
		Args:  args("ROLE"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			tenant, err := t.need(cmd)
			if err != nil {
				return err
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			r, err := c.GetRole(cmd.Context(), tenant, argv[0])
			if err != nil {
				return c.fail(cmd, err)
			}
			return g.out(cmd).one(r, r.ETag)
		},
	}
	t.register(cmd, true)
	return cmd
}

func newRolesCreateCommand(g *globals) *cobra.Command {
	var t tenantFlag
	var in client.RoleCreate
	cmd := &cobra.Command{
		Use:   "create NAME --tenant TENANT --permission PERM [--permission PERM...] [--description TEXT]",
		Short: "Define a custom role",
		Args:  args("NAME"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			tenant, err := t.need(cmd)
			if err != nil {
				return err
			}
			in.Name = argv[0]
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			r, err := c.CreateRole(cmd.Context(), tenant, in)
			if err != nil {
				return c.fail(cmd, err)
			}
			return g.out(cmd).one(r, r.ETag)
		},
	}
	t.register(cmd, true)
	cmd.Flags().StringSliceVarP(&in.Permissions, "permission", "p", nil, `a permission, such as members:read or "invoices:*"; repeat it or separate by commas`)
	cmd.Flags().StringVar(&in.Description, "description", "", "what the role is for")
	return cmd
}

func newRolesUpdateCommand(g *globals) *cobra.Command {
	var t tenantFlag
	var name, description string
	var permissions []string
	var m ifMatch
	cmd := &cobra.Command{
		Use:   "update ROLE --tenant TENANT [--name NAME] [--description TEXT] [--permission PERM...] [--if-match ETAG]",
		Short: "Change a custom role; --permission replaces the whole set",
		Args:  args("ROLE"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			tenant, err := t.need(cmd)
			if err != nil {
				return err
			}
			if !changed(cmd, "name", "description", "permission") {
				return usagef(cmd, "nothing to change: give --name, --description or --permission")
			}
			if permissions == nil {
				permissions = []string{}
			}
			in := client.RoleUpdate{Name: ptr(cmd, "name", name), Description: ptr(cmd, "description", description),
				Permissions: ptr(cmd, "permission", permissions)}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			r, err := c.UpdateRole(cmd.Context(), tenant, argv[0], in, m.opts()...)
			if err != nil {
				return c.fail(cmd, err)
			}
			return g.out(cmd).one(r, r.ETag)
		},
	}
	t.register(cmd, true)
	cmd.Flags().StringVar(&name, "name", "", "new name")
	cmd.Flags().StringVar(&description, "description", "", "new description")
	cmd.Flags().StringSliceVarP(&permissions, "permission", "p", nil, "the role's permissions from now on; repeat it or separate by commas")
	m.register(cmd)
	return cmd
}

func newRolesDeleteCommand(g *globals) *cobra.Command {
	var t tenantFlag
	var m ifMatch
	cmd := &cobra.Command{
		Use:   "delete ROLE --tenant TENANT [--if-match ETAG]",
		Short: "Delete a custom role that nobody holds",
		Args:  args("ROLE"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			tenant, err := t.need(cmd)
			if err != nil {
				return err
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			if err := c.DeleteRole(cmd.Context(), tenant, argv[0], m.opts()...); err != nil {
				return c.fail(cmd, err)
			}
			g.out(cmd).note("Deleted role %s of %s.", argv[0], tenant)
			return nil
		},
	}
	t.register(cmd, true)
	m.register(cmd)
	return cmd
}
