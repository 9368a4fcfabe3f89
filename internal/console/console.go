// Package console serves the admin console under /console/: server-rendered pages on the
// shared web layer, each action calling the same service method as the native API. It
// decides nothing about who may do what; it asks the service what to offer (the Abilities
// methods), and a forged request gets the service's refusal.
package console

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/web"
)

// Base is the path the console is mounted at.
const Base = "/console"

//go:embed pages/*.html
var pagesFS embed.FS

// Console is the admin console as an http.Handler for paths below Base.
type Console struct {
	svc   *service.Service
	log   *slog.Logger
	web   web.Config
	pages *web.Renderer
	mux   *httpx.Mux
}

// New returns the console.
func New(svc *service.Service, log *slog.Logger, cfg web.Config) *Console {
	pages, err := web.NewRenderer(pagesFS, "pages/*.html", funcs, nil)
	if err != nil {
		panic(err) // the templates are embedded: a broken one is a build error
	}
	c := &Console{svc: svc, log: log, web: cfg, pages: pages, mux: httpx.NewMux()}
	c.routes()
	return c
}

// Routes returns the console's route patterns, below Base.
func (c *Console) Routes() []string { return c.mux.Routes() }

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mux.Dispatch(w, r, func(status int, msg string) {
		k := &call{c: c, w: w, r: r, ctx: r.Context()}
		c.renderError(k, status, msg)
	})
}

func (c *Console) routes() {
	c.public("GET /{$}", c.root)
	c.public("GET /sign-in", c.signInPage)
	c.public("POST /sign-in", c.signIn)
	c.action("POST /sign-out", c.signOut)

	c.page("GET /tenants", c.tenants)
	c.action("POST /tenants", c.createTenant)
	c.page("GET /tenants/{tenant}", c.tenant)
	c.action("POST /tenants/{tenant}", c.updateTenant)

	c.page("GET /tenants/{tenant}/members", c.members)
	c.action("POST /tenants/{tenant}/members", c.addMember)
	c.action("POST /tenants/{tenant}/members/new", c.createMember)
	c.action("POST /tenants/{tenant}/members/bulk", c.bulkRoles)
	c.action("POST /tenants/{tenant}/members/{user}/roles", c.setRoles)
	c.action("POST /tenants/{tenant}/members/{user}/remove", c.removeMember)

	c.page("GET /tenants/{tenant}/roles", c.roles)
	c.action("POST /tenants/{tenant}/roles", c.createRole)
	c.page("GET /tenants/{tenant}/roles/{role}", c.role)
	c.action("POST /tenants/{tenant}/roles/{role}", c.updateRole)
	c.action("POST /tenants/{tenant}/roles/{role}/delete", c.deleteRole)

	c.page("GET /tenants/{tenant}/service-accounts", c.serviceAccounts)
	c.action("POST /tenants/{tenant}/service-accounts", c.createServiceAccount)
	c.page("GET /tenants/{tenant}/service-accounts/{sa}", c.serviceAccount)
	c.action("POST /tenants/{tenant}/service-accounts/{sa}", c.updateServiceAccount)
	c.action("POST /tenants/{tenant}/service-accounts/{sa}/delete", c.deleteServiceAccount)
	c.action("POST /tenants/{tenant}/service-accounts/{sa}/keys", c.createKey)
	c.action("POST /tenants/{tenant}/service-accounts/{sa}/keys/{key}/revoke", c.revokeKey)

	c.page("GET /users", c.users)
	c.action("POST /users", c.createUser)
	c.page("GET /users/{user}", c.user)
	c.action("POST /users/{user}", c.updateUser)
	c.action("POST /users/{user}/status", c.setUserStatus)
	c.action("POST /users/{user}/password", c.setUserPassword)
	c.action("POST /users/{user}/sessions/{id}/revoke", c.revokeUserSession)
	c.action("POST /users/{user}/tokens/{id}/revoke", c.revokeUserToken)

	c.page("GET /audit", c.audit)

	c.page("GET /account", c.account)
	c.action("POST /account", c.updateAccount)
	c.action("POST /account/password", c.changePassword)
	c.action("POST /account/tokens", c.createToken)
	c.action("POST /account/tokens/{id}/revoke", c.revokeToken)
	c.action("POST /account/sessions/{id}/revoke", c.revokeSession)
}

