package httpx

import (
	"encoding/json"
	"time"

	"github.com/rosterhq/roster"
)

// EventJSON is an event as the stream lists it and as a webhook delivers it: Standard
// Webhooks' {type, timestamp, data}, with the event's id, which stays the same on every
// delivery of it.
type EventJSON struct {
	ID        string        `json:"id"`
	Type      string        `json:"type"`
	Timestamp time.Time     `json:"timestamp"`
	Data      EventDataJSON `json:"data"`
}

// EventDataJSON names where, by whom and to what an event happened.
type EventDataJSON struct {
	TenantID *string         `json:"tenant_id"`
	Actor    EventActorJSON  `json:"actor"`
	Object   EventObjectJSON `json:"object"`
	// Details holds fields of the event's own, such as the roles of a member event.
	Details json.RawMessage `json:"details"`
}

// EventActorJSON is who caused an event: a user, an API token and the user behind it, a
// service account or the system.
type EventActorJSON struct {
	Kind   string  `json:"kind"`
	ID     string  `json:"id"`
	UserID *string `json:"user_id"`
}

// EventObjectJSON is what an event happened to.
type EventObjectJSON struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// EventView renders e.
func EventView(e *roster.Event) EventJSON {
	details := json.RawMessage(e.Data)
	if len(details) == 0 {
		details = json.RawMessage("{}")
	}
	return EventJSON{ID: e.ID, Type: e.Type, Timestamp: e.OccurredAt, Data: EventDataJSON{
		TenantID: nullable(e.TenantID),
		Actor:    EventActorJSON{Kind: e.Actor.Kind, ID: e.Actor.ID, UserID: nullable(e.Actor.UserID)},
		Object:   EventObjectJSON{Kind: e.ObjectKind, ID: e.ObjectID},
		Details:  details,
	}}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
