package cli

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/client"
)

var auditColumns = []column[*client.AuditEvent]{
	{"TIME", func(e *client.AuditEvent) string { return when(e.OccurredAt) }},
	{"ACTION", func(e *client.AuditEvent) string { return e.Action }},
	{"OUTCOME", func(e *client.AuditEvent) string { return e.Outcome }},
	{"ACTOR", func(e *client.AuditEvent) string { return orKind(e.Actor.ID, e.Actor.Kind) }},
	{"TARGET", func(e *client.AuditEvent) string { return orKind(e.Target.ID, e.Target.Kind) }},
	{"TENANT", func(e *client.AuditEvent) string { return e.TenantID }},
}

// orKind is an id, whose prefix says its kind, or the kind when there is no id ("system").
func orKind(id, kind string) string {
	if id != "" {
		return id
	}
	return kind
}

func newAuditCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit trail, or follow the event stream as changes commit",
		Long: "The audit trail records every write and every login attempt, who made it and how it ended.\n" +
			"Instance administrators read the whole installation's; with --tenant, holders of\n" +
			"audit:read there read that tenant's.",
	}
	cmd.AddCommand(newAuditListCommand(g), newAuditTailCommand(g))
	return cmd
}

func newAuditListCommand(g *globals) *cobra.Command {
	var t tenantFlag
	var f client.AuditFilter
	var limit int
	cmd := &cobra.Command{
		Use:   "list [--tenant TENANT] [--actor ID] [--action ACTION] [--target ID] [--since WHEN] [--until WHEN]",
		Short: "List audit events, oldest first",
		Example: "  roster audit list --action member.roles_set --since 24h\n" +
			"  roster audit list --tenant acme --actor usr_… --since 2026-11-01 --until 2026-12-01",
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if f.Since, err = timeFlag(cmd, "since", -1); err != nil {
				return err
			}
			if f.Until, err = timeFlag(cmd, "until", -1); err != nil {
				return err
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			opts := client.ListOptions{Limit: g.pageSize(limit)}
			var items iter.Seq2[*client.AuditEvent, error]
			if t.ref != "" {
				items = c.AllTenantAuditEvents(cmd.Context(), t.ref, f, opts)
			} else {
				items = c.AllAuditEvents(cmd.Context(), f, opts)
			}
			return c.fail(cmd, list(g.out(cmd), items, limit, auditColumns))
		},
	}
	t.register(cmd, false)
	fs := cmd.Flags()
	fs.StringVar(&f.Actor, "actor", "", "only events of this actor (a user's, token's or service account's id; a user's covers its tokens)")
	fs.StringVar(&f.Action, "action", "", "only events of this action, such as user.created or member.roles_set")
	fs.StringVar(&f.Target, "target", "", "only events about this object (its id)")
	fs.String("since", "", "only events at or after this: an RFC 3339 time, a date, or a duration ago (24h, 7d)")
	fs.String("until", "", "only events before this: an RFC 3339 time, a date, or a duration ago")
	registerLimit(cmd, &limit)
	return cmd
}

