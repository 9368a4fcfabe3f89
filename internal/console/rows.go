package console

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/web"
)

// RowsHTML renders the members table's rows. It is the one piece of markup written in Go and
// not in a template: a page has fifty rows of some thirty values each, and html/template's
// escaping, a reflective call a value, was two thirds of the page's time at a million members
// (see docs/performance.md). Every value goes through esc, which escapes for text and for
// double-quoted attributes alike; ids and slugs in URLs are also path-escaped.
func (d membersData) RowsHTML(p *web.Page) template.HTML {
	esc := template.HTMLEscapeString
	var (
		base    = esc(d.URL("members"))
		sel     = esc(p.T("Select"))
		change  = esc(p.T("Change roles"))
		rolesOf = esc(p.T("Roles of"))
		keep    = esc(p.T("You cannot take this role away"))
		save    = esc(p.T("Save roles"))
		remove  = esc(p.T("Remove"))
		leave   = esc(p.T("Leave"))
		active  = esc(p.T("active"))
		off     = esc(p.T("deactivated"))
		invited = esc(p.T("invited"))
		write   = d.Can.Can("members:write")
	)
	var b strings.Builder
	b.Grow(len(d.Rows) * 1400)
	w := func(parts ...string) {
		for _, s := range parts {
			b.WriteString(s)
		}
	}
	for _, r := range d.Rows {
		id, email := esc(r.ID), esc(r.Email)
		w(`<tr id="m-`, id, `"`)
		if r.Err != "" {
			w(` class="bad"`)
		}
		w(">\n")
		if write {
			w(`  <td><input type="checkbox" name="user" value="`, id, `" form="bulk" aria-label="`, sel, " ", email, `"`)
			if r.Selected {
				w(" checked")
			}
			w("></td>\n")
		}
		if r.Invited { // the tenant knows of an invited account only what it supplied
			w(`  <td>`, email)
		} else {
			w(`  <td><a href="/console/users/`, id, `">`, email, `</a><br><span class="muted">`, esc(r.Username), `</span>`)
		}
		if r.Err != "" {
			w(`<p class="error">`, esc(r.Err), `</p>`)
		}
		w("</td>\n  <td>", esc(r.Name), "</td>\n  <td class=\"roles\">")
		for _, role := range r.Roles {
			w(`<span class="tag">`, esc(role), `</span>`)
		}
		w("</td>\n  <td>")
		switch {
		case r.Invited:
			w(`<span class="tag">`, invited, `</span>`)
		case r.Active:
			w(active)
		default:
			w(`<span class="tag off">`, off, `</span>`)
		}
		w("</td>\n  <td><div class=\"actions\">\n")
		version := strconv.FormatInt(r.Version, 10)
		if write {
			w(`  <details`)
			if r.Open {
				w(" open")
			}
			w(`><summary>`, change, `<span class="sr-only"> `, email, `</span></summary>`+"\n",
				`    <fieldset><legend>`, rolesOf, " ", email, `</legend><div class="checks">`+"\n    ")
			for _, c := range r.Editor {
				name := esc(c.Name)
				if c.Locked {
					w(`<input type="hidden" name="roles-`, id, `" value="`, name, `" form="row-edit"><span class="tag" title="`, keep, `">`, name, `</span>`)
					continue
				}
				w(`<label><input type="checkbox" name="roles-`, id, `" value="`, name, `" form="row-edit"`)
				if c.Checked {
					w(" checked")
				}
				w(`> `, name, `</label>`)
			}
			w("\n    </div>")
			if r.EditErr != "" {
				w(`<p class="error" role="alert">`, esc(r.EditErr), `</p>`)
			}
			w("</fieldset>\n",
				`    <button type="submit" form="row-edit" formaction="`, base, "/", id, `/roles" name="version" value="`, version,
				`" class="save-roles">`, save, "</button>\n  </details>\n")
		}
		if r.MayRemove {
			label := remove
			if r.Self {
				label = leave
			}
			w(`  <button type="submit" form="row-remove" formaction="`, base, "/", id, `/remove" name="version" value="`, version,
				`" class="danger remove">`, label, `<span class="sr-only"> `, email, "</span></button>\n")
		}
		w("  </div></td>\n</tr>\n")
	}
	return template.HTML(b.String()) //nolint:gosec // every value above is escaped
}
