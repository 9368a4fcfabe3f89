package console

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/web"
)

// memberPageSize is the members page's length: small enough to render fast at a million
// members, large enough to scan.
const memberPageSize = 50

type membersData struct {
	inTenant
	Members []*roster.Membership
	Rows    []memberRow    // the members as the table shows them
	Roles   []*roster.Role // every role of the tenant, for the filter, the pickers and the editors
	Email   string         // filters
	Q       string
	Role    string
	After   string
	View    string // the filters and cursor as a query string, to come back to after an action
	Next    string
	First   string
	Which   string // the form a problem is about: add, create, bulk, or a user id (its row)
	Add     addForm
	Create  createForm
	Bulk    []string            // selected user ids and roles of a refused bulk change
	BulkSet []string            // the roles it asked for
	RowErrs map[string]string   // user id → why its part of the bulk change was refused
	Picked  map[string][]string // user id → roles picked in a refused inline edit
}

type addForm struct {
	User  string
	Roles []string
}

type createForm struct {
	Email, Username, GivenName, FamilyName string
	Roles                                  []string
}

// MayRemove reports whether the caller may remove the member: the service's rule is
// members:write and every permission of the member's roles, or leaving oneself.
func (d membersData) MayRemove(m *roster.Membership, me string) bool {
	if m.UserID == me {
		return true
	}
	if !d.Can.Can(service.PermMembersWrite) {
		return false
	}
	for _, r := range m.Roles {
		if !d.Can.MayGrant(r) {
			return false
		}
	}
	return true
}

// Grantable lists the roles the caller may give or take away.
func (d membersData) Grantable() []*roster.Role {
	var out []*roster.Role
	for _, r := range d.Roles {
		if d.Can.MayGrant(r) {
			out = append(out, r)
		}
	}
	return out
}

// Checked reports whether role r is ticked in a member's inline editor: as re-submitted after
// a refusal, else as held.
func (d membersData) Checked(m *roster.Membership, r *roster.Role) bool {
	if picked, ok := d.Picked[m.UserID]; ok {
		for _, name := range picked {
			if name == r.Name || name == r.ID {
				return true
			}
		}
		return false
	}
	for _, h := range m.Roles {
		if h.ID == r.ID {
			return true
		}
	}
	return false
}

// memberRow is one member as the table shows it, worked out before rendering: a template's
// method calls cost far more than field reads, and a page has fifty rows.
type memberRow struct {
	ID, Email, Username, Name string
	Version                   int64
	Roles                     []string
	Active                    bool
	Invited                   bool         // an invitation the person has not accepted: it grants nothing yet
	Editor                    []roleChoice // the inline role editor
	Selected, Open, MayRemove bool
	Self                      bool
	Err                       string // why a bulk change refused this member
	EditErr                   string // why its own edit was refused
}

// roleChoice is one role in a member's inline editor: a checkbox, or, for a role held that
// the caller may not take away, a fixed tag that keeps it.
type roleChoice struct {
	Name            string
	Checked, Locked bool
}

func (d *membersData) rows(me string, prob *web.Problem) {
	grantable := make(map[string]bool, len(d.Roles))
	for _, r := range d.Roles {
		grantable[r.ID] = d.Can.MayGrant(r)
	}
	write := d.Can.Can(service.PermMembersWrite)
	d.Rows = make([]memberRow, len(d.Members))
	for i, m := range d.Members {
		u := m.User
		row := memberRow{ID: m.UserID, Email: u.Email, Username: u.Username, Name: strings.TrimSpace(u.GivenName + " " + u.FamilyName),
			Version: m.Version, Active: u.Active, Invited: !m.Active(), Self: m.UserID == me, Open: d.Which == m.UserID, Err: d.RowErrs[m.UserID],
			Selected: slices.Contains(d.Bulk, m.UserID), MayRemove: d.MayRemove(m, me)}
		for _, r := range m.Roles {
			row.Roles = append(row.Roles, r.Name)
		}
		if row.Open && prob != nil {
			row.EditErr = prob.Fields[m.UserID]
		}
		if write {
			for _, r := range d.Roles {
				held := slices.ContainsFunc(m.Roles, func(h *roster.Role) bool { return h.ID == r.ID })
				switch {
				case grantable[r.ID]:
					row.Editor = append(row.Editor, roleChoice{Name: r.Name, Checked: d.Checked(m, r)})
				case held:
					row.Editor = append(row.Editor, roleChoice{Name: r.Name, Checked: true, Locked: true})
				}
			}
		}
		d.Rows[i] = row
	}
}

