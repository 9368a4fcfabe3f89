package httpapi

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

type sessionJSON struct {
	Token     string    `json:"token"`
	TokenType string    `json:"token_type"`
	SessionID string    `json:"session_id"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userJSON  `json:"user"`
}

func sessionView(s *service.SessionResult) sessionJSON {
	return sessionJSON{Token: s.Token, TokenType: "Bearer", SessionID: s.Session.ID, ExpiresAt: s.Session.ExpiresAt, User: userView(s.User)}
}

func (a *API) bootstrap(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Username string `json:"username"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	res, err := a.svc.Bootstrap(r.Context(), service.BootstrapInput{Email: in.Email, Password: in.Password, Username: in.Username})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, sessionView(res))
	return nil
}

func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	res, err := a.svc.Login(r.Context(), in.Login, in.Password)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, sessionView(res))
	return nil
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.Logout(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type tenantRefJSON struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

type meMembershipJSON struct {
	Tenant      tenantRefJSON `json:"tenant"`
	Status      string        `json:"status"`
	Roles       []string      `json:"roles"`
	Permissions []string      `json:"permissions"`
}

func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	u, views, err := a.svc.Me(r.Context())
	if err != nil {
		return err
	}
	out := struct {
		User        userJSON           `json:"user"`
		Memberships []meMembershipJSON `json:"memberships"`
	}{User: userView(u), Memberships: []meMembershipJSON{}}
	for _, v := range views {
		out.Memberships = append(out.Memberships, meMembershipJSON{
			Tenant: tenantRefJSON{ID: v.Tenant.ID, Slug: v.Tenant.Slug, Name: v.Tenant.Name},
			Status: v.Membership.Status, Roles: roleNames(v.Membership.Roles), Permissions: nonNil(v.Permissions),
		})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func roleNames(roles []*roster.Role) []string {
	out := make([]string, 0, len(roles))
	for _, r := range roles {
		out = append(out, r.Name)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type introspectionTenantJSON struct {
	TenantID    string   `json:"tenant_id"`
	Slug        string   `json:"slug"`
	Roles       []string `json:"roles"`
	Permissions []string `json:"permissions"`
}

type introspectionJSON struct {
	Active        bool                       `json:"active"`
	TokenType     string                     `json:"token_type,omitempty"`
	Sub           string                     `json:"sub,omitempty"`
	Username      string                     `json:"username,omitempty"`
	InstanceAdmin *bool                      `json:"instance_admin,omitempty"`
	JTI           string                     `json:"jti,omitempty"`
	IAT           int64                      `json:"iat,omitempty"`
	EXP           int64                      `json:"exp,omitempty"`
	Tenants       *[]introspectionTenantJSON `json:"tenants,omitempty"`
}

// introspect answers in the shape of RFC 7662; an inactive token gets {"active": false} and
// nothing else.
func (a *API) introspect(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	res, err := a.svc.Introspect(r.Context(), in.Token)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	if !res.Active {
		httpx.WriteJSON(w, http.StatusOK, introspectionJSON{})
		return nil
	}
	out := introspectionJSON{Active: true, TokenType: res.Kind, Sub: res.Subject, Username: res.Username, JTI: res.CredentialID,
		IAT: res.IssuedAt.Unix()}
	tenants := []introspectionTenantJSON{}
	if res.Kind != service.CredentialKey {
		out.InstanceAdmin = &res.InstanceAdmin
	}
	if res.ExpiresAt != nil {
		out.EXP = res.ExpiresAt.Unix()
	}
	for _, t := range res.Tenants {
		tenants = append(tenants, introspectionTenantJSON{TenantID: t.Tenant.ID, Slug: t.Tenant.Slug,
			Roles: roleNames(t.Roles), Permissions: nonNil(t.Permissions)})
	}
	out.Tenants = &tenants
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
