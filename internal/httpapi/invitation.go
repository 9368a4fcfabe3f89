package httpapi

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

// invitationRoutes are a tenant's invitations and the calls behind an invitation's link. The
// link's secret travels in request bodies, never in a path or query string that logs keep.
func (a *API) invitationRoutes() {
	a.authed("GET /v1/tenants/{tenant}/invitations", a.listInvitations)
	a.authed("POST /v1/tenants/{tenant}/invitations", a.createInvitation)
	a.authed("GET /v1/tenants/{tenant}/invitations/{invitation}", a.getInvitation)
	a.authed("POST /v1/tenants/{tenant}/invitations/{invitation}/resend", a.resendInvitation)
	a.authed("POST /v1/tenants/{tenant}/invitations/{invitation}/revoke", a.revokeInvitation)
	a.public("POST /v1/invitations/lookup", a.lookupInvitation)
	a.public("POST /v1/invitations/accept", a.acceptInvitationNewAccount)
	a.authed("POST /v1/me/invitations/accept", a.acceptInvitationAsCaller)
}

type invitationJSON struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"tenant_id"`
	Email      string     `json:"email"`
	GivenName  string     `json:"given_name"`
	FamilyName string     `json:"family_name"`
	Locale     *string    `json:"locale"`
	Roles      []string   `json:"roles"`
	Status     string     `json:"status"`
	InvitedBy  actorJSON  `json:"invited_by"`
	UserID     *string    `json:"user_id"` // the member it made, once accepted
	ExpiresAt  time.Time  `json:"expires_at"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ClosedAt   *time.Time `json:"closed_at"`
}

// invitationView shows what the inviting tenant may see: what it sent, and never which
// account an invitation is for before the person accepts.
func invitationView(inv *roster.Invitation) invitationJSON {
	out := invitationJSON{ID: inv.ID, TenantID: inv.TenantID, Email: inv.Email, GivenName: inv.GivenName, FamilyName: inv.FamilyName,
		Locale: nullable(inv.Locale), Roles: roleNames(inv.Roles), Status: inv.StatusAt(time.Now()),
		InvitedBy: actorJSON{Kind: inv.InvitedBy.Kind, ID: inv.InvitedBy.ID, UserID: nullable(inv.InvitedBy.UserID)},
		ExpiresAt: inv.ExpiresAt, CreatedAt: inv.CreatedAt, UpdatedAt: inv.UpdatedAt, ClosedAt: inv.ClosedAt}
	if inv.Status == roster.InvitationAccepted {
		out.UserID = nullable(inv.UserID)
	}
	return out
}

func writeInvitation(w http.ResponseWriter, status int, inv *roster.Invitation) {
	w.Header().Set("ETag", etag(inv.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", "/v1/tenants/"+inv.TenantID+"/invitations/"+inv.ID)
	}
	httpx.WriteJSON(w, status, invitationView(inv))
}

// seconds turns a JSON number of seconds into a duration, refusing what would overflow.
func seconds(v *roster.Validator, ptr string, s *int64) *time.Duration {
	if s == nil {
		return nil
	}
	if *s < 0 || *s > int64(service.MaxInvitationTTL/time.Second) { // the service checks the rest
		v.Field(ptr, "must be from 1 hour (3600) to 30 days (2592000)")
		return nil
	}
	d := time.Duration(*s) * time.Second
	return &d
}

func (a *API) listInvitations(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "limit", "cursor", "status")
	o := q.listOptions(roster.PrefixInvitation)
	if err := q.err(); err != nil {
		return err
	}
	out, next, err := a.svc.ListInvitations(r.Context(), r.PathValue("tenant"), q.str("status"), o)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newList(out, next, invitationView))
	return nil
}

