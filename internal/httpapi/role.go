package httpapi

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

type roleJSON struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"tenant_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Permissions []string  `json:"permissions"`
	Builtin     bool      `json:"builtin"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func roleView(r *roster.Role) roleJSON {
	return roleJSON{ID: r.ID, TenantID: r.TenantID, Name: r.Name, Description: r.Description,
		Permissions: nonNil(r.Permissions), Builtin: r.Builtin, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type roleBody struct {
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	Permissions *[]string `json:"permissions"`
}

func (b roleBody) input(r *http.Request) service.RoleInput {
	return service.RoleInput{Name: b.Name, Description: b.Description, Permissions: b.Permissions, IfMatch: ifMatch(r)}
}

func writeRole(w http.ResponseWriter, status int, r *roster.Role) {
	w.Header().Set("ETag", etag(r.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", "/v1/tenants/"+r.TenantID+"/roles/"+r.ID)
	}
	httpx.WriteJSON(w, status, roleView(r))
}

func (a *API) listRoles(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "limit", "cursor")
	o := q.listOptions(roster.PrefixRole)
	if err := q.err(); err != nil {
		return err
	}
	roles, next, err := a.svc.ListRoles(r.Context(), r.PathValue("tenant"), o)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newList(roles, next, roleView))
	return nil
}

func (a *API) createRole(w http.ResponseWriter, r *http.Request) error {
	var in roleBody
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	role, err := a.svc.CreateRole(r.Context(), r.PathValue("tenant"), in.input(r))
	if err != nil {
		return err
	}
	writeRole(w, http.StatusCreated, role)
	return nil
}

func (a *API) getRole(w http.ResponseWriter, r *http.Request) error {
	role, err := a.svc.GetRole(r.Context(), r.PathValue("tenant"), r.PathValue("role"))
	if err != nil {
		return err
	}
	writeRole(w, http.StatusOK, role)
	return nil
}

func (a *API) updateRole(w http.ResponseWriter, r *http.Request) error {
	var in roleBody
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	role, err := a.svc.UpdateRole(r.Context(), r.PathValue("tenant"), r.PathValue("role"), in.input(r))
	if err != nil {
		return err
	}
	writeRole(w, http.StatusOK, role)
	return nil
}

func (a *API) deleteRole(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteRole(r.Context(), r.PathValue("tenant"), r.PathValue("role"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
