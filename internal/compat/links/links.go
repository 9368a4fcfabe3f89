// Package links serves the Links API's user administration (seed 001) under /compat/links:
// the seed's paths, X-Access-Token header, envelopes, statuses and messages, translated onto
// the same service calls as the native API. Only instance administrators administer users
// here.
//
// domain is a user's scope: "*" for an instance administrator; otherwise the slug of the
// tenant the user joined last ("" for none). Setting "*" makes the user an instance
// administrator; setting a slug makes it an ordinary user and a member of that tenant (role
// user, when it is not one already).
package links

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

// Surface is the Links compatibility surface.
type Surface struct {
	svc *service.Service
	log *slog.Logger
	mux *httpx.Mux
}

// New returns the surface as an http.Handler for paths below its base URL.
func New(svc *service.Service, log *slog.Logger) *Surface {
	s := &Surface{svc: svc, log: log, mux: httpx.NewMux()}
	s.mux.HandleFunc("POST /login", s.wrap(s.login))
	s.handle("GET /users", s.listUsers)
	s.handle("POST /users", s.createUser)
	s.handle("GET /users/{username}", s.getUser)
	s.handle("PUT /users/{username}", s.updateUser)
	s.handle("DELETE /users/{username}", s.deleteUser)
	return s
}

// Routes returns the surface's route patterns, below its base URL.
func (s *Surface) Routes() []string { return s.mux.Routes() }

func (s *Surface) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.Dispatch(w, r, func(status int, msg string) { fail(w, status, msg) })
}

// envelope is the Links answer: data is always an array on success, null on failure.
type envelope struct {
	Status  int    `json:"status"`
	Data    any    `json:"data"`
	Message string `json:"message"`
}

type authFailure struct {
	Status  int    `json:"status"`
	Auth    bool   `json:"auth"`
	Message string `json:"message"`
}

// fieldProblem is one entry of a 422 answer, as the Links API's validator writes them.
type fieldProblem struct {
	Location string `json:"location"`
	Param    string `json:"param"`
	Value    any    `json:"value,omitempty"`
	Msg      string `json:"msg"`
}

func fail(w http.ResponseWriter, status int, msg string) {
	httpx.WriteJSON(w, status, envelope{Status: status, Data: nil, Message: msg})
}

func succeed(w http.ResponseWriter, status int, data any, msg string) {
	httpx.WriteJSON(w, status, envelope{Status: status, Data: data, Message: msg})
}

// invalid is a 422: the fields at fault, each with the value sent (never a password's).
type invalid struct{ problems []fieldProblem }

func (e *invalid) Error() string { return "invalid fields" }

// badRequest is a 400 with a Links message.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func (s *Surface) wrap(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.answer(w, r, err)
		}
	}
}

// handle registers a route for instance administrators, who send their token as X-Access-Token.
func (s *Surface) handle(pattern string, h func(http.ResponseWriter, *http.Request) error) {
	s.mux.HandleFunc(pattern, s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		secret := r.Header.Get("X-Access-Token")
		if secret == "" {
			httpx.WriteJSON(w, http.StatusUnauthorized, authFailure{Status: 401, Message: "No token provided."})
			return nil
		}
		p, err := s.svc.Authenticate(r.Context(), secret)
		if errors.Is(err, service.ErrTokenExpired) {
			httpx.WriteJSON(w, http.StatusUnauthorized, authFailure{Status: 401, Message: "Token has expired."})
			return nil
		}
		if roster.ErrorCodeOf(err) == roster.EUnauthenticated {
			httpx.WriteJSON(w, http.StatusUnauthorized, authFailure{Status: 401, Message: "Failed to authenticate token."})
			return nil
		}
		if err != nil {
			return err
		}
		ctx := roster.NewContextWithPrincipal(r.Context(), p)
		if err := service.RequireInstanceAdmin(ctx); err != nil {
			return err
		}
		return h(w, r.WithContext(ctx))
	}))
}

