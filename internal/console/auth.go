package console

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/web"
)

func (c *Console) root(k *call) error {
	http.Redirect(k.w, k.r, Base+"/tenants", http.StatusSeeOther)
	return nil
}

type signInData struct {
	Login, Next string
	SignedOut   bool
}

// safeNext keeps a post-sign-in destination only when it is a console page of this host.
func safeNext(s string) string {
	if strings.HasPrefix(s, Base+"/") && !strings.HasPrefix(s, "//") && !strings.ContainsAny(s, "\\\r\n") {
		return s
	}
	return Base + "/tenants"
}

func (c *Console) signInPage(k *call) error {
	if k.c.web.SessionSecret(k.r) != "" && c.authenticate(k) == nil {
		return k.done(safeNext(k.r.URL.Query().Get("next")), "")
	}
	p := k.newPage("Sign in", signInData{Next: k.r.URL.Query().Get("next"), SignedOut: k.r.URL.Query().Has("signed-out")})
	p.CSRF = c.web.PreSessionToken(k.w, k.r)
	return k.render("sign-in", p)
}

// signIn logs in through the same service call as POST /v1/auth/login (same throttling and
// audit) and keeps the session's secret in the cookie.
func (c *Console) signIn(k *call) error {
	form, err := web.ParseForm(k.w, k.r)
	if err == nil {
		err = c.web.CheckCSRF(k.r, "")
	}
	if err != nil {
		return err
	}
	data := signInData{Login: form.String("login"), Next: form.String("next")}
	res, loginErr := c.svc.Login(k.ctx, data.Login, form.Raw("password"))
	if loginErr != nil {
		prob, err := refusedSignIn(loginErr)
		if err != nil {
			return err
		}
		httpx.SetRetryAfter(k.w, loginErr)
		p := k.newPage("Sign in", data)
		p.CSRF, p.Prob = c.web.PreSessionToken(k.w, k.r), prob
		return k.render("sign-in", p)
	}
	c.web.SetSession(k.w, k.r, res.Token, res.Session.ExpiresAt)
	http.Redirect(k.w, k.r, safeNext(data.Next), http.StatusSeeOther)
	return nil
}

func refusedSignIn(err error) (*web.Problem, error) {
	switch roster.ErrorCodeOf(err) {
	case roster.EInvalid, roster.EUnauthenticated, roster.ERateLimited, roster.EUnavailable:
		return web.ProblemOf(err, nil), nil
	}
	return nil, err
}

// signOut ends the session (like POST /v1/auth/logout) and forgets the cookie.
func (c *Console) signOut(k *call) error {
	if err := c.svc.Logout(k.ctx); err != nil && roster.ErrorCodeOf(err) != roster.EUnauthenticated {
		return err
	}
	c.web.ClearSession(k.w, k.r)
	http.Redirect(k.w, k.r, Base+"/sign-in?signed-out", http.StatusSeeOther)
	return nil
}