func (c *Console) members(k *call) error {
	return c.renderMembers(k, nil, k.r.URL.Query(), membersData{})
}

// renderMembers renders the members page for the filters q, after an action's problem if any.
func (c *Console) renderMembers(k *call, prob *web.Problem, q url.Values, d membersData) error {
	p, it, err := k.tenantPage("Members", "members")
	if err != nil {
		return err
	}
	d.inTenant = it
	d.Email, d.Q, d.Role, d.After = q.Get("email"), q.Get("q"), q.Get("role"), cursor(q, roster.PrefixUser)
	view := url.Values{}
	for _, name := range []string{"email", "q", "role", "after"} {
		if v := q.Get(name); v != "" {
			view.Set(name, v)
		}
	}
	d.View = view.Encode()
	roles, _, err := c.svc.ListRoles(k.ctx, it.T.ID, service.ListOptions{Limit: service.MaxLimit})
	if err != nil && roster.ErrorCodeOf(err) != roster.EForbidden {
		return err
	}
	d.Roles = roles
	ms, next, err := c.svc.ListMembers(k.ctx, it.T.ID, service.MemberQuery{Role: d.Role, EmailPrefix: d.Email, Query: d.Q},
		service.ListOptions{After: d.After, Limit: memberPageSize})
	switch {
	case roster.ErrorCodeOf(err) == roster.EInvalid && prob == nil:
		prob = web.ProblemOf(err, nil) // a bad filter is shown beside it
	case err != nil:
		return err
	}
	d.Members = ms
	d.rows(k.p.User.ID, prob)
	path := it.URL("members")
	if next != "" {
		d.Next = pageURL(path, q, next)
	}
	if d.After != "" {
		first := url.Values{}
		for _, name := range []string{"email", "q", "role"} {
			if v := q.Get(name); v != "" {
				first.Set(name, v)
			}
		}
		d.First = path + "?" + first.Encode()
	}
	p.Data, p.Prob = d, prob
	return k.render("members", p)
}

// back returns the members page the form came from, with its filters and cursor.
func (k *call) membersView() url.Values {
	q, _ := url.ParseQuery(k.form.String("view"))
	return q
}

func (k *call) backToMembers(it string, flash string) error {
	u := Base + "/tenants/" + url.PathEscape(it) + "/members"
	if v := k.form.String("view"); v != "" {
		q, _ := url.ParseQuery(v)
		u += "?" + q.Encode()
	}
	return k.done(u, flash)
}

// addMember adds a person named by user id (AddMember) or by email (CreateUserInTenant with
// the email alone), with the roles ticked. The service decides what that means: an account the
// tenant manages joins at once, any other account Roster knows is invited, and an email Roster
// does not know gets a new account.
func (c *Console) addMember(k *call) error {
	tenant := k.r.PathValue("tenant")
	f := addForm{User: k.form.String("user"), Roles: k.form.Strings("roles")}
	var m *roster.Membership
	var err error
	switch {
	case roster.IsID(roster.PrefixUser, f.User):
		m, err = c.svc.AddMember(k.ctx, tenant, f.User, f.Roles)
	case strings.Contains(f.User, "@"):
		m, err = c.svc.CreateUserInTenant(k.ctx, tenant, service.CreateUserInput{Email: f.User}, f.Roles)
	default:
		err = roster.Invalid("Name the person by email or user id.", roster.FieldError{Pointer: "/user_id", Detail: "give an email or a user id (usr_…)"})
	}
	if err != nil {
		prob, err := refused(err, fields{"/user_id": "user", "/email": "user"}.name)
		if err != nil {
			return err
		}
		return c.renderMembers(k, prob, k.membersView(), membersData{Which: "add", Add: f})
	}
	return k.backToMembers(tenant, addedFlash(m, f.User))
}

