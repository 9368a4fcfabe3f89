package httpapi

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

type tenantJSON struct {
	ID        string    `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func tenantView(t *roster.Tenant) tenantJSON {
	return tenantJSON{ID: t.ID, Slug: t.Slug, Name: t.Name, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

type tenantBody struct {
	Slug *string `json:"slug"`
	Name *string `json:"name"`
}

func writeTenant(w http.ResponseWriter, status int, t *roster.Tenant) {
	w.Header().Set("ETag", etag(t.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", "/v1/tenants/"+t.ID)
	}
	httpx.WriteJSON(w, status, tenantView(t))
}

func (a *API) listTenants(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "limit", "cursor")
	o := q.listOptions(roster.PrefixTenant)
	if err := q.err(); err != nil {
		return err
	}
	tenants, next, err := a.svc.ListTenants(r.Context(), o)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newList(tenants, next, tenantView))
	return nil
}

func (a *API) createTenant(w http.ResponseWriter, r *http.Request) error {
	var in tenantBody
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	t, err := a.svc.CreateTenant(r.Context(), service.TenantInput{Slug: in.Slug, Name: in.Name})
	if err != nil {
		return err
	}
	writeTenant(w, http.StatusCreated, t)
	return nil
}

func (a *API) getTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := a.svc.GetTenant(r.Context(), r.PathValue("tenant"))
	if err != nil {
		return err
	}
	writeTenant(w, http.StatusOK, t)
	return nil
}

func (a *API) updateTenant(w http.ResponseWriter, r *http.Request) error {
	var in tenantBody
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	t, err := a.svc.UpdateTenant(r.Context(), r.PathValue("tenant"), service.TenantInput{Slug: in.Slug, Name: in.Name, IfMatch: ifMatch(r)})
	if err != nil {
		return err
	}
	writeTenant(w, http.StatusOK, t)
	return nil
}

func (a *API) deleteTenant(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteTenant(r.Context(), r.PathValue("tenant"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