func (a *API) createInvitation(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email      string   `json:"email"`
		Roles      []string `json:"roles"`
		ExpiresIn  *int64   `json:"expires_in"`
		GivenName  string   `json:"given_name"`
		FamilyName string   `json:"family_name"`
		Locale     string   `json:"locale"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	var v roster.Validator
	ttl := seconds(&v, "/expires_in", in.ExpiresIn)
	if err := v.Err(); err != nil {
		return err
	}
	inv, err := a.svc.CreateInvitation(r.Context(), r.PathValue("tenant"), service.InvitationInput{Email: in.Email, Roles: in.Roles,
		ExpiresIn: ttl, GivenName: in.GivenName, FamilyName: in.FamilyName, Locale: in.Locale})
	if err != nil {
		return err
	}
	writeInvitation(w, http.StatusCreated, inv)
	return nil
}

func (a *API) getInvitation(w http.ResponseWriter, r *http.Request) error {
	inv, err := a.svc.GetInvitation(r.Context(), r.PathValue("tenant"), r.PathValue("invitation"))
	if err != nil {
		return err
	}
	writeInvitation(w, http.StatusOK, inv)
	return nil
}

func (a *API) resendInvitation(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ExpiresIn *int64 `json:"expires_in"`
	}
	if r.ContentLength != 0 { // the body is optional
		if err := httpx.DecodeJSON(r, &in); err != nil {
			return err
		}
	}
	var v roster.Validator
	ttl := seconds(&v, "/expires_in", in.ExpiresIn)
	if err := v.Err(); err != nil {
		return err
	}
	inv, err := a.svc.ResendInvitation(r.Context(), r.PathValue("tenant"), r.PathValue("invitation"), ttl, ifMatch(r))
	if err != nil {
		return err
	}
	writeInvitation(w, http.StatusOK, inv)
	return nil
}

func (a *API) revokeInvitation(w http.ResponseWriter, r *http.Request) error {
	inv, err := a.svc.RevokeInvitation(r.Context(), r.PathValue("tenant"), r.PathValue("invitation"), ifMatch(r))
	if err != nil {
		return err
	}
	writeInvitation(w, http.StatusOK, inv)
	return nil
}

type invitationPreviewJSON struct {
	Tenant struct {
		ID   string `json:"id"`
		Slug string `json:"slug"`
		Name string `json:"name"`
	} `json:"tenant"`
	Email         string    `json:"email"`
	GivenName     string    `json:"given_name"`
	FamilyName    string    `json:"family_name"`
	Roles         []string  `json:"roles"`
	Inviter       string    `json:"inviter"`
	ExpiresAt     time.Time `json:"expires_at"`
	AccountExists bool      `json:"account_exists"`
}

func (a *API) lookupInvitation(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	p, err := a.svc.LookupInvitation(r.Context(), in.Token)
	if err != nil {
		return err
	}
	var out invitationPreviewJSON
	inv := p.Invitation
	out.Tenant.ID, out.Tenant.Slug, out.Tenant.Name = p.Tenant.ID, p.Tenant.Slug, p.Tenant.Name
	out.Email, out.GivenName, out.FamilyName, out.Roles = inv.Email, inv.GivenName, inv.FamilyName, roleNames(inv.Roles)
	out.Inviter, out.ExpiresAt, out.AccountExists = inv.InviterName, inv.ExpiresAt, p.AccountExists
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) acceptInvitationNewAccount(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token      string  `json:"token"`
		Password   string  `json:"password"`
		GivenName  *string `json:"given_name"`
		FamilyName *string `json:"family_name"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	m, err := a.svc.AcceptInvitationWithNewAccount(r.Context(), in.Token,
		service.NewAccountInput{Password: in.Password, GivenName: in.GivenName, FamilyName: in.FamilyName})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeMember(w, http.StatusCreated, m)
	return nil
}

func (a *API) acceptInvitationAsCaller(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	m, err := a.svc.AcceptInvitationAsCaller(r.Context(), in.Token)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeMember(w, http.StatusOK, m)
	return nil
}