// addedFlash says what adding someone did: invited or added.
func addedFlash(m *roster.Membership, who string) string {
	if m != nil && !m.Active() {
		return who + " is invited: the membership grants its roles once they accept it."
	}
	return who + " added."
}

// createMember creates a user who joins the tenant, as CreateUserInTenant does for every
// surface that creates users inside a tenant.
func (c *Console) createMember(k *call) error {
	tenant := k.r.PathValue("tenant")
	f := createForm{Email: k.form.String("email"), Username: k.form.String("username"), GivenName: k.form.String("given_name"),
		FamilyName: k.form.String("family_name"), Roles: k.form.Strings("roles")}
	in := service.CreateUserInput{Email: f.Email, Username: f.Username, GivenName: f.GivenName, FamilyName: f.FamilyName}
	if pw := k.form.Raw("password"); pw != "" {
		in.Password = &pw
	}
	m, err := c.svc.CreateUserInTenant(k.ctx, tenant, in, f.Roles)
	if err != nil {
		prob, err := refused(err, nil)
		if err != nil {
			return err
		}
		return c.renderMembers(k, prob, k.membersView(), membersData{Which: "create", Create: f})
	}
	return k.backToMembers(tenant, addedFlash(m, f.Email))
}

// setRoles replaces one member's roles (the inline editor), refusing a stale edit.
func (c *Console) setRoles(k *call) error {
	tenant, user := k.r.PathValue("tenant"), k.r.PathValue("user")
	// The members page sends every row's checkboxes in one form, named after each member.
	roles := k.form.Strings("roles-" + user)
	if roles == nil {
		roles = k.form.Strings("roles")
	}
	_, err := c.svc.SetMemberRoles(k.ctx, tenant, user, roles, k.form.Version("version"))
	if err != nil {
		prob, err := refused(err, fields{"/roles": user}.name)
		if err != nil {
			return err
		}
		d := membersData{Which: user}
		if prob.Code != roster.EPreconditionFailed {
			d.Picked = map[string][]string{user: roles}
		}
		return c.renderMembers(k, prob, k.membersView(), d)
	}
	return k.backToMembers(tenant, "Roles saved.")
}

// bulkRoles gives every selected member the same roles, all or nothing; a refusal names each
// member at fault.
func (c *Console) bulkRoles(k *call) error {
	tenant := k.r.PathValue("tenant")
	users, roles := k.form.Strings("user"), k.form.Strings("roles")
	items := make([]service.BulkRoleItem, len(users))
	for i, u := range users {
		items[i] = service.BulkRoleItem{UserID: u, Roles: roles}
	}
	ms, err := c.svc.BulkSetMemberRoles(k.ctx, tenant, items)
	if err != nil {
		rowErrs := map[string]string{}
		prob, err := refused(err, func(ptr string) string {
			// "/3/roles" is about the fourth selected member.
			i, err := strconv.Atoi(web.FieldName(ptr))
			if err != nil || i < 0 || i >= len(users) {
				return "bulk"
			}
			return users[i]
		})
		if err != nil {
			return err
		}
		for id, msg := range prob.Fields {
			if id != "bulk" {
				rowErrs[id] = msg
			}
		}
		if len(rowErrs) > 0 {
			prob.Message = fmt.Sprintf("Nothing was changed: %d of the %d selected members cannot get these roles (marked below).",
				len(rowErrs), len(users))
		}
		return c.renderMembers(k, prob, k.membersView(), membersData{Which: "bulk", Bulk: users, BulkSet: roles, RowErrs: rowErrs})
	}
	return k.backToMembers(tenant, fmt.Sprintf("Roles of %d members set.", len(ms)))
}

// removeMember takes the member out of the tenant, refusing a stale removal.
func (c *Console) removeMember(k *call) error {
	tenant, user := k.r.PathValue("tenant"), k.r.PathValue("user")
	if err := c.svc.RemoveMember(k.ctx, tenant, user, k.form.Version("version")); err != nil {
		prob, err := refused(err, fields{}.name)
		if err != nil {
			return err
		}
		return c.renderMembers(k, prob, k.membersView(), membersData{Which: user})
	}
	if k.p.IsUser(user) {
		return k.done(Base+"/tenants", "You left the tenant.")
	}
	return k.backToMembers(tenant, "Member removed.")
}
