package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

// eventList is a page of the event stream; NextCursor is always set: where to continue.
type eventList struct {
	Items      []httpx.EventJSON `json:"items"`
	NextCursor string            `json:"next_cursor"`
}

func eventQuery(r *http.Request) (service.EventQuery, error) {
	q := newQuery(r, "after", "limit", "wait", "type")
	var eq service.EventQuery
	eq.After = q.str("after")
	if o := q.listOptions(""); o.Limit != 0 {
		eq.Limit = o.Limit
	}
	if s := q.str("wait"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			q.v.Param("wait", "must be a duration such as 30s")
		}
		eq.Wait = d
	}
	if s := q.str("type"); s != "" {
		eq.Types = strings.Split(s, ",")
	}
	return eq, q.err()
}

func (a *API) writeEvents(w http.ResponseWriter, events []*roster.Event, next string) {
	out := eventList{Items: make([]httpx.EventJSON, 0, len(events)), NextCursor: next}
	for _, e := range events {
		out.Items = append(out.Items, httpx.EventView(e))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (a *API) listEvents(w http.ResponseWriter, r *http.Request) error {
	q, err := eventQuery(r)
	if err != nil {
		return err
	}
	events, next, err := a.svc.ListEvents(r.Context(), q)
	if err != nil {
		return err
	}
	a.writeEvents(w, events, next)
	return nil
}

func (a *API) listTenantEvents(w http.ResponseWriter, r *http.Request) error {
	q, err := eventQuery(r)
	if err != nil {
		return err
	}
	events, next, err := a.svc.ListTenantEvents(r.Context(), r.PathValue("tenant"), q)
	if err != nil {
		return err
	}
	a.writeEvents(w, events, next)
	return nil
}
