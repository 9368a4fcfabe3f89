package cli

import (
	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/client"
)

var tenantColumns = []column[*client.Tenant]{
	{"ID", func(t *client.Tenant) string { return t.ID }},
	{"SLUG", func(t *client.Tenant) string { return t.Slug }},
	{"NAME", func(t *client.Tenant) string { return t.Name }},
	{"CREATED", func(t *client.Tenant) string { return when(t.CreatedAt) }},
}

func newTenantsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "tenants",
		Aliases: []string{"t"},
		Short:   "List, create, rename and delete tenants",
		Long:    "A tenant is an isolated organisation, named by its id or its slug.",
	}
	cmd.AddCommand(newTenantsListCommand(g), newTenantsGetCommand(g), newTenantsCreateCommand(g),
		newTenantsUpdateCommand(g), newTenantsDeleteCommand(g))
	return cmd
}

func newTenantsListCommand(g *globals) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the tenants the caller may see (all of them for instance administrators)",
		Args:  args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			items := c.AllTenants(cmd.Context(), client.ListOptions{Limit: g.pageSize(limit)})
			return c.fail(cmd, list(g.out(cmd), items, limit, tenantColumns))
		},
	}
	registerLimit(cmd, &limit)
	return cmd
}

func newTenantsGetCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "get TENANT",
		Short: "Show a tenant (with its ETag, for --if-match)",
		Args:  args("TENANT"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			t, err := c.GetTenant(cmd.Context(), argv[0])
			if err != nil {
				return c.fail(cmd, err)
			}
			return g.out(cmd).one(t, t.ETag)
		},
	}
}

func newTenantsCreateCommand(g *globals) *cobra.Command {
	var in client.TenantCreate
	cmd := &cobra.Command{
		Use:   "create SLUG --name NAME",
		Short: "Create a tenant with the built-in roles admin, user and viewer (instance administrators)",
		Args:  args("SLUG"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			in.Slug = argv[0]
			if in.Name == "" {
				in.Name = in.Slug
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			t, err := c.CreateTenant(cmd.Context(), in)
			if err != nil {
				return c.fail(cmd, err)
			}
			return g.out(cmd).one(t, t.ETag)
		},
	}
	cmd.Flags().StringVar(&in.Name, "name", "", "display name (default: the slug)")
	return cmd
}

func newTenantsUpdateCommand(g *globals) *cobra.Command {
	var slug, name string
	var m ifMatch
	cmd := &cobra.Command{
		Use:   "update TENANT [--name NAME] [--slug SLUG] [--if-match ETAG]",
		Short: "Rename a tenant, or change its slug (instance administrators)",
		Args:  args("TENANT"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if !changed(cmd, "name", "slug") {
				return usagef(cmd, "nothing to change: give --name or --slug")
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			in := client.TenantUpdate{Slug: ptr(cmd, "slug", slug), Name: ptr(cmd, "name", name)}
			t, err := c.UpdateTenant(cmd.Context(), argv[0], in, m.opts()...)
			if err != nil {
				return c.fail(cmd, err)
			}
			return g.out(cmd).one(t, t.ETag)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "new display name")
	cmd.Flags().StringVar(&slug, "slug", "", "new slug (instance administrators)")
	m.register(cmd)
	return cmd
}

func newTenantsDeleteCommand(g *globals) *cobra.Command {
	var m ifMatch
	cmd := &cobra.Command{
		Use:   "delete TENANT [--if-match ETAG]",
		Short: "Delete a tenant with its roles, memberships and service accounts (instance administrators)",
		Args:  args("TENANT"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			if err := c.DeleteTenant(cmd.Context(), argv[0], m.opts()...); err != nil {
				return c.fail(cmd, err)
			}
			g.out(cmd).note("Deleted tenant %s.", argv[0])
			return nil
		},
	}
	m.register(cmd)
	return cmd
}
