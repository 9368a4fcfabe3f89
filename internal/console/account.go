package console

import (
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/web"
)

type accountData struct {
	U           *roster.User
	Memberships []service.MembershipView
	Sessions    []*roster.Session
	Tokens      []*roster.APIToken
	Can         service.UserAbilities
	Form        profileForm
	Current     string
	TokenName   string
	NewToken    *service.NewAPIToken // the token just created, shown this once
}

func (c *Console) account(k *call) error { return c.renderAccount(k, nil, nil, "", nil) }

// renderAccount renders the caller's own page: profile, password, API tokens and sessions.
func (c *Console) renderAccount(k *call, prob *web.Problem, f *profileForm, tokenName string, tok *service.NewAPIToken) error {
	u, ms, err := c.svc.Me(k.ctx)
	if err != nil {
		return err
	}
	can, err := c.svc.UserAbilities(k.ctx, u.ID)
	if err != nil {
		return err
	}
	d := accountData{U: u, Memberships: ms, Can: can, Form: profileOf(u), Current: k.p.Session.ID, TokenName: tokenName, NewToken: tok}
	if f != nil && (prob == nil || prob.Code != roster.EPreconditionFailed) {
		d.Form = *f
	}
	if d.Sessions, err = c.svc.ListSessions(k.ctx, u.ID); err != nil {
		return err
	}
	if d.Tokens, err = c.svc.ListAPITokens(k.ctx, u.ID); err != nil {
		return err
	}
	p := k.newPage("My account", d)
	p.Prob = prob
	if tok != nil {
		k.w.Header().Set("Cache-Control", "no-store")
	}
	return k.render("account", p)
}

// updateAccount saves one's own names and locale (UpdateUser on oneself).
func (c *Console) updateAccount(k *call) error {
	f := profileForm{GivenName: k.form.String("given_name"), FamilyName: k.form.String("family_name"), Locale: k.form.String("locale"),
		Version: versionOr(k.form.Version("version"), 0)}
	in := service.UpdateUserInput{GivenName: k.form.Optional("given_name"), FamilyName: k.form.Optional("family_name"),
		Locale: k.form.Optional("locale"), Username: k.form.Optional("username"), Email: k.form.Optional("email"),
		IfMatch: k.form.Version("version")}
	if _, err := c.svc.UpdateUser(k.ctx, k.p.User.ID, in); err != nil {
		prob, err := refused(err, nil)
		if err != nil {
			return err
		}
		f.Username, f.Email = deref(in.Username, ""), deref(in.Email, "")
		return c.renderAccount(k, prob, &f, "", nil)
	}
	return k.done(Base+"/account", "Profile saved.")
}

// changePassword changes one's own password, which needs the current one; the other sessions
// end, this one stays.
func (c *Console) changePassword(k *call) error {
	_, err := c.svc.SetPassword(k.ctx, k.p.User.ID, k.form.Raw("current_password"), k.form.Raw("password"), nil)
	if err != nil {
		prob, err := refused(err, nil)
		if err != nil {
			return err
		}
		return c.renderAccount(k, prob, nil, "", nil)
	}
	return k.done(Base+"/account", "Password changed; your other sessions have ended.")
}

// createToken makes a personal API token and shows its secret on this answer only.
func (c *Console) createToken(k *call) error {
	name := k.form.String("name")
	var expires *time.Time
	var v roster.Validator
	if s := k.form.String("expires"); s != "" {
		if t, err := time.Parse("2006-01-02", s); err != nil {
			v.Field("/expires_at", "must be a date such as 2027-12-31")
		} else {
			expires = &t
		}
	}
	err := v.Err()
	var tok *service.NewAPIToken
	if err == nil {
		tok, err = c.svc.CreateAPIToken(k.ctx, name, expires)
	}
	if err != nil {
		prob, err := refused(err, fields{"/expires_at": "expires", "/name": "token_name"}.name)
		if err != nil {
			return err
		}
		return c.renderAccount(k, prob, nil, name, nil)
	}
	return c.renderAccount(k, nil, nil, "", tok)
}

func (c *Console) revokeToken(k *call) error {
	if err := c.svc.RevokeAPIToken(k.ctx, k.p.User.ID, k.r.PathValue("id")); err != nil {
		return err
	}
	return k.done(Base+"/account", "API token revoked.")
}

// revokeSession ends one of one's sessions; ending this one signs out.
func (c *Console) revokeSession(k *call) error {
	id := k.r.PathValue("id")
	if err := c.svc.RevokeSession(k.ctx, k.p.User.ID, id); err != nil {
		return err
	}
	if id == k.p.Session.ID {
		c.web.ClearSession(k.w, k.r)
		return k.done(Base+"/sign-in?signed-out", "")
	}
	return k.done(Base+"/account", "Session revoked.")
}
