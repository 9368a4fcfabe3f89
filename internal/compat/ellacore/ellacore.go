// Package ellacore serves Ella Core's users API (seed 002) under /compat/ellacore, bound to
// one Roster tenant (slug "ellacore" unless configured), which the server binds at start-up.
//
// role_id maps onto that tenant's built-in roles as the seed numbers them: 1 (administrator)
// is admin, 2 (network manager) is user, 3 (read only) is viewer. Ella Core's own code later
// swapped 2 and 3; the seed is the specification. A member shows as its strongest built-in
// role (service.StrongestBuiltinRole). Who may do what is the service's to decide, as on the
// native API: reading users needs members:read, changing them members:write. Answers are
// {"result": …} or {"error": "…"}; requests need no Content-Type.
package ellacore

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

// Config binds the surface.
type Config struct {
	Tenant  string // id of the tenant whose members are Ella Core's users; it must exist
	Version string // reported by /api/v1/status
}

// Surface is the Ella Core compatibility surface.
type Surface struct {
	svc *service.Service
	log *slog.Logger
	cfg Config
	mux *httpx.Mux
}

// Role ids as the seed numbers them.
const (
	roleAdmin    = 1
	roleManager  = 2
	roleReadOnly = 3
)

var roleNames = map[int]string{roleAdmin: roster.RoleAdmin, roleManager: roster.RoleUser, roleReadOnly: roster.RoleViewer}

// roleIDs is roleNames the other way round.
var roleIDs = map[string]int{roster.RoleAdmin: roleAdmin, roster.RoleUser: roleManager, roster.RoleViewer: roleReadOnly}

// roleID is the role id a member shows as: its strongest built-in role.
func roleID(roles []*roster.Role) int { return roleIDs[service.StrongestBuiltinRole(roles)] }

// New returns the surface as an http.Handler for paths below its base URL.
func New(svc *service.Service, log *slog.Logger, cfg Config) *Surface {
	s := &Surface{svc: svc, log: log, cfg: cfg, mux: httpx.NewMux()}
	s.mux.HandleFunc("GET /api/v1/status", s.wrap(s.status))
	s.mux.HandleFunc("POST /api/v1/auth/login", s.wrap(s.login))
	s.mux.HandleFunc("POST /api/v1/auth/lookup-token", s.wrap(s.lookupToken))
	s.mux.HandleFunc("POST /api/v1/users", s.wrap(s.createUser)) // the first user needs no token
	s.handle("GET /api/v1/users", s.listUsers)
	s.handleSelf("GET /api/v1/users/me", s.me)
	s.handleSelf("PUT /api/v1/users/me/password", s.setOwnPassword)
	s.handleSelf("GET /api/v1/users/me/api-tokens", s.listTokens)
	s.handleSelf("POST /api/v1/users/me/api-tokens", s.createToken)
	s.handleSelf("DELETE /api/v1/users/me/api-tokens/{id}", s.deleteToken)
	s.handle("GET /api/v1/users/{email}", s.getUser)
	s.handle("PUT /api/v1/users/{email}", s.updateUser)
	s.handle("DELETE /api/v1/users/{email}", s.deleteUser)
	s.handle("PUT /api/v1/users/{email}/password", s.setPassword)
	return s
}

// Routes returns the surface's route patterns, below its base URL.
func (s *Surface) Routes() []string { return s.mux.Routes() }

func (s *Surface) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.Dispatch(w, r, func(status int, msg string) { failWith(w, status, msg) })
}

// problem is an answer with Ella Core's status and message.
type problem struct {
	status int
	msg    string
}

func (p *problem) Error() string { return p.msg }

func fail(status int, msg string) error { return &problem{status, msg} }

var (
	errInvalidToken = fail(http.StatusUnauthorized, "Invalid token")
	errNoToken      = fail(http.StatusUnauthorized, "Authorization header is required")
	errForbidden    = fail(http.StatusForbidden, "Forbidden")
	errBadJSON      = fail(http.StatusBadRequest, "Invalid request data")
	errNoUser       = fail(http.StatusNotFound, "User not found")
	// Ella Core's call has no field for the current password.
	errPasswordSession = fail(http.StatusForbidden,
		"Changing your password needs a session from a password login: log in with your email and password (POST /api/v1/auth/login) and use that session token, not an API token.")
)

func failWith(w http.ResponseWriter, status int, msg string) {
	httpx.WriteJSON(w, status, struct {
		Error string `json:"error"`
	}{msg})
}

func ok(w http.ResponseWriter, status int, result any) {
	httpx.WriteJSON(w, status, struct {
		Result any `json:"result"`
	}{result})
}