func newAuditTailCommand(g *globals) *cobra.Command {
	var t tenantFlag
	var types []string
	var after string
	var fromStart bool
	var last, most int
	cmd := &cobra.Command{
		Use:   "tail [--tenant TENANT] [--type TYPE...] [--last N] [--after CURSOR | --from-start]",
		Short: "Follow the event stream: print changes as they commit, until interrupted",
		Long: "Print the events of changes (user.created, member.roles_changed, …) as they commit, in\n" +
			"commit order, each once, long polling the server, until Ctrl-C. It starts with the last\n" +
			"--last events (skipping to the end reads the stream once, 200 events a request), or\n" +
			"from --after (the cursor a previous tail printed when it stopped), or --from-start.\n" +
			"Failed attempts (a refused login) are in the audit trail only: roster audit list.",
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case after != "" && fromStart:
				return usagef(cmd, "give --after or --from-start, not both")
			case last < 0 || most < 0:
				return usagef(cmd, "--last and --max count events: give 0 or more")
			}
			c, err := g.connect(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			list := func(o client.EventOptions) (*client.Page[*client.Event], error) { return c.ListEvents(ctx, o) }
			follow := func(o client.EventOptions) iter.Seq2[*client.Page[*client.Event], error] {
				return c.FollowEvents(ctx, o)
			}
			if t.ref != "" {
				list = func(o client.EventOptions) (*client.Page[*client.Event], error) {
					return c.ListTenantEvents(ctx, t.ref, o)
				}
				follow = func(o client.EventOptions) iter.Seq2[*client.Page[*client.Event], error] {
					return c.FollowTenantEvents(ctx, t.ref, o)
				}
			}
			o := g.out(cmd)
			w := &eventWriter{o: o}
			opts := client.EventOptions{After: after, Types: types, Limit: client.MaxLimit}
			if after == "" && !fromStart {
				// Skip to the end, keeping the last events to show.
				var recent []*client.Event
				for {
					p, err := list(opts)
					if err != nil {
						return c.fail(cmd, err)
					}
					recent = append(recent, p.Items...)
					if len(recent) > last {
						recent = recent[len(recent)-last:]
					}
					opts.After = p.NextCursor
					if len(p.Items) < opts.Limit {
						break
					}
				}
				for _, e := range recent {
					if err := w.write(e); err != nil {
						return err
					}
				}
			}
			cursor, shown := opts.After, w.n
			if most > 0 {
				opts.Limit = min(most, client.MaxLimit) // so that the cursor is exact when it stops
			}
			for p, err := range follow(opts) {
				if err != nil {
					if errors.Is(err, context.Canceled) || ctx.Err() != nil {
						break
					}
					return c.fail(cmd, err)
				}
				for _, e := range p.Items {
					if err := w.write(e); err != nil {
						return err
					}
					if most > 0 && w.n-shown >= most {
						if e == p.Items[len(p.Items)-1] {
							cursor = p.NextCursor
						} else {
							cursor = ""
						}
						o.note("Stopped after %d new events.%s", most, resumeHint(cursor))
						return nil
					}
				}
				cursor = p.NextCursor
			}
			o.note("Stopped.%s", resumeHint(cursor))
			return nil
		},
	}
	t.register(cmd, false)
	fs := cmd.Flags()
	fs.StringSliceVar(&types, "type", nil, "only events of this type, such as member.added; repeat it or separate by commas")
	fs.IntVarP(&last, "last", "n", 10, "show this many of the latest events first")
	fs.StringVar(&after, "after", "", "start after this cursor (printed when a tail stops)")
	fs.BoolVar(&fromStart, "from-start", false, "start with the oldest event the server keeps")
	fs.IntVar(&most, "max", 0, "stop after this many new events, not counting --last (default: run until interrupted)")
	return cmd
}

func resumeHint(cursor string) string {
	if cursor == "" {
		return ""
	}
	return " Resume with --after " + cursor
}

// eventWriter prints events one by one as they come: JSON lines, or a line of columns.
type eventWriter struct {
	o      *output
	n      int
	header bool
}

func (w *eventWriter) write(e *client.Event) error {
	w.n++
	if w.o.format == "json" {
		b, err := marshal(e)
		if err != nil {
			return err
		}
		_, err = w.o.w.Write(append(b, '\n'))
		return err
	}
	const line = "%-20s  %-28s  %-30s  %-46s  %s\n"
	if !w.header {
		w.header = true
		if _, err := fmt.Fprintf(w.o.w, line, "TIME", "TYPE", "ACTOR", "OBJECT", "TENANT"); err != nil {
			return err
		}
	}
	object := e.Data.Object.Kind + " " + e.Data.Object.ID
	_, err := fmt.Fprintf(w.o.w, line, when(e.Timestamp), e.Type, orKind(e.Data.Actor.ID, e.Data.Actor.Kind), object, cell(e.Data.TenantID))
	return err
}
