package httpapi

import (
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// BenchmarkEncodeMemberPage encodes a list page of 100 members, as GET …/members answers.
func BenchmarkEncodeMemberPage(b *testing.B) {
	t := time.Now()
	role := &roster.Role{ID: roster.NewID(roster.PrefixRole), Name: "viewer"}
	ms := make([]*roster.Membership, 100)
	for i := range ms {
		u := &roster.User{ID: roster.NewID(roster.PrefixUser), Username: "member", Email: "member@example.com", GivenName: "Given", FamilyName: "Family", Active: true}
		ms[i] = &roster.Membership{TenantID: "tnt_x", UserID: u.ID, User: u, Roles: []*roster.Role{role}, CreatedAt: t, UpdatedAt: t}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := json.NewEncoder(io.Discard).Encode(newList(ms, ms[99].UserID, memberView)); err != nil {
			b.Fatal(err)
		}
	}
}