type messageJSON struct {
	Message string `json:"message"`
}

func (s *Surface) wrap(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.answer(w, r, err)
		}
	}
}

func (s *Surface) answer(w http.ResponseWriter, r *http.Request, err error) {
	var p *problem
	switch code := roster.ErrorCodeOf(err); {
	case errors.As(err, &p):
	case errors.Is(err, httpx.ErrBodyTooLarge), isDecodeError(err):
		p = errBadJSON.(*problem)
	case errors.Is(err, service.ErrPasswordSessionRequired):
		p = errPasswordSession.(*problem)
	case errors.Is(err, service.ErrNotManager):
		p = &problem{http.StatusForbidden, roster.ErrorMessageOf(err)}
	case errors.Is(err, service.ErrTenantNotFound):
		// The bound tenant exists (the server made sure at start-up): the caller is not one
		// of its users.
		p = errForbidden.(*problem)
	case code == roster.EUnauthenticated:
		p = errInvalidToken.(*problem)
	case code == roster.EForbidden:
		p = errForbidden.(*problem)
	case code == roster.ENotFound:
		p = errNoUser.(*problem)
	default:
		status, known := httpx.CompatStatus(err)
		if !known {
			s.log.ErrorContext(r.Context(), "ellacore request failed", "request_id", roster.RequestInfoFromContext(r.Context()).RequestID, "error", err)
		}
		p = &problem{status, describe(err)}
	}
	httpx.SetRetryAfter(w, err)
	failWith(w, p.status, p.msg)
}

// decodeFailed marks errors from reading a request body.
type decodeFailed struct{ error }

func isDecodeError(err error) bool {
	var d decodeFailed
	return errors.As(err, &d)
}

// decode reads a JSON body, with or without a Content-Type. Invalid UTF-8 is named, not
// lumped in with "Invalid request data".
func decode(r *http.Request, dst any) error {
	err := httpx.DecodeJSONBody(r, dst)
	switch {
	case errors.Is(err, httpx.ErrInvalidUTF8):
		return fail(http.StatusBadRequest, roster.ErrorMessageOf(err))
	case err != nil:
		return decodeFailed{err}
	}
	return nil
}

// describe renders a service error, naming the first field at fault.
func describe(err error) string {
	var e *roster.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		f := e.Fields[0]
		name := strings.TrimPrefix(f.Pointer, "/")
		return strings.ToUpper(name[:1]) + strings.ReplaceAll(name[1:], "_", " ") + " " + f.Detail
	}
	return roster.ErrorMessageOf(err)
}

type accessKey struct{}

// handle registers a route that needs a Bearer token; the service decides what the caller may
// do there.
func (s *Surface) handle(pattern string, h func(http.ResponseWriter, *http.Request) error) {
	s.mux.HandleFunc(pattern, s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		ctx, err := s.authenticate(r)
		if err != nil {
			return err
		}
		return h(w, r.WithContext(ctx))
	}))
}

// handleSelf registers a route about the caller itself, for Ella Core's users: the people the
// service finds acting in the bound tenant (its members, and instance administrators). The
// context carries what the service says the caller may do there.
func (s *Surface) handleSelf(pattern string, h func(http.ResponseWriter, *http.Request) error) {
	s.handle(pattern, func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.svc.MyAccess(r.Context(), s.cfg.Tenant)
		if err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), accessKey{}, a)))
	})
}

// authenticate resolves the Bearer token to the principal the context it returns carries.
func (s *Surface) authenticate(r *http.Request) (context.Context, error) {
	secret, err := httpx.BearerToken(r)
	if errors.Is(err, httpx.ErrNoCredentials) {
		return nil, errNoToken
	}
	if err != nil {
		return nil, errInvalidToken
	}
	p, err := s.svc.Authenticate(r.Context(), secret)
	if roster.ErrorCodeOf(err) == roster.EUnauthenticated {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, err
	}
	return roster.NewContextWithPrincipal(r.Context(), p), nil
}

func accessFrom(ctx context.Context) *service.Access { return ctx.Value(accessKey{}).(*service.Access) }

func userOf(ctx context.Context) *roster.User { return roster.PrincipalFromContext(ctx).User }

type userJSON struct {
	Email  string `json:"email"`
	RoleID int    `json:"role_id"`
}

func (s *Surface) status(w http.ResponseWriter, r *http.Request) error {
	initialized, err := s.svc.Initialized(r.Context())
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, struct {
		Version     string `json:"version"`
		Initialized bool   `json:"initialized"`
	}{s.cfg.Version, initialized})
	return nil
}

