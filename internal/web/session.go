package web

import (
	"net/http"
	"strings"
	"time"
)

// Cookie names. Over https the session cookie carries the __Host- prefix, which browsers
// accept only when it is Secure, for the whole host and without a Domain: no sibling
// subdomain can set or overwrite it.
const (
	sessionCookie       = "roster_session"
	secureSessionCookie = "__Host-roster_session"
	preSessionCookie    = "roster_presession"
	flashCookie         = "roster_flash"
)

// SessionCookieName is the name of the session cookie for requests like r.
func (c Config) SessionCookieName(r *http.Request) string {
	if c.Secure(r) {
		return secureSessionCookie
	}
	return sessionCookie
}

// SessionSecret returns the session secret the request's cookie holds, or "".
func (c Config) SessionSecret(r *http.Request) string {
	ck, err := r.Cookie(c.SessionCookieName(r))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(ck.Value)
}

// SetSession stores a session secret (an "rss_…" Roster session) in an HttpOnly cookie that
// lasts as long as the session.
func (c Config) SetSession(w http.ResponseWriter, r *http.Request, secret string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: c.SessionCookieName(r), Value: secret, Path: "/", Expires: expires,
		HttpOnly: true, Secure: c.Secure(r), SameSite: http.SameSiteLaxMode,
	})
	c.clear(w, r, preSessionCookie, "/")
}

// ClearSession removes the session cookie (the session itself is ended by the service).
func (c Config) ClearSession(w http.ResponseWriter, r *http.Request) {
	c.clear(w, r, c.SessionCookieName(r), "/")
}

func (c Config) clear(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1,
		HttpOnly: true, Secure: c.Secure(r), SameSite: http.SameSiteLaxMode})
}
