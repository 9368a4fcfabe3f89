package console

import (
	"slices"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/web"
)

type rolesData struct {
	inTenant
	Roles []*roster.Role
	Form  roleForm
}

// roleForm is the create or edit form of a role, with its permission picker.
type roleForm struct {
	Name, Description string
	Permissions       []string // ticked or typed
	Version           int64
}

// Known are the permissions the picker offers as checkboxes.
func (roleForm) Known() []service.Permission { return service.RosterPermissions }

// Other is the text of the "other permissions" box: those not among the checkboxes.
func (f roleForm) Other() string {
	var out []string
	for _, p := range f.Permissions {
		if !slices.ContainsFunc(service.RosterPermissions, func(k service.Permission) bool { return k.Name == p }) {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n")
}

// readRoleForm reads the picker: ticked permissions plus one per line of the other box.
func readRoleForm(f web.Form) roleForm {
	perms := f.Strings("permissions")
	for _, line := range strings.FieldsFunc(f.Raw("other"), func(r rune) bool { return r == '\n' || r == ',' || r == '\r' }) {
		if line = strings.TrimSpace(line); line != "" {
			perms = append(perms, line)
		}
	}
	return roleForm{Name: f.String("name"), Description: f.String("description"), Permissions: perms}
}

// permissionField maps "/permissions/3" to the picker.
var permissionField = fields{}.name

func (c *Console) roles(k *call) error { return c.renderRoles(k, nil, roleForm{}) }

func (c *Console) renderRoles(k *call, prob *web.Problem, f roleForm) error {
	p, it, err := k.tenantPage("Roles", "roles")
	if err != nil {
		return err
	}
	roles, _, err := c.svc.ListRoles(k.ctx, it.T.ID, service.ListOptions{Limit: service.MaxLimit})
	if err != nil {
		return err
	}
	p.Data, p.Prob = rolesData{inTenant: it, Roles: roles, Form: f}, prob
	return k.render("roles", p)
}

func (c *Console) createRole(k *call) error {
	f := readRoleForm(k.form)
	r, err := c.svc.CreateRole(k.ctx, k.r.PathValue("tenant"), service.RoleInput{Name: &f.Name, Description: &f.Description, Permissions: &f.Permissions})
	if err != nil {
		prob, err := refused(err, permissionField)
		if err != nil {
			return err
		}
		return c.renderRoles(k, prob, f)
	}
	return k.done(Base+"/tenants/"+k.r.PathValue("tenant")+"/roles", "Role "+r.Name+" created.")
}

type roleData struct {
	inTenant
	Role *roster.Role
	Form roleForm
}

func (c *Console) role(k *call) error { return c.renderRole(k, nil, nil) }

// renderRole renders a role's page; f, when set, is the form as submitted.
func (c *Console) renderRole(k *call, prob *web.Problem, f *roleForm) error {
	p, it, err := k.tenantPage("Roles", "roles")
	if err != nil {
		return err
	}
	r, err := c.svc.GetRole(k.ctx, it.T.ID, k.r.PathValue("role"))
	if err != nil {
		return err
	}
	d := roleData{inTenant: it, Role: r, Form: roleForm{Name: r.Name, Description: r.Description, Permissions: r.Permissions, Version: r.Version}}
	if f != nil && (prob == nil || prob.Code != roster.EPreconditionFailed) {
		d.Form = *f
	}
	p.Crumbs = append(p.Crumbs[:len(p.Crumbs)-1], web.NavLink{Label: "Roles", URL: it.URL("roles")}, web.NavLink{Label: r.Name, Current: true})
	p.Data, p.Prob = d, prob
	return k.render("role", p)
}

func (c *Console) updateRole(k *call) error {
	f := readRoleForm(k.form)
	f.Version = versionOr(k.form.Version("version"), 0)
	in := service.RoleInput{Name: &f.Name, Description: &f.Description, Permissions: &f.Permissions, IfMatch: k.form.Version("version")}
	r, err := c.svc.UpdateRole(k.ctx, k.r.PathValue("tenant"), k.r.PathValue("role"), in)
	if err != nil {
		prob, err := refused(err, permissionField)
		if err != nil {
			return err
		}
		return c.renderRole(k, prob, &f)
	}
	return k.done(Base+"/tenants/"+k.r.PathValue("tenant")+"/roles/"+r.ID, "Role "+r.Name+" saved.")
}

func (c *Console) deleteRole(k *call) error {
	tenant := k.r.PathValue("tenant")
	if err := c.svc.DeleteRole(k.ctx, tenant, k.r.PathValue("role"), k.form.Version("version")); err != nil {
		prob, err := refused(err, nil)
		if err != nil {
			return err
		}
		return c.renderRole(k, prob, nil)
	}
	return k.done(Base+"/tenants/"+tenant+"/roles", "Role deleted.")
}
