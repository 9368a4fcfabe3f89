package httpapi

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

type memberUserJSON struct {
	ID         string `json:"id"`
	Username   string `json:"username"`
	Email      string `json:"email"`
	GivenName  string `json:"given_name"`
	FamilyName string `json:"family_name"`
	Active     bool   `json:"active"`
}

type memberJSON struct {
	TenantID  string         `json:"tenant_id"`
	UserID    string         `json:"user_id"`
	Status    string         `json:"status"`
	Roles     []string       `json:"roles"`
	User      memberUserJSON `json:"user"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

func memberView(m *roster.Membership) memberJSON {
	u := m.User
	return memberJSON{
		TenantID: m.TenantID, UserID: m.UserID, Status: m.Status, Roles: roleNames(m.Roles),
		User:      memberUserJSON{ID: u.ID, Username: u.Username, Email: u.Email, GivenName: u.GivenName, FamilyName: u.FamilyName, Active: u.Active},
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
	}
}

func writeMember(w http.ResponseWriter, status int, m *roster.Membership) {
	w.Header().Set("ETag", etag(m.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", "/v1/tenants/"+m.TenantID+"/members/"+m.UserID)
	}
	httpx.WriteJSON(w, status, memberView(m))
}

func (a *API) listMembers(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "limit", "cursor", "role", "email", "q")
	o := q.listOptions(roster.PrefixUser)
	f := service.MemberQuery{Role: q.str("role"), EmailPrefix: q.str("email"), Query: q.str("q")}
	if err := q.err(); err != nil {
		return err
	}
	ms, next, err := a.svc.ListMembers(r.Context(), r.PathValue("tenant"), f, o)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newList(ms, next, memberView))
	return nil
}

func (a *API) addMember(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		UserID string   `json:"user_id"`
		Roles  []string `json:"roles"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	m, err := a.svc.AddMember(r.Context(), r.PathValue("tenant"), in.UserID, in.Roles)
	if err != nil {
		return err
	}
	writeMember(w, http.StatusCreated, m)
	return nil
}

func (a *API) acceptMembership(w http.ResponseWriter, r *http.Request) error {
	m, err := a.svc.AcceptMembership(r.Context(), r.PathValue("tenant"))
	if err != nil {
		return err
	}
	writeMember(w, http.StatusOK, m)
	return nil
}

func (a *API) getMember(w http.ResponseWriter, r *http.Request) error {
	m, err := a.svc.GetMember(r.Context(), r.PathValue("tenant"), r.PathValue("user"))
	if err != nil {
		return err
	}
	writeMember(w, http.StatusOK, m)
	return nil
}

func (a *API) setMemberRoles(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Roles []string `json:"roles"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	m, err := a.svc.SetMemberRoles(r.Context(), r.PathValue("tenant"), r.PathValue("user"), in.Roles, ifMatch(r))
	if err != nil {
		return err
	}
	writeMember(w, http.StatusOK, m)
	return nil
}

func (a *API) removeMember(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.RemoveMember(r.Context(), r.PathValue("tenant"), r.PathValue("user"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) bulkSetMemberRoles(w http.ResponseWriter, r *http.Request) error {
	var in []struct {
		UserID string   `json:"user_id"`
		Roles  []string `json:"roles"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	items := make([]service.BulkRoleItem, len(in))
	for i, it := range in {
		items[i] = service.BulkRoleItem{UserID: it.UserID, Roles: it.Roles}
	}
	ms, err := a.svc.BulkSetMemberRoles(r.Context(), r.PathValue("tenant"), items)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, struct {
		Items []memberJSON `json:"items"`
	}{newList(ms, "", memberView).Items})
	return nil
}
