// Package client calls Roster's native REST API (/v1) from Go.
//
// A Client holds a base URL, an optional bearer token and an *http.Client; it is safe for
// concurrent use. Every method takes a context first and maps one API operation: its name is
// the operation's operationId in the server's OpenAPI document (/v1/openapi.json), so
// listUsers is ListUsers and setMemberRoles is SetMemberRoles.
//
// Errors the server answers are *Error values carrying the HTTP status, the problem's code,
// detail, request id and per-field errors; use errors.As, or the predicates IsNotFound,
// IsConflict, IsPreconditionFailed and the like.
//
// Lists come two ways: ListX returns one page (pass Page.NextCursor back as Cursor for the
// next), and AllX returns an iter.Seq2 that fetches page after page as the loop runs.
// The event stream is read the same way with a cursor that is always set (ListEvents), or
// followed as it grows, long polling (FollowEvents).
//
// In paths, a user is named by its id, email or username, a tenant by its id or slug, and a
// role by its id or name.
//
// Single resources (users, tenants, members, roles, service accounts) carry the ETag the
// server answered with; pass it back with IfMatch to an update or delete, which then fails
// with CodePreconditionFailed if someone changed the resource in between.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DefaultUserAgent is the User-Agent sent unless WithUserAgent sets another.
const DefaultUserAgent = "roster-go-client"

// Client calls one Roster server. The zero value is not usable; call New.
type Client struct {
	baseURL   string // scheme://host[:port][/prefix], without a trailing slash
	token     string
	http      *http.Client
	userAgent string
}

// An Option configures a Client in New.
type Option func(*Client)

// WithToken authenticates every request with "Authorization: Bearer token": a session token
// (rss_…), a personal API token (rsp_…) or a service-account key (sk:…).
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient sends requests through h instead of http.DefaultClient, for timeouts,
// proxies, TLS settings or connection pool sizes.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithUserAgent sends ua as the User-Agent header (recorded in the audit trail) instead of
// DefaultUserAgent.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client of the server at baseURL, such as "http://127.0.0.1:8080" or
// "https://example.com/roster" behind a proxy that serves Roster under a path. Requests go to
// baseURL + "/v1/…". It fails only when baseURL is not an absolute http or https URL, or
// holds a user name or password.
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("client: base URL: %w", err)
	}
	if u.User != nil { // net/http would send it as Basic credentials, and it ends up in logs
		return nil, fmt.Errorf("client: base URL: give credentials with WithToken, not in the URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("client: base URL %q: want http(s)://host[:port][/path] without query or fragment", baseURL)
	}
	c := &Client{baseURL: strings.TrimRight(u.String(), "/"), http: http.DefaultClient, userAgent: DefaultUserAgent}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	return c, nil
}

// WithToken returns a copy of c that authenticates with token (empty: none), sharing c's
// *http.Client and settings. Use it after Login, or to act as several principals at once.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.token = token
	return &cp
}

// BaseURL returns the base URL the client sends requests below, without a trailing slash.
func (c *Client) BaseURL() string { return c.baseURL }

// A CallOption changes one call, such as IfMatch.
type CallOption func(*callConfig)

type callConfig struct {
	ifMatch string
	err     error
}

// errEmptyETag refuses IfMatch(""), which would otherwise silently make a conditional update
// unconditional (list items carry no ETag, so this is an easy mistake).
var errEmptyETag = errors.New("client: IfMatch needs an ETag; list items have none, so Get the resource first")

// IfMatch makes an update or delete conditional: the server applies it only if the resource's
// current ETag is etag (as returned by a Get, Create or Update), and answers
// CodePreconditionFailed (412) otherwise. An empty etag fails the call before it is sent.
func IfMatch(etag string) CallOption {
	return func(cc *callConfig) {
		if etag == "" {
			cc.err = errEmptyETag
		}
		cc.ifMatch = etag
	}
}

// pathOf fills each {} in template with the next param, escaped. An empty param, or "." and
// "..", is refused: it would name another route (DELETE /v1/users/x/sessions/ is not a
// session), so it never leaves the client.
func pathOf(template string, params ...string) (string, error) {
	var b strings.Builder
	for _, p := range params {
		before, after, ok := strings.Cut(template, "{}")
		if !ok {
			panic("client: pathOf: more params than placeholders in " + template)
		}
		if p == "" || p == "." || p == ".." {
			return "", fmt.Errorf("client: %s: a path parameter is %q; want an id or name", template, p)
		}
		b.WriteString(before)
		b.WriteString(url.PathEscape(p))
		template = after
	}
	b.WriteString(template)
	return b.String(), nil
}

// request is one API call. path is a template whose {} are filled with params by pathOf.
type request struct {
	method string
	path   string
	params []string
	query  url.Values // may be nil
	body   any        // marshalled as JSON when not nil
	opts   []CallOption
}

// do sends req and decodes a 2xx answer into out (unless out is nil; a *[]byte gets the body
// as it is). It returns the answer's headers, for the ETag. A non-2xx answer is an *Error.
func (c *Client) do(ctx context.Context, req request, out any) (http.Header, error) {
	var cc callConfig
	for _, o := range req.opts {
		o(&cc)
	}
	if cc.err != nil {
		return nil, cc.err
	}
	path, err := pathOf(req.path, req.params...)
	if err != nil {
		return nil, err
	}
	u := c.baseURL + path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var body io.Reader
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return nil, fmt.Errorf("client: %s %s: encode body: %w", req.method, path, err)
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", req.method, path, err)
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.token)
	}
	if cc.ifMatch != "" {
		hr.Header.Set("If-Match", cc.ifMatch)
	}
	res, err := c.http.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", req.method, path, err)
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.Header, errorFrom(req.method, path, res)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxDiscard))
		return res.Header, nil
	}
	if raw, ok := out.(*[]byte); ok {
		if *raw, err = io.ReadAll(res.Body); err != nil {
			return res.Header, fmt.Errorf("client: %s %s: read the %d answer: %w", req.method, path, res.StatusCode, err)
		}
		return res.Header, nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return res.Header, fmt.Errorf("client: %s %s: decode the %d answer: %w", req.method, path, res.StatusCode, err)
	}
	// The decoder stops after the value; a body closed before its end (the newline after
	// it, or a chunked body's last chunk) closes the connection instead of reusing it.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxDiscard))
	return res.Header, nil
}

// maxDiscard bounds what is read of an answer nobody decodes, so the connection can be reused.
const maxDiscard = 64 << 10

// decode sends req and decodes its answer as a T.
func decode[T any](ctx context.Context, c *Client, req request) (*T, error) {
	var v T
	if _, err := c.do(ctx, req, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// versioned is a resource that carries the ETag of the answer it came in.
type versioned[T any] interface {
	*T
	setETag(string)
}

// decodeVersioned sends req and decodes its answer as a T with the answer's ETag.
func decodeVersioned[T any, P versioned[T]](ctx context.Context, c *Client, req request) (*T, error) {
	var v T
	h, err := c.do(ctx, req, &v)
	if err != nil {
		return nil, err
	}
	P(&v).setETag(h.Get("ETag"))
	return &v, nil
}

// orEmpty returns s, or an empty slice for nil: the API refuses null where a list is required.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
