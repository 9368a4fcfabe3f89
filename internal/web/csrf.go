package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"

	"github.com/rosterhq/roster"
)

// CSRFField is the name of the form field that carries the CSRF token.
const CSRFField = "csrf"

// ErrCSRF refuses a state-changing request that did not come from one of Roster's own pages.
var ErrCSRF = roster.Errorf(roster.EForbidden,
	"This form was not sent from Roster's own page (the CSRF check failed). Reload the page and try again.")

// csrfMAC derives the CSRF token of a session from its secret. The secret never leaves the
// HttpOnly cookie; the token, which cannot be turned back into it, goes into every form.
func csrfMAC(key string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("roster csrf v1"))
	return m.Sum(nil)
}

// CSRFToken returns a CSRF token for forms of the session with this secret. Each call masks
// the token with fresh random bytes, so that a compressed page holding it and reflected input
// does not reveal it (BREACH).
func CSRFToken(secret string) string {
	mac := csrfMAC(secret)
	out := make([]byte, 2*len(mac))
	_, _ = rand.Read(out[:len(mac)])
	for i := range mac {
		out[len(mac)+i] = out[i] ^ mac[i]
	}
	return base64.RawURLEncoding.EncodeToString(out)
}

// validCSRF reports whether token is a (masked) token of the session with this secret.
func validCSRF(secret, token string) bool {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	mac := csrfMAC(secret)
	if err != nil || len(raw) != 2*len(mac) {
		return false
	}
	got := make([]byte, len(mac))
	for i := range mac {
		got[i] = raw[i] ^ raw[len(mac)+i]
	}
	return subtle.ConstantTimeCompare(got, mac) == 1
}

// PreSessionToken returns the CSRF token for a form shown before anyone is signed in (the
// sign-in form), setting the random pre-session cookie it derives from when there is none.
func (c Config) PreSessionToken(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(preSessionCookie); err == nil && len(ck.Value) >= 32 {
		return CSRFToken(ck.Value)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: preSessionCookie, Value: v, Path: "/", MaxAge: 3600,
		HttpOnly: true, Secure: c.Secure(r), SameSite: http.SameSiteLaxMode})
	return CSRFToken(v)
}

// CheckCSRF refuses, with ErrCSRF, a state-changing request that came from another site or
// lacks the token of its session (secret; "" before sign-in, when the pre-session cookie's
// token is asked for). Call it after ParseForm.
//
// The origin check reads Sec-Fetch-Site where the browser sends it, else Origin. Pages are
// served with Referrer-Policy: no-referrer, under which browsers send "Origin: null", so a
// null origin is left to the token.
func (c Config) CheckCSRF(r *http.Request, secret string) error {
	switch site := r.Header.Get("Sec-Fetch-Site"); {
	case site != "":
		if site != "same-origin" && site != "none" {
			return ErrCSRF
		}
	default:
		if o := strings.ToLower(r.Header.Get("Origin")); o != "" && o != "null" && !slices.Contains(c.origins(r), o) {
			return ErrCSRF
		}
	}
	if secret == "" {
		ck, err := r.Cookie(preSessionCookie)
		if err != nil || len(ck.Value) < 32 {
			return ErrCSRF
		}
		secret = ck.Value
	}
	token := r.PostFormValue(CSRFField)
	if token == "" {
		token = r.Header.Get("X-CSRF-Token")
	}
	if !validCSRF(secret, token) {
		return ErrCSRF
	}
	return nil
}