// call is one request to the console.
type call struct {
	c      *Console
	w      http.ResponseWriter
	r      *http.Request
	ctx    context.Context // carries the principal once signed in
	p      *roster.Principal
	secret string // the session secret of the cookie
	inst   service.InstanceAbilities
	form   web.Form
}

type handler func(k *call) error

// public registers a route that needs no session.
func (c *Console) public(pattern string, h handler) {
	c.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		k := &call{c: c, w: w, r: r, ctx: r.Context()}
		c.finish(k, h(k))
	})
}

// page registers a route that needs a session: without one it sends the browser to sign in.
func (c *Console) page(pattern string, h handler) {
	c.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		k := &call{c: c, w: w, r: r, ctx: r.Context()}
		if err := c.authenticate(k); err != nil {
			c.finish(k, err)
			return
		}
		c.finish(k, h(k))
	})
}

// action registers a state-changing route: it needs a session and a form that passes the
// CSRF check.
func (c *Console) action(pattern string, h handler) {
	c.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		k := &call{c: c, w: w, r: r, ctx: r.Context()}
		err := c.authenticate(k)
		if err == nil {
			k.form, err = web.ParseForm(w, r)
		}
		if err == nil {
			err = c.web.CheckCSRF(r, k.secret)
		}
		if err != nil {
			c.finish(k, err)
			return
		}
		c.finish(k, h(k))
	})
}

// errSignIn sends the browser to the sign-in page.
var errSignIn = errors.New("sign in first")

// authenticate resolves the session cookie. Only a login session works here: the cookie never
// holds an API token or a key.
func (c *Console) authenticate(k *call) error {
	k.secret = c.web.SessionSecret(k.r)
	if k.secret == "" {
		return errSignIn
	}
	p, err := c.svc.Authenticate(k.ctx, k.secret)
	if roster.ErrorCodeOf(err) == roster.EUnauthenticated || err == nil && p.Session == nil {
		c.web.ClearSession(k.w, k.r)
		return errSignIn
	}
	if err != nil {
		return err
	}
	k.p = p
	k.ctx = roster.NewContextWithPrincipal(k.ctx, p)
	k.inst, err = c.svc.InstanceAbilities(k.ctx)
	return err
}

// finish answers a handler's error: sign-in for a missing session, else an error page with
// the service's status.
func (c *Console) finish(k *call, err error) {
	switch {
	case err == nil:
	case errors.Is(err, errSignIn):
		next := ""
		if k.r.Method == http.MethodGet {
			next = "?next=" + url.QueryEscape(Base+k.r.URL.RequestURI())
		}
		http.Redirect(k.w, k.r, Base+"/sign-in"+next, http.StatusSeeOther)
	default:
		status := web.Status(err)
		if status == http.StatusInternalServerError {
			c.log.ErrorContext(k.r.Context(), "console request failed", "path", k.r.URL.Path,
				"request_id", roster.RequestInfoFromContext(k.r.Context()).RequestID, "error", err)
		}
		httpx.SetRetryAfter(k.w, err)
		c.renderError(k, status, roster.ErrorMessageOf(err))
	}
}

func (c *Console) renderError(k *call, status int, msg string) {
	p := k.newPage("Error", nil)
	if status == http.StatusPreconditionFailed {
		msg = web.StaleMessage
	}
	p.Prob = &web.Problem{Status: status, Message: msg}
	p.Data = http.StatusText(status)
	if err := c.pages.Render(k.w, k.r, status, "error", p); err != nil {
		c.log.Error("render error page", "error", err)
	}
}

