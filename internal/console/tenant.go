package console

import (
	"net/url"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/web"
)

// inTenant is what every tenant page knows: the tenant and what the caller may do there.
type inTenant struct {
	T   *roster.Tenant
	Can *service.TenantAbilities
	Tab string // the tenant page shown: overview, members, roles, service-accounts, audit
}

// URL returns the console URL of a page of the tenant ("" for its overview).
func (t inTenant) URL(page string) string {
	u := Base + "/tenants/" + url.PathEscape(t.T.Slug)
	if page != "" {
		u += "/" + page
	}
	return u
}

// tenantPage loads the tenant of the request's path and starts its page.
func (k *call) tenantPage(title, tab string) (*web.Page, inTenant, error) {
	can, err := k.c.svc.TenantAbilities(k.ctx, k.r.PathValue("tenant"))
	if err != nil {
		return nil, inTenant{}, err
	}
	it := inTenant{T: can.Tenant, Can: can, Tab: tab}
	p := k.newPage(title+" · "+can.Tenant.Name, nil)
	p.Crumbs = []web.NavLink{{Label: "Tenants", URL: Base + "/tenants"}, {Label: can.Tenant.Name, URL: it.URL(""), Current: tab == "overview"}}
	if tab != "overview" {
		p.Crumbs = append(p.Crumbs, web.NavLink{Label: title, Current: true})
	}
	return p, it, nil
}

type tenantsData struct {
	Tenants  []*roster.Tenant
	Q        string
	Next     string
	Slug     string // the create form's values
	Name     string
	CanWrite bool
}

func (c *Console) tenants(k *call) error { return c.renderTenants(k, nil, tenantsData{}) }

func (c *Console) renderTenants(k *call, prob *web.Problem, d tenantsData) error {
	q := k.r.URL.Query()
	d.Q = q.Get("q")
	tenants, next, err := c.svc.SearchTenants(k.ctx, d.Q, service.ListOptions{After: cursor(q, roster.PrefixTenant), Limit: 50})
	if err != nil {
		return err
	}
	d.Tenants, d.CanWrite = tenants, k.inst.CreateTenants
	if next != "" {
		d.Next = pageURL(Base+"/tenants", q, next)
	}
	p := k.newPage("Tenants", d)
	p.Prob = prob
	return k.render("tenants", p)
}

func (c *Console) createTenant(k *call) error {
	d := tenantsData{Slug: k.form.String("slug"), Name: k.form.String("name")}
	t, err := c.svc.CreateTenant(k.ctx, service.TenantInput{Slug: &d.Slug, Name: &d.Name})
	if err != nil {
		prob, err := refused(err, nil)
		if err != nil {
			return err
		}
		return c.renderTenants(k, prob, d)
	}
	return k.done(inTenant{T: t}.URL(""), "Tenant "+t.Name+" created.")
}

type tenantData struct {
	inTenant
	Name, Slug string
	Version    int64
}

func (c *Console) tenant(k *call) error {
	p, it, err := k.tenantPage("Overview", "overview")
	if err != nil {
		return err
	}
	p.Data = tenantData{inTenant: it, Name: it.T.Name, Slug: it.T.Slug, Version: it.T.Version}
	return k.render("tenant", p)
}

// updateTenant renames the tenant, and changes its slug when the form holds one (the form
// offers it to instance administrators only; the service decides).
func (c *Console) updateTenant(k *call) error {
	in := service.TenantInput{Name: k.form.Optional("name"), Slug: k.form.Optional("slug"), IfMatch: k.form.Version("version")}
	t, err := c.svc.UpdateTenant(k.ctx, k.r.PathValue("tenant"), in)
	if err != nil {
		prob, err := refused(err, nil)
		if err != nil {
			return err
		}
		p, it, err := k.tenantPage("Overview", "overview")
		if err != nil {
			return err
		}
		d := tenantData{inTenant: it, Name: it.T.Name, Slug: it.T.Slug, Version: it.T.Version}
		if prob.Code != roster.EPreconditionFailed { // a stale form shows what is stored now
			d.Name, d.Slug, d.Version = deref(in.Name, d.Name), deref(in.Slug, d.Slug), versionOr(in.IfMatch, d.Version)
		}
		p.Data, p.Prob = d, prob
		return k.render("tenant", p)
	}
	return k.done(inTenant{T: t}.URL(""), "Tenant saved.")
}

// cursor reads the keyset cursor of a list page ("after"): the last id of the page before.
// Anything that is not an id of the list's kind starts from the beginning.
func cursor(q url.Values, prefix string) string {
	if s := q.Get("after"); roster.IsID(prefix, s) {
		return s
	}
	return ""
}

// pageURL is the URL of the next page: the same filters, after the given key.
func pageURL(path string, q url.Values, after string) string {
	next := url.Values{}
	for k, v := range q {
		if k != "after" && len(v) > 0 && v[0] != "" {
			next.Set(k, v[0])
		}
	}
	if after != "" {
		next.Set("after", after)
	}
	return path + "?" + next.Encode()
}

// deref returns *s, or def when s is nil.
func deref(s *string, def string) string {
	if s == nil {
		return def
	}
	return *s
}

func versionOr(v *int64, def int64) int64 {
	if v == nil {
		return def
	}
	return *v
}
