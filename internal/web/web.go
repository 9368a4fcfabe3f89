// Package web is what Roster's browser-facing transports share: the admin console, the hosted
// pages (invitations, verification, password reset) and the OpenID Connect sign-in. It holds
// the page layout and its embedded assets, cookie sessions (an ordinary Roster session whose
// secret sits in an HttpOnly cookie), CSRF tokens and origin checks, the security headers
// (a strict Content-Security-Policy without 'unsafe-inline'), form decoding, and the
// rendering of service errors beside the fields they name. It decides nothing about who may
// do what: handlers built on it call the service like any other transport.
//
// A transport builds a Renderer from its own embedded page templates (each defines "content"
// and may define "title"), and per request a Page: Render writes it inside the shared layout.
package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Config is what the web layer needs to know about the installation.
type Config struct {
	// PublicURL is the address people reach Roster at (such as https://roster.example.com),
	// or nil. When it is https, cookies are Secure even if TLS ends at a proxy, and it is an
	// origin state-changing requests may come from.
	PublicURL *url.URL
}

// ParsePublicURL checks a --public-url value: an absolute http or https URL with a host and
// no query, fragment or user information. An empty value is nil.
func ParsePublicURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("public URL %q: %w", s, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("public URL %q: must start with https:// (or http://)", s)
	case u.Host == "":
		return nil, fmt.Errorf("public URL %q: has no host", s)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, errors.New("public URL " + s + ": must not hold user information, a query or a fragment")
	}
	return u, nil
}

// Secure reports whether cookies set in answer to r must be Secure: the request came over
// TLS, or the public URL is https.
func (c Config) Secure(r *http.Request) bool {
	return r.TLS != nil || c.PublicURL != nil && c.PublicURL.Scheme == "https"
}

// origins returns the origins a state-changing request to r may come from: the one r was
// sent to, and the public URL's.
func (c Config) origins(r *http.Request) []string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	out := []string{scheme + "://" + strings.ToLower(r.Host)}
	if c.PublicURL != nil {
		out = append(out, c.PublicURL.Scheme+"://"+strings.ToLower(c.PublicURL.Host))
	}
	return out
}
