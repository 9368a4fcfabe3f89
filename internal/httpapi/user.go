package httpapi

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

type userJSON struct {
	ID            string     `json:"id"`
	Username      string     `json:"username"`
	Email         string     `json:"email"`
	GivenName     string     `json:"given_name"`
	FamilyName    string     `json:"family_name"`
	Locale        string     `json:"locale"`
	Active        bool       `json:"active"`
	EmailVerified bool       `json:"email_verified"`
	InstanceAdmin bool       `json:"instance_admin"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	LastLoginAt   *time.Time `json:"last_login_at"`
	ManagedBy     *string    `json:"managed_by"`
}

func userView(u *roster.User) userJSON {
	return userJSON{
		ID: u.ID, Username: u.Username, Email: u.Email, GivenName: u.GivenName, FamilyName: u.FamilyName,
		Locale: u.Locale, Active: u.Active, EmailVerified: u.EmailVerified, InstanceAdmin: u.InstanceAdmin,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, LastLoginAt: u.LastLoginAt, ManagedBy: nullable(u.ManagedBy),
	}
}

func writeUser(w http.ResponseWriter, status int, u *roster.User) {
	w.Header().Set("ETag", etag(u.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", "/v1/users/"+u.ID)
	}
	httpx.WriteJSON(w, status, userView(u))
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, "limit", "cursor", "email", "username", "q", "active")
	o := q.listOptions(roster.PrefixUser)
	f := roster.UserFilter{EmailPrefix: q.str("email"), UsernamePrefix: q.str("username"), Query: q.str("q"), Active: q.boolean("active")}
	if err := q.err(); err != nil {
		return err
	}
	users, next, err := a.svc.ListUsers(r.Context(), f, o)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newList(users, next, userView))
	return nil
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username      string  `json:"username"`
		Email         string  `json:"email"`
		GivenName     string  `json:"given_name"`
		FamilyName    string  `json:"family_name"`
		Locale        string  `json:"locale"`
		Password      *string `json:"password"`
		Active        *bool   `json:"active"`
		EmailVerified bool    `json:"email_verified"`
		InstanceAdmin bool    `json:"instance_admin"`
		ManagedBy     string  `json:"managed_by"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	u, err := a.svc.CreateUser(r.Context(), service.CreateUserInput{
		Username: in.Username, Email: in.Email, GivenName: in.GivenName, FamilyName: in.FamilyName, Locale: in.Locale,
		Password: in.Password, Active: in.Active, EmailVerified: in.EmailVerified, InstanceAdmin: in.InstanceAdmin,
		ManagedBy: in.ManagedBy,
	})
	if err != nil {
		return err
	}
	writeUser(w, http.StatusCreated, u)
	return nil
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.svc.GetUser(r.Context(), r.PathValue("user"))
	if err != nil {
		return err
	}
	writeUser(w, http.StatusOK, u)
	return nil
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username      *string `json:"username"`
		Email         *string `json:"email"`
		GivenName     *string `json:"given_name"`
		FamilyName    *string `json:"family_name"`
		Locale        *string `json:"locale"`
		Active        *bool   `json:"active"`
		EmailVerified *bool   `json:"email_verified"`
		InstanceAdmin *bool   `json:"instance_admin"`
		ManagedBy     *string `json:"managed_by"` // "" hands the account back to the instance
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	u, err := a.svc.UpdateUser(r.Context(), r.PathValue("user"), service.UpdateUserInput{
		Username: in.Username, Email: in.Email, GivenName: in.GivenName, FamilyName: in.FamilyName, Locale: in.Locale,
		Active: in.Active, EmailVerified: in.EmailVerified, InstanceAdmin: in.InstanceAdmin, ManagedBy: in.ManagedBy,
		IfMatch: ifMatch(r),
	})
	if err != nil {
		return err
	}
	writeUser(w, http.StatusOK, u)
	return nil
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.svc.DeleteUser(r.Context(), r.PathValue("user"), ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) setPassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Password        string `json:"password"`
		CurrentPassword string `json:"current_password"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if _, err := a.svc.SetPassword(r.Context(), r.PathValue("user"), in.CurrentPassword, in.Password, ifMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
