// Package web is what Roster's browser-facing transports share: the admin console, the hosted
// pages (invitations, verification, password reset) and the OpenID Connect sign-in. It holds
// the page layout and its embedded assets, cookie sessions (an ordinary Roster session whose
// secret sits in an HttpOnly cookie), CSRF tokens and origin checks, the security headers
// (a strict Content-Security-Policy without 'unsafe-inline'), form decoding, and the
// rendering of service errors beside the fields they name. It decides nothing about who may
// do what: handlers built on it call the service like any other transport.
//
// # A page
//
// A transport embeds its page templates and builds one Renderer at start-up:
//
//	//go:embed pages/*.html
//	var pagesFS embed.FS
//	pages, err := web.NewRenderer(pagesFS, "pages/*.html", funcs, catalog)
//
// Each page file defines "content" (and may define "title"); files named "_*.html" hold the
// transport's own partials and are parsed into every page. Per request the handler fills a
// Page (Title, Data, and for a signed-in person User, Nav and CSRF) and calls Render, which
// writes it inside the layout with the security headers, compressed when the browser accepts
// gzip. The layout's partials are "csrf" (the hidden token field), "field" (a labelled input
// with its hint and error: {{template "field" (.Input "email" "Email" .Data.Email "type=email"
// "required")}}) and "fielderror". Texts go through {{.T "Sign in"}}, translated by the
// Catalog for Page.Lang.
//
// # A form
//
// A state-changing handler calls ParseForm, then CheckCSRF with the session's secret (or ""
// on a form shown before sign-in, whose token PreSessionToken made), then the service. On a
// refusal it renders the form again with Page.Prob = ProblemOf(err, names), which puts the
// service's field errors ("/email", "/roles/2") beside the form's fields (names maps pointers
// to field names where they differ) and answers with the error's status (Status); a stale
// edit (EPreconditionFailed) says StaleMessage. On success it redirects (303) with SetFlash.
// An edit form carries the version it was rendered from in a hidden field, read back with
// Form.Version into the service's IfMatch.
//
// # A session
//
// After the service's Login, SetSession puts the session secret in the cookie;
// SessionSecret reads it back for the service's Authenticate, and ClearSession forgets it
// at sign-out. Cookies are Secure (and the session cookie __Host- prefixed) when the request
// came over TLS or Config.PublicURL is https.
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
