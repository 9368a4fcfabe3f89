package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/client"
)

var serviceAccountColumns = []column[*client.ServiceAccount]{
	{"ID", func(sa *client.ServiceAccount) string { return sa.ID }},
	{"NAME", func(sa *client.ServiceAccount) string { return sa.Name }},
	{"ROLES", func(sa *client.ServiceAccount) string { return strings.Join(sa.Roles, ",") }},
	{"CREATED", func(sa *client.ServiceAccount) string { return when(sa.CreatedAt) }},
}

func newServiceAccountsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "service-accounts",
		Aliases: []string{"sa"},
		Short:   "List, create, change and delete a tenant's service accounts",
		Long: "A service account is a tenant's machine identity (--tenant) with roles there; it\n" +
			"authenticates with keys (roster keys). It is named by its id, or by its name when no\n" +
			"other service account of the tenant has it.",
	}
	cmd.AddCommand(newServiceAccountsListCommand(g), newServiceAccountsGetCommand(g), newServiceAccountsCreateCommand(g),
		newServiceAccountsUpdateCommand(g), newServiceAccountsDeleteCommand(g))
	return cmd
}

// serviceAccountID resolves a service account named by id or by name to its id.
func (c *conn) serviceAccountID(cmd *cobra.Command, tenant, ref string) (string, error) {
	if strings.HasPrefix(ref, "sva_") {
		return ref, nil
	}
	var found []string
	for sa, err := range c.AllServiceAccounts(cmd.Context(), tenant, client.ListOptions{Limit: client.MaxLimit}) {
		if err != nil {
			return "", c.fail(cmd, err)
		}
		if sa.Name == ref {
			found = append(found, sa.ID)
		}
	}
	switch len(found) {
	case 0:
		return "", notFoundError{what: "service account", name: ref, tenant: tenant}
	case 1:
		return found[0], nil
	}
	return "", usagef(cmd, "%d service accounts of %s are named %q; name one by its id: %s", len(found), tenant, ref, strings.Join(found, ", "))
}

func newServiceAccountsListCommand(g *globals) *cobra.Command {
	var t tenantFlag
	var limit int
	cmd := &cobra.Command{
		Use:   "list --tenant TENANT",
		Short: "List a tenant's service accounts",
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
			items := c.AllServiceAccounts(cmd.Context(), tenant, client.ListOptions{Limit: g.pageSize(limit)})
			return c.fail(cmd, list(g.out(cmd), items, limit, serviceAccountColumns))
		},
	}
	t.register(cmd, true)
	registerLimit(cmd, &limit)
	return cmd
}

func newServiceAccountsGetCommand(g *globals) *cobra.Command {
	var t tenantFlag
	cmd := &cobra.Command{
		Use:   "get SERVICE-ACCOUNT --tenant TENANT",
		Short: "Show a service account (with its ETag, for --if-match)",
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
			sa, err := c.GetServiceAccount(cmd.Context(), tenant, id)
			if err != nil {
				return c.fail(cmd, err)
			}
			return g.out(cmd).one(sa, sa.ETag)
		},
	}
	t.register(cmd, true)
	return cmd
}

func newServiceAccountsCreateCommand(g *globals) *cobra.Command {
	var t tenantFlag
	var in client.ServiceAccountCreate
	cmd := &cobra.Command{
		Use:   "create NAME --tenant TENANT --role ROLE [--role ROLE...]",
		Short: "Create a service account with roles (then a key: roster keys create)",
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
			sa, err := c.CreateServiceAccount(cmd.Context(), tenant, in)
			if err != nil {
				return c.fail(cmd, err)
			}
			return g.out(cmd).one(sa, sa.ETag)
		},
	}
	t.register(cmd, true)
	cmd.Flags().StringSliceVarP(&in.Roles, "role", "r", nil, "a role to grant (id or name); repeat it or separate by commas")
	return cmd
}

func newServiceAccountsUpdateCommand(g *globals) *cobra.Command {
	var t tenantFlag
	var name string
	var roles []string
	var m ifMatch
	cmd := &cobra.Command{
		Use:   "update SERVICE-ACCOUNT --tenant TENANT [--name NAME] [--role ROLE...] [--if-match ETAG]",
		Short: "Rename a service account, or replace its roles (--role)",
		Args:  args("SERVICE-ACCOUNT"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			tenant, err := t.need(cmd)
			if err != nil {
				return err
			}
			if !changed(cmd, "name", "role") {
				return usagef(cmd, "nothing to change: give --name or --role")
			}
			if roles == nil {
				roles = []string{}
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			id, err := c.serviceAccountID(cmd, tenant, argv[0])
			if err != nil {
				return err
			}
			in := client.ServiceAccountUpdate{Name: ptr(cmd, "name", name), Roles: ptr(cmd, "role", roles)}
			sa, err := c.UpdateServiceAccount(cmd.Context(), tenant, id, in, m.opts()...)
			if err != nil {
				return c.fail(cmd, err)
			}
			return g.out(cmd).one(sa, sa.ETag)
		},
	}
	t.register(cmd, true)
	cmd.Flags().StringVar(&name, "name", "", "new name")
	cmd.Flags().StringSliceVarP(&roles, "role", "r", nil, "the service account's roles from now on; repeat it or separate by commas")
	m.register(cmd)
	return cmd
}

func newServiceAccountsDeleteCommand(g *globals) *cobra.Command {
	var t tenantFlag
	var m ifMatch
	cmd := &cobra.Command{
		Use:   "delete SERVICE-ACCOUNT --tenant TENANT [--if-match ETAG]",
		Short: "Delete a service account and its keys",
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
			if err := c.DeleteServiceAccount(cmd.Context(), tenant, id, m.opts()...); err != nil {
				return c.fail(cmd, err)
			}
			g.out(cmd).note("Deleted service account %s of %s.", argv[0], tenant)
			return nil
		},
	}
	t.register(cmd, true)
	m.register(cmd)
	return cmd
}