func (s *Surface) answer(w http.ResponseWriter, r *http.Request, err error) {
	var inv *invalid
	var bad *badRequest
	switch {
	case errors.As(err, &inv):
		httpx.WriteJSON(w, http.StatusUnprocessableEntity, struct {
			Status int            `json:"status"`
			Errors []fieldProblem `json:"errors"`
		}{http.StatusUnprocessableEntity, inv.problems})
		return
	case errors.As(err, &bad):
		fail(w, http.StatusBadRequest, bad.msg)
		return
	case errors.Is(err, httpx.ErrBodyTooLarge):
		fail(w, http.StatusRequestEntityTooLarge, "The request body is larger than 1 MiB.")
		return
	}
	httpx.SetRetryAfter(w, err)
	status, ok := httpx.CompatStatus(err)
	if !ok {
		s.log.ErrorContext(r.Context(), "links request failed", "request_id", roster.RequestInfoFromContext(r.Context()).RequestID, "error", err)
	}
	fail(w, status, roster.ErrorMessageOf(err))
}

// fieldKinds are the body fields each request takes, and whether each is a string or a bool.
var (
	loginFields  = map[string]string{"username": "string", "password": "string"}
	createFields = map[string]string{"username": "string", "password": "string", "email": "string", "domain": "string", "confirm": "bool", "active": "bool"}
	updateFields = map[string]string{"password": "string", "email": "string", "domain": "string", "confirm": "bool", "active": "bool"}
)

// body is a decoded request body: the fields sent, each a string or a bool.
type body map[string]any

func (b body) str(name string) *string {
	if v, ok := b[name].(string); ok {
		return &v
	}
	return nil
}

// text is the string field name, or "" when it was not sent.
func (b body) text(name string) string {
	v, _ := b[name].(string)
	return v
}

func (b body) flag(name string) *bool {
	if v, ok := b[name].(bool); ok {
		return &v
	}
	return nil
}

// readBody decodes a Links request body: a JSON object of known fields of the right types,
// of which the required ones are present and not empty. It names every field at fault; with
// an *invalid it still returns the fields that are of the right type.
func readBody(r *http.Request, fields map[string]string, required ...string) (body, error) {
	raw, err := httpx.ReadBody(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, &badRequest{"Invalid request. Must specify request body."}
	}
	var obj map[string]json.RawMessage
	if err := httpx.CheckJSONShape(raw, nil); errors.Is(err, httpx.ErrInvalidUTF8) {
		return nil, &badRequest{roster.ErrorMessageOf(err)}
	} else if err != nil || json.Unmarshal(raw, &obj) != nil || obj == nil {
		return nil, &badRequest{"Syntax error in Json request."}
	}
	if len(obj) == 0 {
		return nil, &badRequest{"Invalid request. Must specify request body."}
	}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, ok := fields[name]; !ok {
			return nil, &badRequest{fmt.Sprintf("Unknown field %s.", name)}
		}
	}
	out := body{}
	var problems []fieldProblem
	for _, name := range names {
		var v any
		_ = json.Unmarshal(obj[name], &v)
		ok := false
		switch fields[name] {
		case "string":
			_, ok = v.(string)
		case "bool":
			_, ok = v.(bool)
		}
		if ok {
			out[name] = v
		} else {
			problems = append(problems, problem(name, v))
		}
	}
	for _, name := range required {
		if v, sent := obj[name]; !sent || string(v) == `""` {
			problems = append(problems, problem(name, out[name]))
		}
	}
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b fieldProblem) int { return strings.Compare(a.Param, b.Param) })
		return out, &invalid{problems}
	}
	return out, nil
}

// merge adds to inv (which may be nil) the problems of more that it lacks, when more is an
// *invalid; any other error of more wins.
func (inv *invalid) merge(more error) error {
	var other *invalid
	if more != nil && !errors.As(more, &other) {
		return more
	}
	if inv == nil {
		inv = &invalid{}
	}
	if other != nil {
		for _, p := range other.problems {
			if !slices.ContainsFunc(inv.problems, func(q fieldProblem) bool { return q.Param == p.Param }) {
				inv.problems = append(inv.problems, p)
			}
		}
	}
	slices.SortStableFunc(inv.problems, func(a, b fieldProblem) int { return strings.Compare(a.Param, b.Param) })
	return inv
}

