// Package exolink serves the Exolink tenant-users API (seed 000) under /compat/exolink: the
// seed's paths, bodies and messages, translated onto the same service calls as the native API.
//
// Roles: Exolink knows admin, user and viewer, Roster's built-in roles. A member holding
// several roles is shown with its strongest built-in one (admin > user > viewer), and a member
// holding only custom roles as viewer. Setting a role here replaces the member's built-in roles
// and keeps its custom roles. Errors are {"message": "…"}.
package exolink

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

// Surface is the Exolink compatibility surface.
type Surface struct {
	svc *service.Service
	log *slog.Logger
	mux *httpx.Mux
}

// New returns the surface as an http.Handler for paths below its base URL.
func New(svc *service.Service, log *slog.Logger) *Surface {
	s := &Surface{svc: svc, log: log, mux: httpx.NewMux()}
	s.handle("GET /tenant/{tenant}/user", s.listUsers)
	s.handle("PUT /tenant/{tenant}/user", s.setRoles)
	s.handle("PUT /tenant/{tenant}/user/{userId}", s.setRole)
	s.handle("DELETE /tenant/{tenant}/user/{userId}", s.removeUser)
	s.handle("GET /tenant/{tenant}", s.getTenant)
	s.handle("PUT /tenant/{tenant}", s.renameTenant)
	s.handle("GET /user/{userId}", s.getUser)
	return s
}

// Routes returns the surface's route patterns, below its base URL.
func (s *Surface) Routes() []string { return s.mux.Routes() }

func (s *Surface) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.Dispatch(w, r, func(status int, msg string) { reply(w, status, msg) })
}

// handle registers an authenticated route: every Exolink route takes a Bearer token.
func (s *Surface) handle(pattern string, h func(http.ResponseWriter, *http.Request) error) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		err := func() error {
			secret, err := httpx.BearerToken(r)
			if err != nil {
				return err
			}
			p, err := s.svc.Authenticate(r.Context(), secret)
			if err != nil {
				return err
			}
			return h(w, r.WithContext(roster.NewContextWithPrincipal(r.Context(), p)))
		}()
		if err != nil {
			s.fail(w, r, err)
		}
	})
}

type message struct {
	Message string `json:"message"`
}

func reply(w http.ResponseWriter, status int, msg string) {
	httpx.WriteJSON(w, status, message{msg})
}

func (s *Surface) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, httpx.ErrBodyTooLarge):
		reply(w, http.StatusRequestEntityTooLarge, "The request body is larger than 1 MiB.")
		return
	case errors.Is(err, httpx.ErrMediaType):
		reply(w, http.StatusUnsupportedMediaType, "Send the request body as JSON with Content-Type: application/json.")
		return
	}
	httpx.SetRetryAfter(w, err)
	status, ok := httpx.CompatStatus(err)
	if !ok {
		s.log.ErrorContext(r.Context(), "exolink request failed", "request_id", roster.RequestInfoFromContext(r.Context()).RequestID, "error", err)
	}
	msg := roster.ErrorMessageOf(err)
	var e *roster.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		msg = describeFields(e)
	}
	reply(w, status, msg)
}

// describeFields names every field or item at fault in one message, in Exolink's terms.
func describeFields(e *roster.Error) string {
	var parts []string
	for _, f := range e.Fields {
		if f.Pointer == "" {
			parts = append(parts, "the body "+f.Detail)
		} else {
			parts = append(parts, exolinkPointer(f.Pointer)+" "+f.Detail)
		}
	}
	return "Invalid request: " + strings.Join(parts, "; ") + "."
}

// exolinkPointer renders a service pointer such as /2/user_id as the body field it came from.
func exolinkPointer(ptr string) string {
	parts := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, p := range parts {
		switch p {
		case "user_id":
			parts[i] = "id"
		case "roles":
			parts[i], parts = "role", parts[:i+1]
		}
	}
	if len(parts) > 1 {
		return "item " + parts[0] + " " + strings.Join(parts[1:], ".")
	}
	return parts[0]
}

type tenantUser struct {
	UserID     string `json:"userId"`
	Username   string `json:"username"`
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	Role       string `json:"role"`
}

