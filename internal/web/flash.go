package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
)

// A flash is a one-line message shown on the page a successful form post redirects to. It
// travels in a short-lived cookie signed with the session's secret, so that no one else can
// plant text in the console.

func flashMAC(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("roster flash v1\x00" + msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SetFlash stores msg for the next page of the session with this secret.
func (c Config) SetFlash(w http.ResponseWriter, r *http.Request, secret, msg string) {
	v := base64.RawURLEncoding.EncodeToString([]byte(msg)) + "." + flashMAC(secret, msg)
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: v, Path: "/", MaxAge: 60,
		HttpOnly: true, Secure: c.Secure(r), SameSite: http.SameSiteLaxMode})
}

// TakeFlash returns the flash set for this session, if any, and removes it.
func (c Config) TakeFlash(w http.ResponseWriter, r *http.Request, secret string) string {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	c.clear(w, r, flashCookie, "/")
	enc, mac, ok := strings.Cut(ck.Value, ".")
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if !ok || err != nil || secret == "" || !hmac.Equal([]byte(mac), []byte(flashMAC(secret, string(raw)))) {
		return ""
	}
	return string(raw)
}
