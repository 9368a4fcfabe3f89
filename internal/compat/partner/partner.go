// Package partner serves the partner-portal users API (seed 003) under /compat/partner: a
// portal's backend, holding a service-account key ("Bearer sk:…") of the portal's tenant, pages
// through, reads, creates and removes the portal's users. {portalId} is a tenant id or slug;
// an instance administrator's token is accepted too.
//
// Users are listed in the order of their ids, which follows creation time (oldest first).
// first_name and last_name are given and family name, last_logged_at the last login (of
// accounts the portal manages). What the portal may see and do is the service's to decide: a
// user created with an email Roster already knows is invited when the portal does not manage
// it (the answer shows what the caller sent, nothing stored), and removing a user deletes the
// account only when the portal manages it and no other tenant holds it. attributes are
// accepted and not kept: Roster has no place for them yet.
package partner

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

// Config tunes the surface.
type Config struct {
	// RateLimit is how many requests one key (or one client address, before it is known) may
	// make a minute.
	RateLimit int64
}

// Surface is the partner-portal compatibility surface.
type Surface struct {
	svc *service.Service
	log *slog.Logger
	cfg Config
	mux *httpx.Mux
}

// New returns the surface as an http.Handler for paths below its base URL.
func New(svc *service.Service, log *slog.Logger, cfg Config) *Surface {
	s := &Surface{svc: svc, log: log, cfg: cfg, mux: httpx.NewMux()}
	s.mux.HandleFunc("GET /v1/partner-portals/{portalId}/users", s.wrap(s.listUsers))
	s.mux.HandleFunc("POST /v1/partner-portals/{portalId}/users", s.wrap(s.createUser))
	s.mux.HandleFunc("GET /v1/partner-portals/{portalId}/users/{userId}", s.wrap(s.getUser))
	s.mux.HandleFunc("DELETE /v1/partner-portals/{portalId}/users/{userId}", s.wrap(s.deleteUser))
	return s
}

// errorJSON is the seed's error body.
type errorJSON struct {
	StatusCode int    `json:"status_code"`
	Message    string `json:"message"`
	RequestID  string `json:"request_id"`
}

// Routes returns the surface's route patterns, below its base URL.
func (s *Surface) Routes() []string { return s.mux.Routes() }

func (s *Surface) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.Dispatch(w, r, func(status int, msg string) { s.fail(w, r, status, msg) })
}

func (s *Surface) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	httpx.WriteJSON(w, status, errorJSON{StatusCode: status, Message: msg, RequestID: roster.RequestInfoFromContext(r.Context()).RequestID})
}

func (s *Surface) answer(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, httpx.ErrBodyTooLarge):
		s.fail(w, r, http.StatusRequestEntityTooLarge, "The request body is larger than 1 MiB.")
		return
	case errors.Is(err, httpx.ErrMediaType):
		s.fail(w, r, http.StatusUnsupportedMediaType, "Send the request body as JSON with Content-Type: application/json.")
		return
	}
	httpx.SetRetryAfter(w, err)
	status, ok := httpx.CompatStatus(err)
	if !ok {
		s.log.ErrorContext(r.Context(), "partner request failed", "request_id", roster.RequestInfoFromContext(r.Context()).RequestID, "error", err)
	}
	msg := roster.ErrorMessageOf(err)
	var e *roster.Error
	if errors.As(err, &e) && e.Code == roster.EInvalid && len(e.Fields) > 0 {
		var parts []string
		for _, f := range e.Fields {
			name := f.Parameter
			if name == "" {
				name = strings.ReplaceAll(strings.TrimPrefix(f.Pointer, "/"), "/", ".")
			}
			parts = append(parts, name+" "+f.Detail)
		}
		msg = "Invalid request: " + strings.Join(parts, "; ") + "."
	}
	s.fail(w, r, status, msg)
}

// wrap authenticates the key, counts the request against its rate limit (or the client
// address's, when there is no valid key), sets the rate-limit headers on every answer, and
// answers errors in the seed's shape.
func (s *Surface) wrap(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, authErr := s.authenticate(r)
		bucket := "partner:addr:" + roster.RequestInfoFromContext(r.Context()).ClientAddr
		if authErr == nil {
			bucket = "partner:" + credentialID(p)
		}
		q, err := s.svc.Hit(r.Context(), bucket, s.cfg.RateLimit, time.Minute)
		if err != nil {
			s.answer(w, r, err)
			return
		}
		reset := strconv.Itoa(int(q.Reset.Seconds() + 0.999))
		w.Header().Set("X-RateLimit-Limit", strconv.FormatInt(q.Limit, 10))
		w.Header().Set("X-RateLimit-Remaining", strconv.FormatInt(q.Remaining, 10))
		w.Header().Set("X-RateLimit-Reset", reset)
		switch {
		case !q.Allowed:
			w.Header().Set("Retry-After", reset)
			s.fail(w, r, http.StatusTooManyRequests, fmt.Sprintf("Rate limit of %d requests a minute exceeded; retry in %s seconds.", q.Limit, reset))
		case authErr != nil:
			s.fail(w, r, http.StatusUnauthorized, "Pass a service account key as the Bearer token: Authorization: Bearer sk:….")
		default:
			if err := h(w, r.WithContext(roster.NewContextWithPrincipal(r.Context(), p))); err != nil {
				s.answer(w, r, err)
			}
		}
	}
}

