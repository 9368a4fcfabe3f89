package httpapi

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

type serviceAccountJSON struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenant_id"`
	Name      string    `json:"name"`
	Roles     []string  `json:"roles"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func serviceAccountView(sa *roster.ServiceAccount) serviceAccountJSON {
	return serviceAccountJSON{ID: sa.ID, TenantID: sa.TenantID, Name: sa.Name, Roles: roleNames(sa.Roles), CreatedAt: sa.CreatedAt, UpdatedAt: sa.UpdatedAt}
}

type keyJSON struct {
	ID               string     `json:"id"`
	ServiceAccountID string     `json:"service_account_id"`
	Hint             string     `json:"hint"`
	CreatedAt        time.Time  `json:"created_at"`
	ExpiresAt        *time.Time `json:"expires_at"`
	LastUsedAt       *time.Time `json:"last_used_at"`
}

func keyView(k *roster.ServiceAccountKey) keyJSON {
	return keyJSON{ID: k.ID, ServiceAccountID: k.ServiceAccountID, Hint: k.Hint, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt}
}

func writeServiceAccount(w http.ResponseWriter, status int, sa *roster.ServiceAccount) {
	w.Header().Set("ETag", etag(sa.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", "/v1/tenants/"+sa.TenantID+"/service-accounts/"+sa.ID)
	}
	httpx.WriteJSON(w, status, serviceAccountView(sa))
}

type serviceAccountBody struct {
	Name  *string   `json:"name"`
	Roles *[]string `json:"roles"`
}

func (a *API) listServiceAccounts(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "limit", "cursor")
	o := q.listOptions(roster.PrefixServiceAccount)
	if err := q.err(); err != nil {
		return err
	}
	out, next, err := a.svc.ListServiceAccounts(r.Context(), r.PathValue("tenant"), o)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newList(out, next, serviceAccountView))
	return nil
}

func (a *API) createServiceAccount(w http.ResponseWriter, r *http.Request) error {
	var in serviceAccountBody
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	sa, err := a.svc.CreateServiceAccount(r.Context(), r.PathValue("tenant"), service.ServiceAccountInput{Name: in.Name, Roles: in.Roles})
	if err != nil {
		return err
	}
	writeServiceAccount(w, http.StatusCreated, sa)
	return nil
}

func (a *API) getServiceAccount(w http.ResponseWriter, r *http.Request) error {
	sa, err := a.svc.GetServiceAccount(r.Context(), r.PathValue("tenant"), r.PathValue("sa"))
	if err != nil {
		return err
	}
	writeServiceAccount(w, http.StatusOK, sa)
	return nil
}

func (a *API) updateServiceAccount(w http.ResponseWriter, r *http.Request) error {
	var in serviceAccountBody
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	sa, err := a.svc.UpdateServiceAccount(r.Context(), r.PathValue("tenant"), r.PathValue("sa"),
		service.ServiceAccountInput{Name: in.Name, Roles: in.Roles, IfMatch: ifMatch(r)})
	if err != nil {
		return err
	}
	writeServiceAccount(w, http.StatusOK, sa)
	return nil
}

func (a *API) deleteServiceAccount(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteServiceAccount(r.Context(), r.PathValue("tenant"), r.PathValue("sa"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := a.svc.ListKeys(r.Context(), r.PathValue("tenant"), r.PathValue("sa"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newList(keys, "", keyView))
	return nil
}

func (a *API) createKey(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ExpiresAt *string `json:"expires_at" roster:"nullable"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	var v roster.Validator
	expires := parseTime(&v, "/expires_at", in.ExpiresAt)
	if err := v.Err(); err != nil {
		return err
	}
	res, err := a.svc.CreateKey(r.Context(), r.PathValue("tenant"), r.PathValue("sa"), expires)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", "/v1/tenants/"+res.Key.TenantID+"/service-accounts/"+res.Key.ServiceAccountID+"/keys/"+res.Key.ID)
	httpx.WriteJSON(w, http.StatusCreated, struct {
		keyJSON
		Key string `json:"key"`
	}{keyView(res.Key), res.Secret})
	return nil
}

func (a *API) revokeKey(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.RevokeKey(r.Context(), r.PathValue("tenant"), r.PathValue("sa"), r.PathValue("key")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
