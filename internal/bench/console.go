package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// The admin console's scenarios: its pages as a browser asks for them, the login session in
// the session cookie (the console's cookie is an ordinary login session) and gzip accepted.
var consoleScenarios = []string{"console-members", "console-search", "console-next"}

// console returns the console scenarios' operations: the members page (50 members), the page
// searched by an email prefix, and a next page (after a member's id).
func (r *runner) console(ctx context.Context) map[string]func() int {
	members := "/console/tenants/" + url.PathEscape(r.tenant) + "/members"
	return map[string]func() int{
		"console-members": func() int { return r.page(ctx, members) },
		"console-search": func() int {
			e := r.emails[r.pick()]
			return r.page(ctx, members+"?email="+url.QueryEscape(e[:len(e)-14]))
		},
		"console-next": func() int { return r.page(ctx, members+"?after="+r.members[r.pick()]) },
	}
}

// checkConsole refuses a console scenario without a login session: the console takes no
// API token or key in its cookie, and would answer every page with the sign-in redirect.
func (r *runner) checkConsole(name string) error {
	if strings.HasPrefix(name, "console-") && !strings.HasPrefix(r.token, "rss_") {
		return fmt.Errorf("scenario %s signs in to the console with a login session: give --login and --password, or a session token", name)
	}
	return nil
}

// page fetches a console page and returns its status (0 when no answer came).
func (r *runner) page(ctx context.Context, path string) int {
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(r.cfg.URL, "/")+path, nil)
	if err != nil {
		return 0
	}
	name := "roster_session"
	if strings.HasPrefix(r.cfg.URL, "https:") {
		name = "__Host-roster_session"
	}
	req.AddCookie(&http.Cookie{Name: name, Value: r.token})
	req.Header.Set("User-Agent", userAgent)
	res, err := r.web.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}