func (s *Surface) authenticate(r *http.Request) (*roster.Principal, error) {
	secret, err := httpx.BearerToken(r)
	if err != nil {
		return nil, err
	}
	return s.svc.Authenticate(r.Context(), secret)
}

// credentialID names the credential a request came with, for its rate-limit bucket.
func credentialID(p *roster.Principal) string {
	switch {
	case p.Key != nil:
		return p.Key.ID
	case p.Token != nil:
		return p.Token.ID
	case p.Session != nil:
		return p.Session.ID
	}
	return "unknown"
}

// userJSON is a portal user.
type userJSON struct {
	ID           string  `json:"id"`
	FirstName    string  `json:"first_name"`
	LastName     string  `json:"last_name"`
	Email        string  `json:"email"`
	LastLoggedAt *string `json:"last_logged_at"`
}

func userView(u *roster.User) userJSON {
	out := userJSON{ID: u.ID, FirstName: u.GivenName, LastName: u.FamilyName, Email: u.Email}
	if u.LastLoginAt != nil {
		at := u.LastLoginAt.UTC().Format(time.RFC3339)
		out.LastLoggedAt = &at
	}
	return out
}

type nextJSON struct {
	After string `json:"after"`
}

type pagingJSON struct {
	Next *nextJSON `json:"next,omitempty"`
}

func (s *Surface) listUsers(w http.ResponseWriter, r *http.Request) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return roster.Errorf(roster.EInvalid, "The query string is malformed.")
	}
	var v roster.Validator
	o := service.ListOptions{Limit: service.DefaultLimit}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > service.MaxLimit {
			v.Param("limit", "must be a whole number from 1 to %d", service.MaxLimit)
		}
		o.Limit = n
	}
	if a := q.Get("after"); a != "" {
		key, err := base64.RawURLEncoding.DecodeString(a)
		if err != nil || !roster.IsID(roster.PrefixUser, string(key)) {
			v.Param("after", "is malformed; pass paging.next.after of a previous page unchanged")
		}
		o.After = string(key)
	}
	if err := v.Err(); err != nil {
		return err
	}
	ms, next, err := s.svc.ListMembers(r.Context(), r.PathValue("portalId"), service.MemberQuery{}, o)
	if err != nil {
		return err
	}
	out := struct {
		Data   []userJSON `json:"data"`
		Paging pagingJSON `json:"paging"`
	}{Data: []userJSON{}}
	for _, m := range ms {
		out.Data = append(out.Data, userView(m.User))
	}
	if next != "" {
		out.Paging.Next = &nextJSON{After: base64.RawURLEncoding.EncodeToString([]byte(next))}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Surface) getUser(w http.ResponseWriter, r *http.Request) error {
	m, err := s.svc.GetMember(r.Context(), r.PathValue("portalId"), r.PathValue("userId"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, userView(m.User))
	return nil
}

func (s *Surface) createUser(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		FirstName  string         `json:"first_name"`
		LastName   string         `json:"last_name"`
		Email      string         `json:"email"`
		Roles      []string       `json:"roles"`
		Password   *string        `json:"password"`
		Locale     string         `json:"locale"`
		Attributes map[string]any `json:"attributes"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	var v roster.Validator
	v.Check(strings.TrimSpace(in.FirstName) != "", "/first_name", "is required")
	v.Check(strings.TrimSpace(in.LastName) != "", "/last_name", "is required")
	v.Check(in.Email != "", "/email", "is required")
	v.Check(len(in.Roles) > 0, "/roles", "must name at least one role")
	if err := v.Err(); err != nil {
		return err
	}
	if in.Locale == "" {
		in.Locale = "en_US"
	}
	m, err := s.svc.CreateUserInTenant(r.Context(), r.PathValue("portalId"), service.CreateUserInput{
		Email: in.Email, GivenName: in.FirstName, FamilyName: in.LastName, Locale: in.Locale, Password: in.Password,
	}, in.Roles)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, userView(m.User))
	return nil
}

func (s *Surface) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("userId")
	if _, err := s.svc.RemoveFromTenant(r.Context(), r.PathValue("portalId"), id); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, struct {
		ID        string `json:"id"`
		IsDeleted bool   `json:"isDeleted"`
	}{id, true})
	return nil
}