// problem is a 422 entry for the field name sent with value v; a password is never echoed.
func problem(name string, v any) fieldProblem {
	p := fieldProblem{Location: "body", Param: name, Value: v, Msg: "Invalid value"}
	if name == "password" {
		p.Value = nil
	}
	return p
}

// linksName maps the service's field names to the Links API's.
var linksName = map[string]string{"login": "username", "join": "domain"}

// asInvalid turns the service's field errors into a 422 naming each field with what was sent.
func asInvalid(err error, in body) error {
	var e *roster.Error
	if !errors.As(err, &e) || e.Code != roster.EInvalid || len(e.Fields) == 0 {
		return err
	}
	var problems []fieldProblem
	for _, f := range e.Fields {
		name := strings.Split(strings.TrimPrefix(f.Pointer, "/"), "/")[0]
		if links, ok := linksName[name]; ok {
			name = links
		}
		if !slices.ContainsFunc(problems, func(p fieldProblem) bool { return p.Param == name }) {
			problems = append(problems, problem(name, in[name]))
		}
	}
	return &invalid{problems}
}

func (s *Surface) login(w http.ResponseWriter, r *http.Request) error {
	in, err := readBody(r, loginFields)
	if err != nil {
		return err
	}
	var username, password string
	if v := in.str("username"); v != nil {
		username = *v
	}
	if v := in.str("password"); v != nil {
		password = *v
	}
	res, err := s.svc.Login(r.Context(), username, password)
	if roster.ErrorCodeOf(err) == roster.EUnauthenticated {
		httpx.WriteJSON(w, http.StatusUnauthorized, authFailure{Status: 401, Message: "Invalid username or password."})
		return nil
	}
	if err != nil {
		return asInvalid(err, in)
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, struct {
		Status int    `json:"status"`
		Auth   bool   `json:"auth"`
		Token  string `json:"token"`
	}{200, true, res.Token})
	return nil
}

// userJSON is a Links user.
type userJSON struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Domain   string `json:"domain"`
	Confirm  bool   `json:"confirm"`
	Active   bool   `json:"active"`
	Updated  string `json:"updated"`
}

type usernameJSON struct {
	Username string `json:"username"`
}

// domainOf is a user's domain: "*" for an instance administrator, else the slug of the
// tenant it joined last ("" for none).
func domainOf(u *roster.User, tenants []roster.UserTenant) string {
	if u.InstanceAdmin {
		return "*"
	}
	var newest *roster.UserTenant
	for i, t := range tenants {
		if newest == nil || !t.JoinedAt.Before(newest.JoinedAt) {
			newest = &tenants[i]
		}
	}
	if newest == nil {
		return ""
	}
	return newest.Tenant.Slug
}

