package console

import (
	"net/url"
	"strconv"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/web"
)

type usersData struct {
	Users       []*roster.User
	Q, Email    string
	Active      string // "", "true" or "false"
	Next, First string
	Form        newUserForm
}

type newUserForm struct {
	Email, Username, GivenName, FamilyName string
	InstanceAdmin                          bool
}

func (c *Console) users(k *call) error { return c.renderUsers(k, nil, newUserForm{}) }

func (c *Console) renderUsers(k *call, prob *web.Problem, f newUserForm) error {
	q := k.r.URL.Query()
	d := usersData{Q: q.Get("q"), Email: q.Get("email"), Active: q.Get("active"), Form: f}
	filter := roster.UserFilter{EmailPrefix: d.Email, Query: d.Q}
	if b, err := strconv.ParseBool(d.Active); err == nil {
		filter.Active = &b
	}
	after := cursor(q, roster.PrefixUser)
	users, next, err := c.svc.ListUsers(k.ctx, filter, service.ListOptions{After: after, Limit: memberPageSize})
	if err != nil {
		return err
	}
	d.Users = users
	if next != "" {
		d.Next = pageURL(Base+"/users", q, next)
	}
	if after != "" {
		d.First = pageURL(Base+"/users", q, "")
	}
	p := k.newPage("Users", d)
	p.Prob = prob
	return k.render("users", p)
}

func (c *Console) createUser(k *call) error {
	f := newUserForm{Email: k.form.String("email"), Username: k.form.String("username"), GivenName: k.form.String("given_name"),
		FamilyName: k.form.String("family_name"), InstanceAdmin: k.form.Bool("instance_admin")}
	in := service.CreateUserInput{Email: f.Email, Username: f.Username, GivenName: f.GivenName, FamilyName: f.FamilyName, InstanceAdmin: f.InstanceAdmin}
	if pw := k.form.Raw("password"); pw != "" {
		in.Password = &pw
	}
	u, err := c.svc.CreateUser(k.ctx, in)
	if err != nil {
		prob, err := refused(err, nil)
		if err != nil {
			return err
		}
		return c.renderUsers(k, prob, f)
	}
	return k.done(Base+"/users/"+u.ID, "User "+u.Email+" created.")
}

type userData struct {
	U           *roster.User
	Memberships []service.MembershipView
	Sessions    []*roster.Session
	Tokens      []*roster.APIToken
	Can         service.UserAbilities
	Form        profileForm
	Current     string // the caller's own session id
}

type profileForm struct {
	Username, Email, GivenName, FamilyName, Locale string
	Version                                        int64
}

func profileOf(u *roster.User) profileForm {
	return profileForm{Username: u.Username, Email: u.Email, GivenName: u.GivenName, FamilyName: u.FamilyName, Locale: u.Locale, Version: u.Version}
}

func (c *Console) user(k *call) error { return c.renderUser(k, nil, nil) }

// renderUser renders a user's page: what the service lets the caller see of the user, and
// the forms of what it lets the caller change.
func (c *Console) renderUser(k *call, prob *web.Problem, f *profileForm) error {
	id := k.r.PathValue("user")
	can, err := c.svc.UserAbilities(k.ctx, id)
	if err != nil {
		return err
	}
	seen, ms, err := c.svc.GetUserWithMemberships(k.ctx, id)
	if err != nil {
		return err
	}
	// The stored profile is for the account's manager; a member of one's tenant that the
	// tenant does not manage is shown as a member: names, email, username, memberships.
	u := &roster.User{ID: seen.ID, Email: seen.Email, Username: seen.Username, GivenName: seen.GivenName,
		FamilyName: seen.FamilyName, Active: seen.Active, Version: seen.Version}
	if can.ReadProfile {
		if u, err = c.svc.GetUser(k.ctx, id); err != nil {
			return err
		}
	}
	d := userData{U: u, Memberships: ms, Can: can, Form: profileOf(u), Current: k.p.Session.ID}
	if f != nil && (prob == nil || prob.Code != roster.EPreconditionFailed) {
		d.Form = *f
	}
	if can.ReadCredentials {
		if d.Sessions, err = c.svc.ListSessions(k.ctx, id); err != nil {
			return err
		}
		if d.Tokens, err = c.svc.ListAPITokens(k.ctx, id); err != nil {
			return err
		}
	}
	p := k.newPage(u.Email, d)
	if k.inst.ListUsers {
		p.Crumbs = []web.NavLink{{Label: "Users", URL: Base + "/users"}, {Label: u.Email, Current: true}}
	}
	p.Prob = prob
	return k.render("user", p)
}

func (k *call) userURL() string { return Base + "/users/" + url.PathEscape(k.r.PathValue("user")) }

// updateUser saves the profile form: names and locale, and username and email when the form
// has them (it offers them to instance administrators).
func (c *Console) updateUser(k *call) error {
	f := profileForm{Username: k.form.String("username"), Email: k.form.String("email"), GivenName: k.form.String("given_name"),
		FamilyName: k.form.String("family_name"), Locale: k.form.String("locale"), Version: versionOr(k.form.Version("version"), 0)}
	in := service.UpdateUserInput{GivenName: k.form.Optional("given_name"), FamilyName: k.form.Optional("family_name"),
		Locale: k.form.Optional("locale"), Username: k.form.Optional("username"), Email: k.form.Optional("email"),
		IfMatch: k.form.Version("version")}
	if _, err := c.svc.UpdateUser(k.ctx, k.r.PathValue("user"), in); err != nil {
		prob, err := refused(err, nil)
		if err != nil {
			return err
		}
		return c.renderUser(k, prob, &f)
	}
	return k.done(k.userURL(), "Profile saved.")
}

// setUserStatus activates or deactivates the user.
func (c *Console) setUserStatus(k *call) error {
	active := k.form.String("active") == "true"
	in := service.UpdateUserInput{Active: &active, IfMatch: k.form.Version("version")}
	if _, err := c.svc.UpdateUser(k.ctx, k.r.PathValue("user"), in); err != nil {
		prob, err := refused(err, nil)
		if err != nil {
			return err
		}
		return c.renderUser(k, prob, nil)
	}
	msg := "User deactivated: its sessions and API tokens have ended."
	if active {
		msg = "User activated."
	}
	return k.done(k.userURL(), msg)
}

// setUserPassword sets another user's password (instance administrators; one's own is on the
// account page, with the current password).
func (c *Console) setUserPassword(k *call) error {
	_, err := c.svc.SetPassword(k.ctx, k.r.PathValue("user"), k.form.Raw("current_password"), k.form.Raw("password"), k.form.Version("version"))
	if err != nil {
		prob, err := refused(err, nil)
		if err != nil {
			return err
		}
		return c.renderUser(k, prob, nil)
	}
	return k.done(k.userURL(), "Password set; the user's sessions have ended.")
}

func (c *Console) revokeUserSession(k *call) error {
	if err := c.svc.RevokeSession(k.ctx, k.r.PathValue("user"), k.r.PathValue("id")); err != nil {
		return err
	}
	return k.done(k.userURL(), "Session revoked.")
}

func (c *Console) revokeUserToken(k *call) error {
	if err := c.svc.RevokeAPIToken(k.ctx, k.r.PathValue("user"), k.r.PathValue("id")); err != nil {
		return err
	}
	return k.done(k.userURL(), "API token revoked.")
}