// newPage starts a page with the layout's parts filled in.
func (k *call) newPage(title string, data any) *web.Page {
	p := &web.Page{Title: title, Data: data}
	if k.p == nil || k.p.User == nil {
		return p
	}
	u := k.p.User
	p.User, p.Lang = u, u.Locale
	p.CSRF = web.CSRFToken(k.secret)
	p.HomeURL, p.AccountURL, p.SignOutURL = Base+"/tenants", Base+"/account", Base+"/sign-out"
	p.Flash = k.c.web.TakeFlash(k.w, k.r, k.secret)
	path := k.r.URL.Path
	p.Nav = []web.NavLink{{Label: "Tenants", URL: Base + "/tenants", Current: strings.HasPrefix(path, "/tenants")}}
	if k.inst.ListUsers {
		p.Nav = append(p.Nav, web.NavLink{Label: "Users", URL: Base + "/users", Current: strings.HasPrefix(path, "/users")})
	}
	p.Nav = append(p.Nav, web.NavLink{Label: "Audit trail", URL: Base + "/audit", Current: path == "/audit"},
		web.NavLink{Label: "My account", URL: Base + "/account", Current: path == "/account"})
	return p
}

// render writes a page; a handler that re-renders a form after a refusal passes the problem,
// whose status the page answers with.
func (k *call) render(name string, p *web.Page) error {
	status := http.StatusOK
	if p.Prob != nil {
		status = p.Prob.Status
	}
	return k.c.pages.Render(k.w, k.r, status, name, p)
}

// done redirects after a successful action, with a flash message for the next page.
func (k *call) done(to, flash string) error {
	if flash != "" {
		k.c.web.SetFlash(k.w, k.r, k.secret, flash)
	}
	http.Redirect(k.w, k.r, to, http.StatusSeeOther)
	return nil
}

// refused turns a service error into a problem for re-rendering a form, or returns it as the
// error to answer when it is not about the form (not found, internal).
func refused(err error, names func(string) string) (*web.Problem, error) {
	switch roster.ErrorCodeOf(err) {
	case roster.EInvalid, roster.EForbidden, roster.EConflict, roster.EPreconditionFailed, roster.ERateLimited:
		return web.ProblemOf(err, names), nil
	}
	return nil, err
}

// funcs are the console's template functions.
var funcs = template.FuncMap{
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2006-01-02 15:04 UTC")
		case *time.Time:
			if v == nil {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04 UTC")
		}
		return ""
	},
	"roleNames": func(roles []*roster.Role) []string {
		out := make([]string, len(roles))
		for i, r := range roles {
			out[i] = r.Name
		}
		return out
	},
	"hasRole": func(roles []*roster.Role, id string) bool {
		for _, r := range roles {
			if r.ID == id {
				return true
			}
		}
		return false
	},
	"contains": func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	},
	"picker": func(legend string, roles []*roster.Role, picked []string, err string) rolePicker {
		return rolePicker{Legend: legend, Roles: roles, Picked: picked, Error: err}
	},
	"creds": func(p *web.Page, base string, sessions []*roster.Session, tokens []*roster.APIToken, current string) credentialsView {
		return credentialsView{P: p, Base: base, Sessions: sessions, Tokens: tokens, Current: current}
	},
	"fullName": func(u *roster.User) string { return strings.TrimSpace(u.GivenName + " " + u.FamilyName) },
	"join":     strings.Join,
}

// fields maps the pointers of a service's field errors to a form's field names; pointers it
// does not list map as web.FieldName does.
type fields map[string]string

func (f fields) name(ptr string) string {
	if n, ok := f[ptr]; ok {
		return n
	}
	return web.FieldName(ptr)
}

// rolePicker is what the "role-checks" partial renders: a checkbox per role.
type rolePicker struct {
	Legend string
	Roles  []*roster.Role
	Picked []string
	Error  string
}

// credentialsView is what the "sessions" and "tokens" partials render.
type credentialsView struct {
	P        *web.Page
	Base     string // the URL the revoke actions are below
	Sessions []*roster.Session
	Tokens   []*roster.APIToken
	Current  string // the caller's session id
}