// listUsers answers every member of the tenant, streamed from the service.
func (s *Surface) listUsers(w http.ResponseWriter, r *http.Request) error {
	out := []tenantUser{}
	err := s.svc.TenantDirectory(r.Context(), r.PathValue("tenant"), func(m *roster.Membership) error {
		out = append(out, tenantUser{UserID: m.UserID, Username: m.User.Email, GivenName: m.User.GivenName,
			FamilyName: m.User.FamilyName, Role: service.StrongestBuiltinRole(m.Roles)})
		return nil
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Surface) setRoles(w http.ResponseWriter, r *http.Request) error {
	var in []struct {
		ID   string  `json:"id"`
		Role *string `json:"role"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	var v roster.Validator
	items := make([]service.BulkRoleItem, len(in))
	for i, it := range in {
		v.Check(it.ID != "", fmt.Sprintf("/%d/id", i), "is required")
		v.Check(it.Role != nil && *it.Role != "", fmt.Sprintf("/%d/role", i), "is required")
		if it.Role != nil {
			items[i] = service.BulkRoleItem{UserID: it.ID, Roles: []string{*it.Role}, Builtin: true}
		}
	}
	if err := v.Err(); err != nil { // the service names every other fault, all at once
		return err
	}
	if _, err := s.svc.BulkSetMemberRoles(r.Context(), r.PathValue("tenant"), items); err != nil {
		return err
	}
	reply(w, http.StatusOK, "Roles updated successfully")
	return nil
}

func (s *Surface) setRole(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Role *string `json:"role"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Role == nil || *in.Role == "" {
		return roster.Invalid("role is required.", roster.FieldError{Pointer: "/role", Detail: "is required"})
	}
	if _, err := s.svc.SetMemberBuiltinRole(r.Context(), r.PathValue("tenant"), r.PathValue("userId"), *in.Role); err != nil {
		return err
	}
	reply(w, http.StatusOK, "Role updated successfully")
	return nil
}

func (s *Surface) removeUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.RemoveMember(r.Context(), r.PathValue("tenant"), r.PathValue("userId"), nil); err != nil {
		return err
	}
	reply(w, http.StatusOK, "User removed successfully")
	return nil
}

type tenantJSON struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	DomainPrefix string    `json:"domainPrefix"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

func writeTenant(w http.ResponseWriter, t *roster.Tenant) {
	httpx.WriteJSON(w, http.StatusOK, tenantJSON{ID: t.ID, Name: t.Name, DomainPrefix: t.Slug, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt})
}

func (s *Surface) getTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := s.svc.GetTenant(r.Context(), r.PathValue("tenant"))
	if err != nil {
		return err
	}
	writeTenant(w, t)
	return nil
}

func (s *Surface) renameTenant(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name *string `json:"name"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return roster.Invalid("name is required.", roster.FieldError{Pointer: "/name", Detail: "is required"})
	}
	t, err := s.svc.UpdateTenant(r.Context(), r.PathValue("tenant"), service.TenantInput{Name: in.Name})
	if err != nil {
		return err
	}
	writeTenant(w, t)
	return nil
}

type userJSON struct {
	UserID     string            `json:"userId"`
	Username   string            `json:"username"`
	Email      string            `json:"email"`
	GivenName  string            `json:"givenName"`
	FamilyName string            `json:"familyName"`
	Perms      map[string]string `json:"perms"`
	CreatedAt  time.Time         `json:"createdAt"`
	UpdatedAt  time.Time         `json:"updatedAt"`
}

func (s *Surface) getUser(w http.ResponseWriter, r *http.Request) error {
	u, views, err := s.svc.GetUserWithMemberships(r.Context(), r.PathValue("userId"))
	if err != nil {
		return err
	}
	perms := map[string]string{}
	for _, v := range views {
		perms[v.Tenant.Slug] = service.StrongestBuiltinRole(v.Membership.Roles)
	}
	httpx.WriteJSON(w, http.StatusOK, userJSON{UserID: u.ID, Username: u.Email, Email: u.Email, GivenName: u.GivenName,
		FamilyName: u.FamilyName, Perms: perms, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt})
	return nil
}
