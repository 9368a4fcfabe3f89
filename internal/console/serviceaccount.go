package console

import (
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/web"
)

type serviceAccountsData struct {
	inTenant
	Accounts []*roster.ServiceAccount
	Roles    []*roster.Role // the roles the caller may give
	Name     string
	Picked   []string
	Next     string
}

// grantable returns the tenant's roles the caller may give; a caller who may not read roles
// gets none.
func (c *Console) grantable(k *call, it inTenant) ([]*roster.Role, error) {
	roles, _, err := c.svc.ListRoles(k.ctx, it.T.ID, service.ListOptions{Limit: service.MaxLimit})
	if roster.ErrorCodeOf(err) == roster.EForbidden {
		return nil, nil
	}
	var out []*roster.Role
	for _, r := range roles {
		if it.Can.MayGrant(r) {
			out = append(out, r)
		}
	}
	return out, err
}

func (c *Console) serviceAccounts(k *call) error {
	return c.renderServiceAccounts(k, nil, serviceAccountsData{})
}

func (c *Console) renderServiceAccounts(k *call, prob *web.Problem, d serviceAccountsData) error {
	p, it, err := k.tenantPage("Service accounts", "service-accounts")
	if err != nil {
		return err
	}
	q := k.r.URL.Query()
	accounts, next, err := c.svc.ListServiceAccounts(k.ctx, it.T.ID, service.ListOptions{After: cursor(q, roster.PrefixServiceAccount)})
	if err != nil {
		return err
	}
	if d.Roles, err = c.grantable(k, it); err != nil {
		return err
	}
	d.inTenant, d.Accounts = it, accounts
	if next != "" {
		d.Next = pageURL(it.URL("service-accounts"), q, next)
	}
	p.Data, p.Prob = d, prob
	return k.render("service-accounts", p)
}

func (c *Console) createServiceAccount(k *call) error {
	d := serviceAccountsData{Name: k.form.String("name"), Picked: k.form.Strings("roles")}
	roles := append([]string{}, d.Picked...)
	sa, err := c.svc.CreateServiceAccount(k.ctx, k.r.PathValue("tenant"), service.ServiceAccountInput{Name: &d.Name, Roles: &roles})
	if err != nil {
		prob, err := refused(err, nil)
		if err != nil {
			return err
		}
		return c.renderServiceAccounts(k, prob, d)
	}
	return k.done(Base+"/tenants/"+k.r.PathValue("tenant")+"/service-accounts/"+sa.ID, "Service account "+sa.Name+" created.")
}

type serviceAccountData struct {
	inTenant
	Account *roster.ServiceAccount
	Keys    []*roster.ServiceAccountKey
	Roles   []*roster.Role
	Name    string
	Picked  []string
	Version int64
	NewKey  *service.NewKey // the key just created, shown this once
	MayAct  bool            // the caller holds every permission of the account (keys, deletion)
}

func (c *Console) serviceAccount(k *call) error { return c.renderServiceAccount(k, nil, nil, nil) }

// renderServiceAccount renders an account's page; form, when set, is the edit form as sent.
func (c *Console) renderServiceAccount(k *call, prob *web.Problem, form *serviceAccountData, key *service.NewKey) error {
	p, it, err := k.tenantPage("Service accounts", "service-accounts")
	if err != nil {
		return err
	}
	sa, err := c.svc.GetServiceAccount(k.ctx, it.T.ID, k.r.PathValue("sa"))
	if err != nil {
		return err
	}
	keys, err := c.svc.ListKeys(k.ctx, it.T.ID, sa.ID)
	if err != nil {
		return err
	}
	d := serviceAccountData{inTenant: it, Account: sa, Keys: keys, Name: sa.Name, Version: sa.Version, NewKey: key,
		MayAct: it.Can.Can(service.PermSAsWrite)}
	for _, r := range sa.Roles {
		d.Picked = append(d.Picked, r.Name)
		d.MayAct = d.MayAct && it.Can.MayGrant(r)
	}
	if d.Roles, err = c.grantable(k, it); err != nil {
		return err
	}
	if form != nil && (prob == nil || prob.Code != roster.EPreconditionFailed) {
		d.Name, d.Picked, d.Version = form.Name, form.Picked, form.Version
	}
	p.Crumbs = append(p.Crumbs[:len(p.Crumbs)-1], web.NavLink{Label: "Service accounts", URL: it.URL("service-accounts")},
		web.NavLink{Label: sa.Name, Current: true})
	p.Data, p.Prob = d, prob
	if key != nil {
		k.w.Header().Set("Cache-Control", "no-store")
	}
	return k.render("service-account", p)
}

func (c *Console) updateServiceAccount(k *call) error {
	f := serviceAccountData{Name: k.form.String("name"), Picked: k.form.Strings("roles"), Version: versionOr(k.form.Version("version"), 0)}
	roles := append([]string{}, f.Picked...)
	_, err := c.svc.UpdateServiceAccount(k.ctx, k.r.PathValue("tenant"), k.r.PathValue("sa"),
		service.ServiceAccountInput{Name: &f.Name, Roles: &roles, IfMatch: k.form.Version("version")})
	if err != nil {
		prob, err := refused(err, nil)
		if err != nil {
			return err
		}
		return c.renderServiceAccount(k, prob, &f, nil)
	}
	return k.done(k.saURL(), "Service account saved.")
}

func (k *call) saURL() string {
	return Base + "/tenants/" + k.r.PathValue("tenant") + "/service-accounts/" + k.r.PathValue("sa")
}

func (c *Console) deleteServiceAccount(k *call) error {
	if err := c.svc.DeleteServiceAccount(k.ctx, k.r.PathValue("tenant"), k.r.PathValue("sa"), k.form.Version("version")); err != nil {
		prob, err := refused(err, nil)
		if err != nil {
			return err
		}
		return c.renderServiceAccount(k, prob, nil, nil)
	}
	return k.done(Base+"/tenants/"+k.r.PathValue("tenant")+"/service-accounts", "Service account deleted.")
}

// createKey issues a key and shows its secret on the answer itself, this once: it never goes
// into a cookie, a URL or a redirect.
func (c *Console) createKey(k *call) error {
	var expires *time.Time
	var v roster.Validator
	if s := k.form.String("expires"); s != "" {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			v.Field("/expires_at", "must be a date such as 2027-12-31")
		} else {
			expires = &t
		}
	}
	err := v.Err()
	var key *service.NewKey
	if err == nil {
		key, err = c.svc.CreateKey(k.ctx, k.r.PathValue("tenant"), k.r.PathValue("sa"), expires)
	}
	if err != nil {
		prob, err := refused(err, fields{"/expires_at": "expires"}.name)
		if err != nil {
			return err
		}
		return c.renderServiceAccount(k, prob, nil, nil)
	}
	return c.renderServiceAccount(k, nil, nil, key)
}

func (c *Console) revokeKey(k *call) error {
	if err := c.svc.RevokeKey(k.ctx, k.r.PathValue("tenant"), k.r.PathValue("sa"), k.r.PathValue("key")); err != nil {
		prob, err := refused(err, nil)
		if err != nil {
			return err
		}
		return c.renderServiceAccount(k, prob, nil, nil)
	}
	return k.done(k.saURL(), "Key revoked.")
}
