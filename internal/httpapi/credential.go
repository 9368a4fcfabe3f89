package httpapi

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
)

type tokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Hint       string     `json:"hint"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func tokenView(k *roster.APIToken) tokenJSON {
	return tokenJSON{ID: k.ID, Name: k.Name, Hint: k.Hint, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt}
}

type sessionInfoJSON struct {
	ID         string     `json:"id"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ClientAddr string     `json:"client_addr"`
	UserAgent  string     `json:"user_agent"`
	Current    bool       `json:"current"`
}

// meID is the calling user's id, or "" for a service account (which the service refuses).
func meID(r *http.Request) string {
	if p := roster.PrincipalFromContext(r.Context()); p != nil && p.User != nil {
		return p.User.ID
	}
	return ""
}

// parseTime reads an optional RFC 3339 time from a body field.
func parseTime(v *roster.Validator, ptr string, s *string) *time.Time {
	if s == nil {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		v.Field(ptr, "must be an RFC 3339 time such as 2027-01-31T00:00:00Z")
		return nil
	}
	return &t
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name      string  `json:"name"`
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
	res, err := a.svc.CreateAPIToken(r.Context(), in.Name, expires)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", "/v1/me/tokens/"+res.Token.ID)
	httpx.WriteJSON(w, http.StatusCreated, struct {
		tokenJSON
		Token string `json:"token"`
	}{tokenView(res.Token), res.Secret})
	return nil
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request, userID string) error {
	tokens, err := a.svc.ListAPITokens(r.Context(), userID)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newList(tokens, "", tokenView))
	return nil
}

func (a *API) listMyTokens(w http.ResponseWriter, r *http.Request) error {
	return a.listTokens(w, r, meID(r))
}

func (a *API) listUserTokens(w http.ResponseWriter, r *http.Request) error {
	return a.listTokens(w, r, r.PathValue("user"))
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request, userID string) error {
	if err := a.svc.RevokeAPIToken(r.Context(), userID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) revokeMyToken(w http.ResponseWriter, r *http.Request) error {
	return a.revokeToken(w, r, meID(r))
}

func (a *API) revokeUserToken(w http.ResponseWriter, r *http.Request) error {
	return a.revokeToken(w, r, r.PathValue("user"))
}

func (a *API) listSessions(w http.ResponseWriter, r *http.Request, userID string) error {
	sessions, err := a.svc.ListSessions(r.Context(), userID)
	if err != nil {
		return err
	}
	current := ""
	if p := roster.PrincipalFromContext(r.Context()); p.Session != nil {
		current = p.Session.ID
	}
	httpx.WriteJSON(w, http.StatusOK, newList(sessions, "", func(s *roster.Session) sessionInfoJSON {
		return sessionInfoJSON{ID: s.ID, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, LastUsedAt: s.LastUsedAt,
			ClientAddr: s.ClientAddr, UserAgent: s.UserAgent, Current: s.ID == current}
	}))
	return nil
}

func (a *API) listMySessions(w http.ResponseWriter, r *http.Request) error {
	return a.listSessions(w, r, meID(r))
}

func (a *API) listUserSessions(w http.ResponseWriter, r *http.Request) error {
	return a.listSessions(w, r, r.PathValue("user"))
}

func (a *API) revokeSession(w http.ResponseWriter, r *http.Request, userID string) error {
	if err := a.svc.RevokeSession(r.Context(), userID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) revokeMySession(w http.ResponseWriter, r *http.Request) error {
	return a.revokeSession(w, r, meID(r))
}

func (a *API) revokeUserSession(w http.ResponseWriter, r *http.Request) error {
	return a.revokeSession(w, r, r.PathValue("user"))
}

func (a *API) revokeAllUserSessions(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.RevokeAllSessions(r.Context(), r.PathValue("user")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