func view(u *roster.User, tenants []roster.UserTenant) userJSON {
	return userJSON{Username: u.Username, Email: u.Email, Domain: domainOf(u, tenants), Confirm: u.EmailVerified, Active: u.Active,
		Updated: u.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000Z")}
}

// listUsers answers every user with its domain, streamed from the service in one read.
func (s *Surface) listUsers(w http.ResponseWriter, r *http.Request) error {
	out := []userJSON{}
	err := s.svc.EachUser(r.Context(), roster.UserFilter{}, func(u *roster.User, tenants []roster.UserTenant) error {
		out = append(out, view(u, tenants))
		return nil
	})
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("%d users found.", len(out))
	if len(out) == 1 {
		msg = "1 user found."
	}
	succeed(w, http.StatusOK, out, msg)
	return nil
}

// notFound answers the Links 404 for the path's user when err is ENotFound, and says whether
// it did.
func notFound(w http.ResponseWriter, r *http.Request, err error) bool {
	if roster.ErrorCodeOf(err) != roster.ENotFound {
		return false
	}
	fail(w, http.StatusNotFound, fmt.Sprintf("User %s Not found.", r.PathValue("username")))
	return true
}

func (s *Surface) getUser(w http.ResponseWriter, r *http.Request) error {
	u, views, err := s.svc.GetUserWithMemberships(r.Context(), r.PathValue("username"))
	if notFound(w, r, err) {
		return nil
	}
	if err != nil {
		return err
	}
	tenants := make([]roster.UserTenant, len(views))
	for i, v := range views {
		tenants[i] = roster.UserTenant{Tenant: v.Tenant, JoinedAt: v.Membership.CreatedAt}
	}
	succeed(w, http.StatusOK, []userJSON{view(u, tenants)}, "1 user found.")
	return nil
}

// scope turns a domain into the service's terms: "*" is an instance administrator, a slug a
// member of that tenant (as user). An unknown slug is a 422.
func (s *Surface) scope(r *http.Request, in body) (admin *bool, join []service.TenantRoles, err error) {
	d := in.str("domain")
	if d == nil {
		return nil, nil, nil
	}
	isAdmin := *d == "*"
	if isAdmin {
		return &isAdmin, nil, nil
	}
	if _, err := s.svc.GetTenant(r.Context(), *d); err != nil {
		if roster.ErrorCodeOf(err) == roster.ENotFound {
			return nil, nil, &invalid{[]fieldProblem{problem("domain", *d)}}
		}
		return nil, nil, err
	}
	return &isAdmin, []service.TenantRoles{{Tenant: *d, Roles: []string{roster.RoleUser}}}, nil
}

func (s *Surface) createUser(w http.ResponseWriter, r *http.Request) error {
	in, err := readBody(r, createFields, "username", "password", "email")
	var bad *invalid
	if err != nil && !errors.As(err, &bad) {
		return err
	}
	admin, join, err := s.scope(r, in)
	if err != nil {
		var unknown *invalid
		if !errors.As(err, &unknown) {
			return err
		}
		bad = bad.merge(unknown).(*invalid)
	}
	cu := service.CreateUserInput{Username: in.text("username"), Email: in.text("email"), Password: in.str("password"),
		Active: in.flag("active"), Join: join}
	if admin != nil {
		cu.InstanceAdmin = *admin
	}
	// Links has no verification mail: a user created here gets none unless the caller asks
	// for one by sending "confirm": false.
	send := false
	cu.SendVerification = &send
	if c := in.flag("confirm"); c != nil {
		cu.EmailVerified = *c
		send = !*c
	}
	if bad != nil { // one answer names every bad field: also those the service would refuse
		return bad.merge(asInvalid(s.svc.CheckNewUser(r.Context(), cu), in))
	}
	u, err := s.svc.CreateUser(r.Context(), cu)
	if err != nil {
		return s.conflictOrInvalid(err, in)
	}
	succeed(w, http.StatusCreated, []usernameJSON{{u.Username}}, "User confirmed.")
	return nil
}

// conflictOrInvalid answers a taken username or email with Links' 400 messages.
func (s *Surface) conflictOrInvalid(err error, in body) error {
	var e *roster.Error
	if errors.As(err, &e) && e.Code == roster.EConflict && len(e.Fields) > 0 {
		switch e.Fields[0].Pointer {
		case "/username":
			return &badRequest{fmt.Sprintf("User %s already exists.", *in.str("username"))}
		case "/email":
			return &badRequest{fmt.Sprintf("User with email %s already exists.", *in.str("email"))}
		}
	}
	return asInvalid(err, in)
}

func (s *Surface) updateUser(w http.ResponseWriter, r *http.Request) error {
	in, err := readBody(r, updateFields)
	if err != nil {
		return err
	}
	admin, join, err := s.scope(r, in)
	if err != nil {
		return err
	}
	u, err := s.svc.UpdateUser(r.Context(), r.PathValue("username"), service.UpdateUserInput{
		Email: in.str("email"), EmailVerified: in.flag("confirm"), Active: in.flag("active"),
		InstanceAdmin: admin, Password: in.str("password"), Join: join,
	})
	if notFound(w, r, err) {
		return nil
	}
	if err != nil {
		return s.conflictOrInvalid(err, in)
	}
	succeed(w, http.StatusOK, []usernameJSON{{u.Username}}, "User updated.")
	return nil
}

func (s *Surface) deleteUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.svc.DeleteUser(r.Context(), r.PathValue("username"), nil)
	if notFound(w, r, err) {
		return nil
	}
	if err != nil {
		return err
	}
	succeed(w, http.StatusOK, []usernameJSON{{u.Username}}, "User deleted.")
	return nil
}
