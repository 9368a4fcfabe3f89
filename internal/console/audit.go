package console

import (
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/web"
)

type auditData struct {
	Events                                      []*roster.AuditEvent
	Tenant, Actor, Action, Target, Since, Until string
	TenantName                                  string
	Next, First                                 string
	Choose                                      []*roster.Tenant  // tenants to pick from, for callers who may not read the whole trail
	Chooser                                     bool              // the page offers tenants instead of events
	Names                                       map[string]string // user and tenant ids → email and slug, where the caller may see them
}

// Name returns what to show for an id: the email of a user or the slug of a tenant the caller
// may see, else the id.
func (d auditData) Name(id string) string {
	if n, ok := d.Names[id]; ok {
		return n
	}
	return id
}

// timeInput is how datetime-local inputs send times; the console reads them as UTC.
const timeInput = "2006-01-02T15:04"

func parseTimeParam(v *roster.Validator, name, s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(timeInput, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			v.Param(name, "must be a time such as 2027-01-31T13:45 (UTC)")
			return nil
		}
	}
	return &t
}

// audit lists the trail with the filters of the URL: one tenant's (audit:read there), or the
// whole installation's (instance administrators).
func (c *Console) audit(k *call) error {
	q := k.r.URL.Query()
	d := auditData{Tenant: q.Get("tenant"), Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target"),
		Since: q.Get("since"), Until: q.Get("until")}
	var v roster.Validator
	aq := service.AuditQuery{Actor: d.Actor, Action: d.Action, Target: d.Target,
		Since: parseTimeParam(&v, "since", d.Since), Until: parseTimeParam(&v, "until", d.Until)}
	o := service.ListOptions{After: cursor(q, roster.PrefixAuditEvent)}
	p := k.newPage("Audit trail", nil)
	var events []*roster.AuditEvent
	var next string
	err := v.Err()
	switch {
	case err != nil:
	case d.Tenant != "":
		var can *service.TenantAbilities
		if can, err = c.svc.TenantAbilities(k.ctx, d.Tenant); err != nil {
			return err
		}
		d.TenantName = can.Tenant.Name
		events, next, err = c.svc.ListTenantAuditEvents(k.ctx, can.Tenant.ID, aq, o)
	case k.inst.ReadAuditTrail:
		events, next, err = c.svc.ListAuditEvents(k.ctx, aq, o)
	default: // offer the tenants whose trail the caller may read
		var tenants []*roster.Tenant
		tenants, _, err = c.svc.SearchTenants(k.ctx, "", service.ListOptions{Limit: service.MaxLimit})
		for _, t := range tenants {
			if can, cerr := c.svc.TenantAbilities(k.ctx, t.ID); cerr == nil && can.Can(service.PermAuditRead) {
				d.Choose = append(d.Choose, t)
			}
		}
		d.Chooser = true
	}
	switch roster.ErrorCodeOf(err) {
	case "":
	case roster.EInvalid:
		p.Prob = web.ProblemOf(err, nil)
	default:
		return err
	}
	d.Events = events
	d.Names = c.auditNames(k, events)
	if next != "" {
		d.Next = pageURL(Base+"/audit", q, next)
	}
	if o.After != "" {
		d.First = pageURL(Base+"/audit", q, "")
	}
	p.Data = d
	return k.render("audit", p)
}

// auditNames looks up, through the service and so only where the caller may, the users and
// tenants a page of events names.
func (c *Console) auditNames(k *call, events []*roster.AuditEvent) map[string]string {
	names := map[string]string{}
	tried := map[string]bool{}
	user := func(id string) {
		if id == "" || tried[id] {
			return
		}
		tried[id] = true
		if u, err := c.svc.GetUser(k.ctx, id); err == nil {
			names[id] = u.Email
		}
	}
	for _, e := range events {
		user(e.Actor.UserID)
		if e.TargetKind == "user" || e.TargetKind == "member" {
			user(e.TargetID)
		}
		if id := e.TenantID; id != "" && !tried[id] {
			tried[id] = true
			if t, err := c.svc.GetTenant(k.ctx, id); err == nil {
				names[id] = t.Slug
			}
		}
	}
	return names
}