func (s *Surface) login(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	switch {
	case in.Email == "":
		return fail(http.StatusBadRequest, "Email is required")
	case in.Password == "":
		return fail(http.StatusBadRequest, "Password is required")
	}
	res, err := s.svc.Login(r.Context(), in.Email, in.Password)
	if roster.ErrorCodeOf(err) == roster.EUnauthenticated {
		return fail(http.StatusUnauthorized, "The email or password is incorrect. Try again.")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	ok(w, http.StatusOK, struct {
		Token string `json:"token"`
	}{res.Token})
	return nil
}

func (s *Surface) lookupToken(w http.ResponseWriter, r *http.Request) error {
	if r.Header.Get("Authorization") == "" {
		return fail(http.StatusBadRequest, "Authorization header is required")
	}
	secret, err := httpx.BearerToken(r)
	valid := err == nil
	if valid {
		_, err = s.svc.Authenticate(r.Context(), secret)
		valid = err == nil
		if err != nil && roster.ErrorCodeOf(err) != roster.EUnauthenticated {
			return err
		}
	}
	ok(w, http.StatusOK, struct {
		Valid bool `json:"valid"`
	}{valid})
	return nil
}

func (s *Surface) listUsers(w http.ResponseWriter, r *http.Request) error {
	out := []userJSON{}
	err := s.svc.EachMember(r.Context(), s.cfg.Tenant, service.MemberQuery{}, func(m *roster.Membership) error {
		if m.User.Email != "" { // an invitation made by id elsewhere: Ella Core names users by email
			out = append(out, userJSON{Email: m.User.Email, RoleID: roleID(m.Roles)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, out)
	return nil
}

type createUserBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	RoleID   int    `json:"role_id"`
}

// createUser adds a user with a role. While the instance has no user at all it needs no token
// and creates the instance's first administrator (role_id must be 1); once any user exists, a
// call without a token is refused, so an installation in use can never be claimed this way.
func (s *Surface) createUser(w http.ResponseWriter, r *http.Request) error {
	var in createUserBody
	if err := decode(r, &in); err != nil {
		return err
	}
	switch {
	case in.Email == "":
		return fail(http.StatusBadRequest, "email is missing")
	case in.Password == "":
		return fail(http.StatusBadRequest, "password is missing")
	case service.CheckEmail(in.Email) != nil:
		return fail(http.StatusBadRequest, "Invalid email format")
	case roleNames[in.RoleID] == "":
		return fail(http.StatusBadRequest, "Invalid role ID")
	}
	if r.Header.Get("Authorization") == "" {
		return s.createFirstUser(w, r, in)
	}
	ctx, err := s.authenticate(r)
	if err != nil {
		return err
	}
	// An email Roster knows already is added (or invited, when the tenant does not manage
	// it) with the same answer as a new user: the caller learns nothing it did not send.
	_, created := s.svc.CreateUserInTenant(ctx, s.cfg.Tenant, service.CreateUserInput{Email: in.Email, Password: &in.Password},
		[]string{roleNames[in.RoleID]})
	if roster.ErrorCodeOf(created) == roster.EConflict {
		return fail(http.StatusBadRequest, "user already exists")
	}
	if created != nil {
		return created
	}
	ok(w, http.StatusCreated, messageJSON{"User created successfully"})
	return nil
}

func (s *Surface) createFirstUser(w http.ResponseWriter, r *http.Request, in createUserBody) error {
	initialized, err := s.svc.Initialized(r.Context())
	if err != nil {
		return err
	}
	if initialized {
		return errNoToken
	}
	if in.RoleID != roleAdmin {
		return fail(http.StatusBadRequest, "First user must be an admin")
	}
	_, err = s.svc.Bootstrap(r.Context(), service.BootstrapInput{Email: in.Email, Password: in.Password,
		Join: []service.TenantRoles{{Tenant: s.cfg.Tenant, Roles: []string{roster.RoleAdmin}}}})
	if roster.ErrorCodeOf(err) == roster.EConflict { // another first user won the race
		return errNoToken
	}
	if err != nil {
		return err
	}
	ok(w, http.StatusCreated, messageJSON{"User created successfully"})
	return nil
}

func (s *Surface) getUser(w http.ResponseWriter, r *http.Request) error {
	m, err := s.svc.GetMember(r.Context(), s.cfg.Tenant, r.PathValue("email"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, userJSON{Email: m.User.Email, RoleID: roleID(m.Roles)})
	return nil
}

func (s *Surface) updateUser(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email  string `json:"email"`
		RoleID int    `json:"role_id"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if roleNames[in.RoleID] == "" {
		return fail(http.StatusBadRequest, "Invalid role ID")
	}
	// The path names the user by email; a body that names another is a mistake.
	if in.Email != "" && !strings.EqualFold(in.Email, r.PathValue("email")) {
		return fail(http.StatusBadRequest, "Email does not match the user")
	}
	if _, err := s.svc.SetMemberBuiltinRole(r.Context(), s.cfg.Tenant, r.PathValue("email"), roleNames[in.RoleID]); err != nil {
		return err
	}
	ok(w, http.StatusOK, messageJSON{"User updated successfully"})
	return nil
}

func (s *Surface) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.svc.RemoveFromTenant(r.Context(), s.cfg.Tenant, r.PathValue("email")); err != nil {
		return err
	}
	ok(w, http.StatusOK, messageJSON{"User deleted successfully"})
	return nil
}

type passwordBody struct {
	Password string `json:"password"`
}

func readPassword(r *http.Request) (string, error) {
	var in passwordBody
	if err := decode(r, &in); err != nil {
		return "", err
	}
	if in.Password == "" {
		return "", fail(http.StatusBadRequest, "password is missing")
	}
	return in.Password, nil
}

func (s *Surface) setPassword(w http.ResponseWriter, r *http.Request) error {
	pw, err := readPassword(r)
	if err != nil {
		return err
	}
	if err := s.svc.SetMemberPassword(r.Context(), s.cfg.Tenant, r.PathValue("email"), pw); err != nil {
		return err
	}
	ok(w, http.StatusOK, messageJSON{"User password updated successfully"})
	return nil
}

func (s *Surface) me(w http.ResponseWriter, r *http.Request) error {
	ok(w, http.StatusOK, userJSON{Email: userOf(r.Context()).Email, RoleID: roleIDs[accessFrom(r.Context()).Role]})
	return nil
}

func (s *Surface) setOwnPassword(w http.ResponseWriter, r *http.Request) error {
	pw, err := readPassword(r)
	if err != nil {
		return err
	}
	if err := s.svc.ChangeOwnPassword(r.Context(), pw); err != nil {
		return err
	}
	ok(w, http.StatusOK, messageJSON{"User password updated successfully"})
	return nil
}

type tokenJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	ExpiresAt string `json:"expires_at"`
}

func (s *Surface) listTokens(w http.ResponseWriter, r *http.Request) error {
	tokens, err := s.svc.ListAPITokens(r.Context(), userOf(r.Context()).ID)
	if err != nil {
		return err
	}
	out := []tokenJSON{}
	for _, k := range tokens {
		t := tokenJSON{ID: k.ID, Name: k.Name}
		if k.PublicID != "" {
			t.ID = k.PublicID
		}
		if k.ExpiresAt != nil {
			t.ExpiresAt = k.ExpiresAt.UTC().Format(time.RFC3339)
		}
		out = append(out, t)
	}
	ok(w, http.StatusOK, out)
	return nil
}

func (s *Surface) createToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name      string `json:"name"`
		ExpiresAt string `json:"expires_at"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Name == "" {
		return fail(http.StatusBadRequest, "Token name is required")
	}
	if n := len([]rune(in.Name)); n < 3 || n > 50 {
		return fail(http.StatusBadRequest, "Token name must be between 3 and 50 characters")
	}
	var expires *time.Time
	if in.ExpiresAt != "" {
		at, err := time.Parse(time.RFC3339, in.ExpiresAt)
		if err != nil {
			return fail(http.StatusBadRequest, "Invalid expiration time format")
		}
		if !at.After(time.Now()) {
			return fail(http.StatusBadRequest, "Expiration time must be in the future")
		}
		expires = &at
	}
	res, err := s.svc.CreateAPITokenInFormat(r.Context(), in.Name, expires, service.FormatEllaCore)
	if roster.ErrorCodeOf(err) == roster.EConflict {
		return fail(http.StatusConflict, "API token with this name already exists")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	ok(w, http.StatusCreated, struct {
		Token string `json:"token"`
	}{res.Secret})
	return nil
}

func (s *Surface) deleteToken(w http.ResponseWriter, r *http.Request) error {
	err := s.svc.RevokeAPIToken(r.Context(), userOf(r.Context()).ID, r.PathValue("id"))
	if roster.ErrorCodeOf(err) == roster.ENotFound {
		return fail(http.StatusNotFound, "API token not found")
	}
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, messageJSON{"API token deleted successfully"})
	return nil
}
